// The Slurm executor: a sweep as job arrays on a cluster, into the same store as the local executor.
//
// The unfinished runs are split in two phases: the held-out source's runs (XRM's twins) first, then
// every other run in a second array that starts after the first succeeded (--dependency=afterok),
// since those runs use the XRM runs' predictions. Each phase is one batch script under DIR/slurm/,
// submitted with `sbatch --array`; each array task runs its slice of the phase's runs through the
// local executor's code (`mat sweep-task`), claiming each run first (claims.ts). A preempted or
// cancelled task leaves its run claimed by a job that has left the queue: the next `mat sweep`
// takes it over and resumes it from its checkpoint. Submissions are recorded in DIR/slurm/jobs.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHeldOutSource } from '../heldout/registry.js';
import { InputError } from '../util/errors.js';
import { loadSweepData, makeSweepConfig, planRuns, type SweepOptions, type SweepProgress } from './runner.js';
import { checkSweepFolder, isDone, readJson, runDir, runId, writeFileAtomic, writeJsonAtomic, writeSweepConfig, type SweepConfig } from './store.js';

export const SLURM_DIR = 'slurm';
export const JOBS_FILE = 'jobs.json';

/** Options passed through to sbatch. */
export interface SlurmOptions {
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  mem?: string;
  /** At most this many array tasks at once (sbatch --array=…%N). */
  arrayParallelism?: number;
  /** More sbatch options, split on white space. */
  extra?: string;
  /** Array tasks per phase (default: as many as the partition's CPUs hold at once, at most one per run). */
  tasks?: number;
}

export interface Submission {
  jobId: string;
  phase: string;
  /** The runs file the array tasks slice. */
  runs: string;
  count: number;
  tasks: number;
  after?: string;
  script: string;
  submittedAt: string;
}

export interface SubmitResult {
  root: string;
  total: number;
  finished: number;
  submissions: Submission[];
}

const MAT_BIN = fileURLToPath(new URL('../../../bin/mat.js', import.meta.url));

function sbatchMissing(): boolean {
  const r = spawnSync('sbatch', ['--version'], { encoding: 'utf8' });
  return !!r.error;
}

/** A folder the jobs can write into; on a cluster of several nodes, not a node-local one. */
function checkWritable(root: string): void {
  try {
    fs.mkdirSync(root, { recursive: true });
    const probe = path.join(root, `.probe-${process.pid}`);
    writeFileAtomic(probe, 'ok');
    fs.rmSync(probe);
  } catch (err) {
    throw new InputError(`--out ${root}: cannot write here (${(err as Error).message}); the jobs write their results into this folder`);
  }
  const nodes = spawnSync('sinfo', ['-h', '-o', '%D'], { encoding: 'utf8' });
  const count = nodes.status === 0 ? nodes.stdout.split('\n').reduce((s, l) => s + (Number(l) || 0), 0) : 0;
  if (count > 1 && /^\/(tmp|var\/tmp|dev\/shm|run)(\/|$)/.test(root)) {
    throw new InputError(`--out ${root}: a node-local folder, but the cluster has ${count} nodes; use a folder on a file system every node mounts`);
  }
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function batchScript(root: string, phase: string, runsFile: string, count: number, tasks: number, slurm: SlurmOptions): string {
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=mat-${phase}`,
    `#SBATCH --output=${path.join(root, SLURM_DIR, 'logs', '%A_%a.out')}`,
    `#SBATCH --cpus-per-task=${slurm.cpusPerTask ?? 1}`,
  ];
  if (slurm.partition) lines.push(`#SBATCH --partition=${slurm.partition}`);
  if (slurm.time) lines.push(`#SBATCH --time=${slurm.time}`);
  if (slurm.mem) lines.push(`#SBATCH --mem=${slurm.mem}`);
  lines.push(
    `# ${count} runs of the sweep in ${root} (phase ${phase}) in ${tasks} array tasks, each taking free runs until`,
    '# none is left. Rerunning the same `mat sweep` submits only the runs that are not finished; interrupted',
    '# ones resume from their checkpoints.',
    `exec ${quote(process.execPath)} ${quote(MAT_BIN)} sweep-task ${quote(root)} --runs ${quote(runsFile)} \\`,
    `  --index "$SLURM_ARRAY_TASK_ID" --tasks ${tasks} --job "\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}" --threads "\${SLURM_CPUS_PER_TASK:-1}" \\`,
    `  --log ${quote(path.join(root, SLURM_DIR, 'logs'))}"/\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}.out"`,
    '',
  );
  return lines.join('\n');
}

/** How many array tasks the partition (the default one unless named) runs at once: its CPUs / CPUs per task; undefined when sinfo cannot tell. */
function partitionCapacity(slurm: SlurmOptions): number | undefined {
  const r = spawnSync('sinfo', ['-h', '-o', '%P %C', ...(slurm.partition ? ['-p', slurm.partition] : [])], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  // "debug* 0/2/0/2": the default partition is starred; CPUs are allocated/idle/other/total.
  const line = slurm.partition ? lines[0] : lines.find((l) => l.split(' ')[0].endsWith('*')) ?? lines[0];
  const total = Number(line?.split(' ')[1]?.split('/')[3]);
  return Number.isInteger(total) && total > 0 ? Math.max(1, Math.floor(total / (slurm.cpusPerTask ?? 1))) : undefined;
}

function sbatch(args: string[]): string {
  const r = spawnSync('sbatch', ['--parsable', ...args], { encoding: 'utf8' });
  if (r.error) throw new InputError(`sbatch: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`sbatch ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout.trim().split(';')[0];
}

export function readSubmissions(root: string): Submission[] {
  const file = path.join(root, SLURM_DIR, JOBS_FILE);
  try {
    return fs.existsSync(file) ? readJson<Submission[]>(file) : [];
  } catch {
    return [];
  }
}

/** The phases of a sweep's unfinished runs: the held-out source's first, then the rest. */
export function sweepPhases(config: SweepConfig, root: string): { phase: string; ids: string[] }[] {
  const pending = planRuns(config).filter((k) => !isDone(runDir(root, k)));
  const first = pending.filter((k) => isHeldOutSource(k.algorithm));
  const rest = pending.filter((k) => !isHeldOutSource(k.algorithm));
  return [
    { phase: first[0]?.algorithm ?? 'heldout', ids: first.map(runId) },
    { phase: 'train', ids: rest.map(runId) },
  ].filter((p) => p.ids.length > 0);
}

/** Check everything, then submit the unfinished runs of the sweep as job arrays. */
export async function submitSweep(opts: SweepOptions & { slurm: SlurmOptions }): Promise<SubmitResult> {
  if (sbatchMissing()) throw new InputError('--executor slurm: sbatch is not on PATH; install the Slurm client (Debian: slurm-client) or use --executor local');
  const slurm = opts.slurm;
  for (const [flag, v] of [['--slurm-cpus-per-task', slurm.cpusPerTask], ['--slurm-array-parallelism', slurm.arrayParallelism], ['--slurm-tasks', slurm.tasks]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new InputError(`${flag} must be an integer ≥ 1, got ${v}`);
  }
  const config = makeSweepConfig(opts);
  const root = path.resolve(opts.out);
  const existed = checkSweepFolder(root, config);
  // Bad data fails here, before anything is written or submitted.
  await loadSweepData(config);
  checkWritable(root);
  if (!existed) writeSweepConfig(root, config);
  const total = planRuns(config).length;
  const phases = sweepPhases(config, root);
  const dir = path.join(root, SLURM_DIR);
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const submissions: Submission[] = [];
  const capacity = partitionCapacity(slurm);
  const extra = (slurm.extra ?? '').split(/\s+/).filter(Boolean);
  let after: string | undefined;
  for (const { phase, ids } of phases) {
    const base = `${stamp}-${process.pid}-${phase}`;
    const runsFile = path.join(dir, `${base}.runs.json`);
    writeJsonAtomic(runsFile, ids);
    const script = path.join(dir, `${base}.sh`);
    const tasks = Math.min(ids.length, slurm.tasks ?? slurm.arrayParallelism ?? capacity ?? ids.length);
    writeFileAtomic(script, batchScript(root, phase, runsFile, ids.length, tasks, slurm));
    fs.chmodSync(script, 0o755);
    const args = [`--array=0-${tasks - 1}${slurm.arrayParallelism ? `%${slurm.arrayParallelism}` : ''}`];
    if (after) args.push(`--dependency=afterok:${after}`, '--kill-on-invalid-dep=yes');
    const jobId = sbatch([...args, ...extra, script]);
    submissions.push({ jobId, phase, runs: runsFile, count: ids.length, tasks, after, script, submittedAt: new Date().toISOString() });
    after = jobId;
  }
  writeJsonAtomic(path.join(dir, JOBS_FILE), [...readSubmissions(root), ...submissions]);
  return { root, total, finished: total - phases.reduce((s, p) => s + p.ids.length, 0), submissions };
}

/** Job states of the given jobs (array tasks included) as squeue reports them; jobs that left the queue are absent. */
export function queueStates(jobIds: readonly string[]): { job: string; state: string; reason: string }[] | undefined {
  if (jobIds.length === 0) return [];
  const r = spawnSync('squeue', ['-h', '-j', jobIds.join(','), '-o', '%i %T %r'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return undefined;
  if (r.status !== 0) return /invalid job id/i.test(r.stderr) ? [] : undefined;
  const DONE = /^(COMPLETED|CANCELLED|FAILED|TIMEOUT|PREEMPTED|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)$/;
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const [job, state, ...reason] = l.trim().split(/\s+/);
    return { job, state, reason: reason.join(' ') };
  }).filter((j) => !DONE.test(j.state));
}

/** Poll the queue until the submitted jobs have left it, drawing the store's finished runs as progress. */
export async function waitForJobs(root: string, config: SweepConfig, jobIds: readonly string[], progress: SweepProgress, pollMs = 500): Promise<void> {
  const runs = planRuns(config);
  let logged = { finished: -1, at: 0 };
  for (;;) {
    const finished = runs.filter((k) => isDone(runDir(root, k))).length;
    progress.update(finished, runs.length, 'sweep (slurm)');
    // A line now and then for logs (a terminal shows the bar instead).
    if (!process.stderr.isTTY && finished !== logged.finished && (Date.now() - logged.at > 5000 || finished === runs.length)) {
      progress.log(`mat sweep: ${finished}/${runs.length} runs finished`);
      logged = { finished, at: Date.now() };
    }
    const states = queueStates(jobIds);
    if (states !== undefined && states.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
