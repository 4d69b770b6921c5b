// The Slurm executor on a real single-node Slurm (Debian's slurmctld, slurmd and munge, started here
// by scripts/slurm-up.sh under a temporary folder and stopped by scripts/slurm-down.sh): a sweep
// through job arrays equals the local executor's, and an array task cancelled mid-run is resumed by
// the next `mat sweep`. Skipped where Slurm is not installed or the tests do not run as root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../src/sweep/report.js';

const MAT = fileURLToPath(new URL('../../bin/mat.js', import.meta.url));
const SCRIPTS = fileURLToPath(new URL('../../scripts/', import.meta.url));
const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `mat-slurm-${label}-`));

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const slurmMissing: string | false =
  ['sbatch', 'squeue', 'scancel', 'slurmctld', 'slurmd', 'munged'].some((c) => !onPath(c))
    ? 'Slurm is not installed (apt-get install slurmctld slurmd slurm-client munge)'
    : process.getuid?.() !== 0 ? 'starting Slurm needs root' : false;

let cluster: string | undefined;
let env: NodeJS.ProcessEnv = { ...process.env, MAT_THREADS: '1' };

before(() => {
  if (slurmMissing) return;
  cluster = tmp('cluster');
  const up = spawnSync('bash', [path.join(SCRIPTS, 'slurm-up.sh'), cluster], { encoding: 'utf8' });
  assert.equal(up.status, 0, `slurm-up.sh: ${up.stderr}`);
  env = { ...env, SLURM_CONF: path.join(cluster, 'slurm.conf') };
});

after(() => {
  if (!cluster) return;
  spawnSync('bash', [path.join(SCRIPTS, 'slurm-down.sh'), cluster], { encoding: 'utf8' });
  fs.rmSync(cluster, { recursive: true, force: true });
});

function mat(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [MAT, ...args], { encoding: 'utf8', env: { ...env, ...extraEnv } });
}

function results(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'results.jsonl') out.set(path.relative(root, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(root, 'runs'));
  return out;
}

function sameAsLocal(local: string, slurm: string, runs: number): void {
  const a = results(local);
  const b = results(slurm);
  assert.equal(a.size, runs);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [file, text] of a) assert.equal(b.get(file), text, `${file} differs`);
  const report = (root: string) => {
    writeReport(root);
    return fs.readFileSync(path.join(root, 'report.md'), 'utf8').split(root).join('DIR');
  };
  assert.equal(report(slurm), report(local));
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const queueEmpty = () => spawnSync('squeue', ['-h', '-o', '%i'], { encoding: 'utf8', env }).stdout.trim() === '';

test('--executor slurm without sbatch on PATH: one clear error, exit 2, nothing written', () => {
  const parent = tmp('nosbatch');
  const out = path.join(parent, 'sweep');
  const r = mat(['sweep', '--data', 'embeddings', '--algorithms', 'erm', '--combos', '1', '--seeds', '1', '--out', out, '--executor', 'slurm'], { PATH: '/nonexistent' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /sbatch is not on PATH/);
  assert.ok(!fs.existsSync(out));
  const local = mat(['sweep', '--data', 'embeddings', '--algorithms', 'erm', '--out', out, '--slurm-time', '1:00']);
  assert.equal(local.status, 2, local.stderr);
  assert.match(local.stderr, /--slurm-time applies to --executor slurm/);
  assert.ok(!fs.existsSync(out));
  fs.rmSync(parent, { recursive: true, force: true });
});

test('--executor slurm into a folder the jobs cannot write: exit 2 before submitting', { skip: slurmMissing }, () => {
  const r = mat(['sweep', '--data', 'embeddings', '--algorithms', 'erm', '--combos', '1', '--seeds', '1', '--out', '/etc/hostname/mat-sweep', '--executor', 'slurm']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--out \/etc\/hostname\/mat-sweep: cannot write here/);
  assert.equal(spawnSync('squeue', ['-h', '-o', '%i'], { encoding: 'utf8', env }).stdout.trim(), '', 'nothing submitted');
});

test('a sweep through Slurm job arrays (--wait) equals the local executor\'s', { skip: slurmMissing }, () => {
  const args = ['--data', 'embeddings', '--algorithms', 'erm,mat', '--combos', '2', '--seeds', '1', '--steps', '100', '--threads', '1'];
  const local = tmp('local');
  assert.equal(mat(['sweep', ...args, '--out', local, '--quiet']).status, 0);
  const out = tmp('slurm');
  const r = mat(['sweep', ...args, '--out', out, '--executor', 'slurm', '--wait', '--slurm-tasks', '3', '--slurm-time', '10:00', '--slurm-extra', '--job-name=mat-test']);
  assert.equal(r.status, 0, r.stderr);
  const jobs = r.stdout.trim().split('\n');
  assert.equal(jobs.length, 2, 'one array per phase');
  assert.match(r.stderr, new RegExp(`job ${jobs[1]} \\(train: 4 runs in 3 array tasks, after ${jobs[0]}\\)`));
  assert.match(r.stderr, /mat sweep: 6\/6 runs finished\n/, 'progress from the store');
  const scripts = fs.readdirSync(path.join(out, 'slurm')).filter((f) => f.endsWith('.sh'));
  assert.equal(scripts.length, 2);
  assert.match(fs.readFileSync(path.join(out, 'slurm', scripts[0]), 'utf8'), /#SBATCH --time=10:00/);
  sameAsLocal(local, out, 6);
  const status = mat(['status', out]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /\| all +\| +\| +6 \| +0 \| +0 \| +0 \| +0 \| +0 \|/);
  assert.match(status.stdout, new RegExp(`\\| ${jobs[1]} +\\| train .*left the queue`));
  const again = mat(['sweep', ...args, '--out', out, '--executor', 'slurm', '--wait']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, '', 'nothing left to submit');
  for (const d of [local, out]) fs.rmSync(d, { recursive: true, force: true });
});

test('an array task cancelled mid-run (scancel): the next mat sweep submits only the unfinished runs and resumes it', { skip: slurmMissing }, async () => {
  const args = ['--data', 'embeddings', '--algorithms', 'erm,mat', '--combos', '1', '--seeds', '1', '--steps', '6000', '--threads', '1'];
  const local = tmp('local');
  assert.equal(mat(['sweep', ...args, '--out', local, '--quiet']).status, 0);
  const out = tmp('cancel');
  // One array task per phase: the task that holds the MAT run is the only one that could finish it.
  const submitted = mat(['sweep', ...args, '--out', out, '--executor', 'slurm', '--slurm-tasks', '1']);
  assert.equal(submitted.status, 0, submitted.stderr);
  // The MAT run, once it has written a checkpoint: cancel the array task that holds it.
  const run = path.join(out, 'runs/embeddings/mat/c0-s0');
  await until('a checkpoint of the MAT run', () => fs.existsSync(path.join(run, 'checkpoint.json')));
  const claim = fs.readdirSync(run).find((f) => f.startsWith('claim-'));
  assert.ok(claim, 'the running MAT run is claimed');
  const job = JSON.parse(fs.readFileSync(path.join(run, claim), 'utf8')).job as string;
  assert.match(job, /^\d+_\d+$/, 'claimed by an array task');
  assert.equal(spawnSync('scancel', [job], { env }).status, 0);
  await until('an empty queue', queueEmpty);
  assert.ok(!fs.existsSync(path.join(run, 'done.json')), 'cancelled before it finished');
  const status = JSON.parse(mat(['status', out, '--json']).stdout) as { runs: { id: string; state: string }[] };
  assert.equal(status.runs.find((r) => r.id === 'embeddings/mat/c0-s0')?.state, 'interrupted');

  const rerun = mat(['sweep', ...args, '--out', out, '--executor', 'slurm', '--wait']);
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stderr, /submitted job \d+ \(train: 1 run in 1 array task\); 2 of 3 runs already finished/);
  const done = JSON.parse(fs.readFileSync(path.join(run, 'done.json'), 'utf8'));
  assert.ok(done.resumedFrom > 0, 'resumed from its checkpoint');
  sameAsLocal(local, out, 3);
  assert.deepEqual(fs.readdirSync(run).filter((f) => /^claim-|checkpoint|\.tmp-/.test(f)), []);
  for (const d of [local, out]) fs.rmSync(d, { recursive: true, force: true });
});
