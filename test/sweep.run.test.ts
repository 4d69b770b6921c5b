// Sweeps end to end on the built-in embeddings with few steps: a rerun recomputes nothing, a kill -9
// loses nothing (the resumed sweep ends with the same files as an uninterrupted one), and bad input
// exits with code 2 without writing results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSweep } from '../src/sweep/runner.js';
import { readResults } from '../src/sweep/store.js';
import { buildReport, readStore } from '../src/sweep/report.js';

const MAT = fileURLToPath(new URL('../../bin/mat.js', import.meta.url));
const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `mat-sweep-${label}-`));

function doneTimes(root: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'done.json' || e.name === 'model.onnx' || e.name === 'heldout.npz') out.set(path.relative(root, p), fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(root, 'runs'));
  return out;
}

function mat(args: string[]) {
  return spawnSync(process.execPath, [MAT, ...args], { encoding: 'utf8', env: { ...process.env, MAT_THREADS: '1' } });
}

test('a sweep writes every run; a rerun recomputes nothing; another configuration into the folder exits 2', async () => {
  const out = tmp('rerun');
  const opts = { data: 'embeddings', algorithms: ['erm', 'mat'], combos: 2, seeds: 2, steps: 100, out, workers: 2, execution: { threads: 1 }, quiet: true };
  const first = await runSweep(opts);
  assert.equal(first.total, 12, 'XRM is added: (xrm, erm, mat) × 2 combos × 2 seeds');
  assert.equal(first.executed, 12);
  assert.deepEqual(first.failed, []);
  for (const f of ['sweep.json', 'index.jsonl']) assert.ok(fs.existsSync(path.join(out, f)), f);
  const mat0 = path.join(out, 'runs/embeddings/mat/c1-s0');
  for (const f of ['config.json', 'results.jsonl', 'model.onnx', 'done.json']) assert.ok(fs.existsSync(path.join(mat0, f)), f);
  assert.ok(!fs.existsSync(path.join(mat0, 'checkpoint.json')), 'checkpoints are removed once a run is done');
  assert.ok(fs.existsSync(path.join(out, 'runs/embeddings/xrm/c0-s1/heldout.npz')));
  const config = JSON.parse(fs.readFileSync(path.join(mat0, 'config.json'), 'utf8'));
  assert.match(config.heldOutFrom, /^embeddings\/xrm\/c[01]-s0$/);
  const curve = readResults(mat0);
  assert.deepEqual(curve.map((p) => p.step), [0, 100]);
  assert.ok(curve.every((p) => p.valInferred), 'every evaluation carries the XRM-inferred validation groups');
  const index = fs.readFileSync(path.join(out, 'index.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(index.length, 12);
  assert.ok(index.every((r) => r.status === 'ok'));

  const before = doneTimes(out);
  const second = await runSweep(opts);
  assert.equal(second.executed, 0);
  assert.equal(second.skipped, 12);
  assert.deepEqual(doneTimes(out), before, 'no finished file was rewritten');

  const report = buildReport(readStore(out));
  assert.ok(report.cells.every((c) => c.combo !== undefined && c.seeds!.length === 2), 'every method and criterion has a selected combination');

  const sweepJson = fs.readFileSync(path.join(out, 'sweep.json'), 'utf8');
  const other = mat(['sweep', '--data', 'embeddings', '--algorithms', 'erm,mat', '--combos', '3', '--seeds', '2', '--steps', '100', '--out', out, '--quiet']);
  assert.equal(other.status, 2, other.stderr);
  assert.match(other.stderr, /different configuration[\s\S]*combos: 2 \(stored\) vs 3 \(now\)/);
  assert.equal(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8'), sweepJson);
  assert.deepEqual(doneTimes(out), before);
  fs.rmSync(out, { recursive: true, force: true });
});

test('bad input exits 2 and writes nothing', () => {
  const parent = tmp('bad');
  const out = path.join(parent, 'sweep');
  const cases = [
    ['--data', path.join(parent, 'missing.npz')],
    ['--data', 'embeddings', '--algorithms', 'erm,nope'],
    ['--data', 'embeddings', '--combos', '0'],
  ];
  for (const args of cases) {
    const r = mat(['sweep', ...args, '--out', out, '--quiet']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(!fs.existsSync(out), `${args.join(' ')} wrote ${out}`);
  }
  const csv = path.join(parent, 'table.csv');
  fs.writeFileSync(csv, 'f1,f2,y,split\n1,2,0,train\n');
  const r = mat(['sweep', '--data', csv, '--label', 'label', '--out', out, '--quiet']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /column "label" not found/);
  assert.ok(!fs.existsSync(out));
  const report = mat(['report', parent]);
  assert.equal(report.status, 2, report.stderr);
  fs.rmSync(parent, { recursive: true, force: true });
});

test('kill -9 in the middle of a run, then rerun: nothing lost, the same results as an uninterrupted sweep', async () => {
  const args = ['--data', 'embeddings', '--algorithms', 'erm,mat', '--combos', '1', '--seeds', '1', '--steps', '1500', '--workers', '1', '--threads', '1'];
  const reference = tmp('reference');
  const summary = await runSweep({ data: 'embeddings', algorithms: ['erm', 'mat'], combos: 1, seeds: 1, steps: 1500, out: reference, workers: 1, execution: { threads: 1 }, quiet: true });
  assert.equal(summary.executed, 3);

  const out = tmp('killed');
  const child = spawn(process.execPath, [MAT, 'sweep', ...args, '--quiet', '--out', out], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const checkpoint = path.join(out, 'runs/embeddings/mat/c0-s0/checkpoint.json');
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(checkpoint) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(fs.existsSync(checkpoint), 'the MAT run wrote a checkpoint');
  child.kill('SIGKILL');
  await exited;
  assert.ok(!fs.existsSync(path.join(out, 'runs/embeddings/mat/c0-s0/done.json')), 'killed before MAT finished');
  assert.ok(fs.existsSync(path.join(out, 'runs/embeddings/erm/c0-s0/done.json')), 'ERM had finished');
  const ermDone = fs.statSync(path.join(out, 'runs/embeddings/erm/c0-s0/done.json')).mtimeMs;

  const rerun = mat(['sweep', ...args, '--out', out]);
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stderr, /1 run finished now, 1 of them resumed from a checkpoint, 2 already finished/);
  assert.equal(fs.statSync(path.join(out, 'runs/embeddings/erm/c0-s0/done.json')).mtimeMs, ermDone, 'ERM was not recomputed');
  const done = JSON.parse(fs.readFileSync(path.join(out, 'runs/embeddings/mat/c0-s0/done.json'), 'utf8'));
  assert.ok(done.resumedFrom > 0, 'the MAT run resumed from its checkpoint');
  for (const run of ['xrm/c0-s0', 'erm/c0-s0', 'mat/c0-s0']) {
    const a = path.join(reference, 'runs/embeddings', run);
    const b = path.join(out, 'runs/embeddings', run);
    assert.equal(fs.readFileSync(path.join(b, 'results.jsonl'), 'utf8'), fs.readFileSync(path.join(a, 'results.jsonl'), 'utf8'), `${run} results.jsonl`);
    if (!run.startsWith('xrm')) assert.ok(fs.readFileSync(path.join(b, 'model.onnx')).equals(fs.readFileSync(path.join(a, 'model.onnx'))), `${run} model.onnx`);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(b, 'done.json'), 'utf8')).final, JSON.parse(fs.readFileSync(path.join(a, 'done.json'), 'utf8')).final);
    assert.deepEqual(fs.readdirSync(b).filter((f) => f.includes('checkpoint') || f.includes('.tmp-')), [], `${run}: no leftovers`);
  }
  fs.rmSync(reference, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
});
