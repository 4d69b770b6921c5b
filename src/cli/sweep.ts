// `mat sweep`: random search × seeds × algorithms × datasets into a results folder (src/sweep/), run
// here (--executor local) or as Slurm job arrays (--executor slurm); `mat sweep-task`: one array task.
import fs from 'node:fs';
import path from 'node:path';
import { executeSweep, makeSweepConfig, planRuns, runSweep, type SweepOptions, type SweepSummary } from '../sweep/runner.js';
import { submitSweep, waitForJobs, type SlurmOptions } from '../sweep/slurm.js';
import { readDone, readSweepConfig, runDir, runId } from '../sweep/store.js';
import { InputError } from '../util/errors.js';
import { makeProgress, printNote } from './progress.js';

/** The command's flags: the runner's options, with the algorithms still a comma-separated list. */
export type SweepFlags = Omit<SweepOptions, 'algorithms' | 'progress' | 'execution'> & {
  algorithms: string;
  threads?: number;
  executor?: 'local' | 'slurm';
  wait?: boolean;
  slurmPartition?: string;
  slurmTime?: string;
  slurmCpusPerTask?: number;
  slurmMem?: string;
  slurmArrayParallelism?: number;
  slurmExtra?: string;
  slurmTasks?: number;
};

function sweepOptions(flags: SweepFlags): SweepOptions {
  return {
    data: flags.data,
    label: flags.label,
    attr: flags.attr,
    split: flags.split,
    embeddings: flags.embeddings,
    backbone: flags.backbone,
    tokenizer: flags.tokenizer,
    onNote: printNote,
    algorithms: flags.algorithms.split(','),
    combos: flags.combos,
    seeds: flags.seeds,
    steps: flags.steps,
    heldout: flags.heldout,
    folds: flags.folds,
    xrmSelect: flags.xrmSelect,
    scale: flags.scale,
    out: flags.out,
    workers: flags.workers,
    execution: { threads: flags.threads },
    quiet: flags.quiet,
  };
}

export async function sweepCommand(flags: SweepFlags): Promise<void> {
  const executor = flags.executor ?? 'local';
  if (executor === 'slurm') return slurmSweep(flags);
  const slurmFlag = Object.keys(flags).find((k) => k === 'wait' || k.startsWith('slurm'));
  if (slurmFlag) throw new InputError(`--${slurmFlag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --executor slurm`);
  const progress = makeProgress({ quiet: flags.quiet });
  let summary;
  try {
    summary = await runSweep({ ...sweepOptions(flags), progress });
  } finally {
    progress.stop();
  }
  report(summary, flags.quiet, `mat report ${flags.out}`);
}

function report(s: SweepSummary, quiet: boolean | undefined, next?: string): void {
  if (!quiet) {
    const parts = [`${s.executed} run${s.executed === 1 ? '' : 's'} finished now`];
    if (s.resumed) parts.push(`${s.resumed} of them resumed from a checkpoint`);
    parts.push(`${s.skipped} already finished`);
    if (s.elsewhere) parts.push(`${s.elsewhere} finished by other processes meanwhile`);
    if (s.diverged) parts.push(`${s.diverged} diverged`);
    if (s.failed.length) parts.push(`${s.failed.length} failed`);
    if (s.blocked.length) parts.push(`${s.blocked.length} blocked`);
    const pool = s.workers ? ` (${s.workers} worker${s.workers === 1 ? '' : 's'} × ${s.threads} thread${s.threads === 1 ? '' : 's'})` : '';
    process.stderr.write(`mat sweep: ${s.total} runs: ${parts.join(', ')} in ${s.seconds.toFixed(1)} s${pool}; results in ${s.root}\n`);
    if (next && !s.failed.length && !s.blocked.length) process.stderr.write(`mat sweep: next: ${next}\n`);
  }
  if (s.failed.length || s.blocked.length) {
    const lines = [...s.failed.map((f) => `  ${f.id}: ${f.message}`), ...s.blocked.map((b) => `  ${b.id}: not started: ${b.message}`)];
    throw new Error(`${s.failed.length + s.blocked.length} runs did not finish; rerun the same command to retry them:\n${lines.join('\n')}`);
  }
}

async function slurmSweep(flags: SweepFlags): Promise<void> {
  if (flags.workers !== undefined) throw new InputError('--workers applies to --executor local; under Slurm, each array task runs one worker with --slurm-cpus-per-task threads');
  const slurm: SlurmOptions = {
    partition: flags.slurmPartition,
    time: flags.slurmTime,
    cpusPerTask: flags.slurmCpusPerTask,
    mem: flags.slurmMem,
    arrayParallelism: flags.slurmArrayParallelism,
    extra: flags.slurmExtra,
    tasks: flags.slurmTasks,
  };
  const t0 = performance.now();
  const submitted = await submitSweep({ ...sweepOptions(flags), slurm });
  const say = (line: string) => { if (!flags.quiet) process.stderr.write(`${line}\n`); };
  const jobs = submitted.submissions.map((s) => `job ${s.jobId} (${s.phase}: ${s.count} run${s.count === 1 ? '' : 's'} in ${s.tasks} array task${s.tasks === 1 ? '' : 's'}${s.after ? `, after ${s.after}` : ''})`);
  if (jobs.length === 0) say(`mat sweep: all ${submitted.total} runs are finished; nothing to submit`);
  else say(`mat sweep: submitted ${jobs.join(', ')}; ${submitted.finished} of ${submitted.total} runs already finished`);
  // The job ids on stdout, one a line, for scripts.
  for (const s of submitted.submissions) process.stdout.write(`${s.jobId}\n`);
  if (!flags.wait) {
    if (jobs.length) say(`mat sweep: follow it with: mat status ${flags.out}`);
    return;
  }
  const config = makeSweepConfig(sweepOptions(flags));
  const progress = makeProgress({ quiet: flags.quiet });
  try {
    await waitForJobs(submitted.root, config, submitted.submissions.map((s) => s.jobId), progress);
  } finally {
    progress.stop();
  }
  const unfinished = planRuns(config).filter((k) => !readDone(runDir(submitted.root, k))).map(runId);
  const seconds = (performance.now() - t0) / 1000;
  if (unfinished.length) {
    throw new Error(`${unfinished.length} of ${submitted.total} runs did not finish (${unfinished.slice(0, 5).join(', ')}${unfinished.length > 5 ? ', …' : ''}); see mat status ${flags.out}, then rerun the same command to submit them again`);
  }
  say(`mat sweep: ${submitted.total} runs finished in ${seconds.toFixed(1)} s; results in ${submitted.root}`);
  say(`mat sweep: next: mat report ${flags.out}`);
}

export interface SweepTaskFlags {
  runs: string;
  index: number;
  tasks: number;
  job?: string;
  log?: string;
  threads?: number;
}

/**
 * One Slurm array task: takes the free runs of its phase one at a time until none is left, through the
 * local executor's code. Task i starts at the i-th of `tasks` equal parts of the list, so tasks seldom
 * reach for the same run; runs others hold are left to them, and runs whose owner is gone taken over.
 */
export async function sweepTaskCommand(dir: string, flags: SweepTaskFlags): Promise<void> {
  const root = path.resolve(dir);
  const config = readSweepConfig(root);
  const ids = JSON.parse(fs.readFileSync(flags.runs, 'utf8')) as string[];
  if (!(flags.index < flags.tasks)) throw new InputError(`--index ${flags.index}: the array has ${flags.tasks} tasks`);
  const start = Math.floor((flags.index * ids.length) / flags.tasks);
  const only = [...ids.slice(start), ...ids.slice(0, start)];
  process.stderr.write(`mat sweep-task: ${ids.length} runs from ${only[0]} on (job ${flags.job ?? 'none'})\n`);
  const summary = await executeSweep(config, {
    out: root, only, waitForOthers: false, workers: 1, execution: { threads: flags.threads }, job: flags.job, log: flags.log, progress: makeProgress(),
  });
  report(summary, false);
}
