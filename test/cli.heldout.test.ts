// The command line's held-out choices and diagnostics: mat train and mat sweep with --heldout,
// --folds, --scale and --xrm-select, and what mat report shows of the held-out signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Dataset } from '../src/data/dataset.js';
import { writeNpz } from '../src/data/files/npy.js';
import { scaleData } from './scaleData.js';

const bin = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'mat.js');
const mat = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, MAT_THREADS: '1' } });

/** The dataset as one .npz with x, y, a and split arrays (0 train, 1 val, 2 test). */
function saveNpz(ds: Dataset, file: string): void {
  const splits = [ds.train, ds.val, ds.test];
  const n = splits.reduce((s, p) => s + p.y.length, 0);
  const x = new Float32Array(n * ds.dim);
  const y = new Int32Array(n);
  const a = new Int32Array(n);
  const split = new Int32Array(n);
  let row = 0;
  splits.forEach((p, code) => {
    x.set(p.x, row * ds.dim);
    y.set(p.y, row);
    a.set(p.a!, row);
    split.fill(code, row, row + p.y.length);
    row += p.y.length;
  });
  writeNpz(file, { x: { data: x, shape: [n, ds.dim] }, y, a, split });
}

test('mat train --heldout kfold --folds 3 --json: held-out diagnostics and convergence in the summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mat-heldout-'));
  try {
    const file = join(dir, 'pixels.npz');
    saveNpz(scaleData('pixels', 0), file);
    const r = mat('train', '--data', file, '--attr', 'a', '--algorithm', 'mat', '--heldout', 'kfold', '--folds', '3', '--steps', '500', '--json', '--no-cache');
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout.trim());
    assert.equal(s.heldOut.source, 'kfold');
    assert.equal(s.heldOut.train.perClass.length, 2);
    // K-fold's mistakes concentrate in the minority (lift well above the 1 of mistakes that ignore groups).
    assert.ok(s.heldOut.val.recall > 0.5 && s.heldOut.val.perClass.every((c: { lift: number }) => c.lift > 3), JSON.stringify(s.heldOut.val));
    assert.ok(Number.isFinite(s.convergence.finalTrainLoss) && s.convergence.finalTrainAccuracy > 0.8, JSON.stringify(s.convergence));
    assert.ok(Array.isArray(s.convergence.warnings));
    // The words, without --json.
    const text = mat('train', '--data', file, '--attr', 'a', '--algorithm', 'mat', '--steps', '500', '--no-cache', '--quiet');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /held-out signal \(xrm\): flip rate/);
    assert.match(text.stdout, /match the minority groups/);
    assert.match(text.stdout, /final training loss/);
    // Bad choices exit 2 before training.
    for (const [args, message] of [
      [['--heldout', 'jackknife'], /held-out source must be/],
      [['--folds', '3'], /--folds applies to --heldout kfold/],
      [['--scale', 'minmax'], /--scale must be/],
    ] as const) {
      const bad = mat('train', '--data', file, '--attr', 'a', '--algorithm', 'mat', ...args);
      assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mat train warns in words when an unscaled run underfits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mat-underfit-'));
  try {
    const file = join(dir, 'bow.npz');
    saveNpz(scaleData('bow', 0), file);
    const r = mat('train', '--data', file, '--attr', 'a', '--algorithm', 'erm', '--scale', 'none', '--lr', '1e-5', '--no-cache', '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /warning: underfit: the training loss ended at/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mat sweep --heldout kfold --folds 2 --xrm-select capped: the report shows the held-out signal per dataset and seed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mat-sweep-heldout-'));
  try {
    const file = join(dir, 'gaussian.npz');
    saveNpz(scaleData('gaussian', 0), file);
    const out = join(dir, 'sweep');
    const r = mat('sweep', '--data', file, '--attr', 'a', '--algorithms', 'erm,mat', '--heldout', 'kfold', '--folds', '2', '--xrm-select', 'capped',
      '--combos', '2', '--seeds', '1', '--steps', '300', '--workers', '1', '--out', out, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const config = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).config;
    assert.deepEqual(config.algorithms, ['kfold', 'erm', 'mat']);
    assert.equal(config.folds, 2);
    assert.equal(config.xrmSelect, 'capped');
    const done = JSON.parse(readFileSync(join(out, 'runs', 'gaussian', 'kfold', 'c0-s0', 'done.json'), 'utf8'));
    assert.equal(done.diagnostics.source, 'kfold');
    const erm = JSON.parse(readFileSync(join(out, 'runs', 'gaussian', 'erm', 'c0-s0', 'done.json'), 'utf8'));
    assert.ok(Number.isFinite(erm.final.trainLoss) && erm.final.trainAvg > 0.5, JSON.stringify(erm.final));
    const rep = mat('report', out, '--json');
    assert.equal(rep.status, 0, rep.stderr);
    const report = JSON.parse(rep.stdout);
    assert.equal(report.xrm.length, 1);
    assert.ok(report.xrm[0].diagnostics.val.recall > 0.5 && report.xrm[0].diagnostics.val.perClass.every((c: { lift: number }) => c.lift > 3), JSON.stringify(report.xrm[0].diagnostics.val));
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /## Held-out signal of the selected runs/);
    assert.match(md, /at most twice the median/);
    const bad = mat('sweep', '--data', file, '--attr', 'a', '--algorithms', 'xrm,mat', '--heldout', 'kfold', '--out', join(dir, 'x'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /name one held-out source/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
