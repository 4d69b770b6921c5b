// A store shared by processes that die or run at once: a sweep killed (SIGKILL) at 5 random moments
// and rerun each time ends with the same results.jsonl and report as an uninterrupted one, no run
// finished twice; two sweeps started together on one folder share the runs, each done exactly once;
// a diverged run is a result (with its step) in done.json, `mat status` and `mat report`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../src/sweep/report.js';
import { writeSweepConfig } from '../src/sweep/store.js';
import { Rng } from '../src/util/random.js';

const MAT = fileURLToPath(new URL('../../bin/mat.js', import.meta.url));
const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `mat-shared-${label}-`));
const ENV = { ...process.env, MAT_THREADS: '1' };
const ARGS = ['--data', 'embeddings', '--algorithms', 'erm,mat,xrm+groupdro', '--combos', '2', '--seeds', '1', '--steps', '1500', '--threads', '1'];

function mat(args: string[]) {
  return spawnSync(process.execPath, [MAT, ...args], { encoding: 'utf8', env: ENV });
}

/** Every file of the runs, relative to the sweep folder. */
function runFiles(root: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === name) out.set(path.relative(root, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(root, 'runs'));
  return out;
}

function leftovers(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tmp-|^claim-|^checkpoint|^failed\.json$/.test(e.name)) out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out;
}

/** The report files, with the folder's own path taken out. */
function reportOf(root: string): string[] {
  writeReport(root);
  return ['report.md', 'report.csv', 'report.json'].map((f) => fs.readFileSync(path.join(root, f), 'utf8').split(root).join('DIR'));
}

function sameResults(reference: string, out: string): void {
  const a = runFiles(reference, 'results.jsonl');
  const b = runFiles(out, 'results.jsonl');
  assert.equal(a.size, 8);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [file, text] of a) assert.equal(b.get(file), text, `${file} differs`);
  assert.deepEqual(reportOf(out), reportOf(reference), 'the reports differ');
}

let reference: string;

test('an uninterrupted sweep (the reference)', () => {
  reference = tmp('reference');
  const r = mat(['sweep', ...ARGS, '--workers', '1', '--out', reference, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(runFiles(reference, 'done.json').size, 8);
});

test('SIGKILL at 5 random moments, rerun after each: the same results and report, no run finished twice', async () => {
  const seed = Date.now() % 1_000_000;
  const rng = new Rng(seed);
  const out = tmp('killed');
  const finished = new Map<string, string>();
  /** Each done.json is written once: a rewritten one would be a run finished twice. */
  const checkFinished = (when: string) => {
    for (const [file, text] of runFiles(out, 'done.json')) {
      if (finished.has(file)) assert.equal(text, finished.get(file), `seed ${seed}, ${when}: ${file} was finished again`);
      else finished.set(file, text);
    }
  };
  const kills: number[] = [];
  for (let i = 0; i < 5; i++) {
    const ms = 100 + rng.int(3400);
    kills.push(ms);
    const child = spawn(process.execPath, [MAT, 'sweep', ...ARGS, '--workers', '2', '--out', out, '--quiet'], { stdio: 'ignore', env: ENV });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    await exited;
    clearTimeout(timer);
    checkFinished(`after kill ${i + 1} at ${ms} ms`);
    if (fs.existsSync(path.join(out, 'sweep.json'))) {
      // The store answers for itself after every kill.
      const status = JSON.parse(mat(['status', out, '--json']).stdout) as { runs: { id: string; state: string }[] };
      assert.equal(status.runs.length, 8);
      assert.equal(status.runs.filter((r) => r.state === 'finished').length, runFiles(out, 'done.json').size);
      assert.equal(status.runs.filter((r) => r.state === 'running').length, 0, 'nothing runs after the kill');
    }
  }
  const rerun = mat(['sweep', ...ARGS, '--workers', '2', '--out', out]);
  assert.equal(rerun.status, 0, rerun.stderr);
  checkFinished('after the final rerun');
  assert.equal(finished.size, 8);
  sameResults(reference, out);
  assert.deepEqual(leftovers(out), [], `seed ${seed}, kills at ${kills.join(', ')} ms: no claims, checkpoints or temporary files left`);
  fs.rmSync(out, { recursive: true, force: true });
});

test('two sweeps started at once on one folder: every run done exactly once between them', async () => {
  const out = tmp('pair');
  const start = () => new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [MAT, 'sweep', ...ARGS, '--workers', '1', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
  const both = await Promise.all([start(), start()]);
  const executed = both.map(({ code, stderr }) => {
    assert.equal(code, 0, stderr);
    const m = /: 8 runs: (\d+) runs? finished now/.exec(stderr);
    assert.ok(m, stderr);
    return Number(m[1]);
  });
  assert.equal(executed[0] + executed[1], 8, `the two finished ${executed.join(' + ')} runs`);
  assert.ok(executed.every((n) => n > 0), `both took part: ${executed.join(' + ')}`);
  sameResults(reference, out);
  assert.deepEqual(leftovers(out), []);
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(reference, { recursive: true, force: true });
});

test('a diverged run is a result: its step in done.json, mat status and mat report; the sweep goes on', () => {
  const dir = tmp('diverged');
  // Features near float32's largest value, fed as they are (--scale none): the second step's loss is not finite.
  const rows = ['f1,f2,y,a,split'];
  for (const [split, n] of [['train', 64], ['val', 32], ['test', 32]] as const) {
    for (let i = 0; i < n; i++) rows.push(`${(i % 2 ? 1 : -1) * 3e37 * ((i % 7) + 1) / 7},${(i % 5) / 5},${i % 2},${(i >> 1) % 2},${split}`);
  }
  const csv = path.join(dir, 'huge.csv');
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  const out = path.join(dir, 'sweep');
  const r = mat(['sweep', '--data', `${csv},embeddings`, '--label', 'y', '--attr', 'a', '--algorithms', 'erm', '--combos', '2', '--seeds', '1', '--steps', '50', '--scale', 'none', '--out', out, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const done = JSON.parse(fs.readFileSync(path.join(out, 'runs/huge/erm/c0-s0/done.json'), 'utf8'));
  assert.equal(done.status, 'diverged');
  assert.ok(Number.isInteger(done.divergedAt) && done.divergedAt >= 1 && done.divergedAt <= 50, `step ${done.divergedAt}`);
  const status = mat(['status', out]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /\| train \| erm +\| +2 \| +2 \|/, 'embeddings finished, huge diverged');
  assert.match(status.stdout, new RegExp(`huge/erm/c0-s0: at step ${done.divergedAt}:`));
  const report = mat(['report', out]);
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, new RegExp(`c0: diverged on seed 0 \\(step ${done.divergedAt}\\)`));
  assert.match(report.stdout, /\| va_wga +\| embeddings \| erm +\| +[01] \|/, 'the other dataset is selected as usual');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('mat status: failed runs with the last lines of their log, interrupted runs, runs not started', () => {
  const root = tmp('status');
  writeSweepConfig(root, { version: 1, datasets: [{ kind: 'builtin', key: 'embeddings', name: 'embeddings' }], algorithms: ['erm'], combos: 3, seeds: 1 });
  const log = path.join(root, 'task.log');
  fs.writeFileSync(log, ['start', ...Array.from({ length: 8 }, (_, i) => `line ${i}`)].join('\n') + '\n');
  const c0 = path.join(root, 'runs/embeddings/erm/c0-s0');
  fs.mkdirSync(c0, { recursive: true });
  fs.writeFileSync(path.join(c0, 'failed.json'), JSON.stringify({ id: 'embeddings/erm/c0-s0', message: 'out of memory', failedAt: 'then', owner: { host: 'h', pid: 1 }, log }));
  const c1 = path.join(root, 'runs/embeddings/erm/c1-s0');
  fs.mkdirSync(c1, { recursive: true });
  fs.writeFileSync(path.join(c1, 'claim-0.json'), JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 12345, claimedAt: 'then' }));
  const r = mat(['status', root]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\| train +\| erm +\| +0 \| +0 \| +0 \| +1 \| +1 \| +1 \|/);
  assert.match(r.stdout, /embeddings\/erm\/c0-s0: out of memory\n {4}line 3\n {4}line 4\n {4}line 5\n {4}line 6\n {4}line 7\n/);
  assert.match(r.stdout, /embeddings\/erm\/c1-s0: interrupted/);
  assert.equal(mat(['status', path.join(root, 'runs')]).status, 2, 'not a sweep folder');
  fs.rmSync(root, { recursive: true, force: true });
});
