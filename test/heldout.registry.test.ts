// The held-out sources are one registry: heldOut(), the experiment layer and the sweep find them
// there by name, so that K-fold serves a sweep as XRM does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinDatasets } from '../src/data/builtin.js';
import { BUILTIN_EXPERIMENTS, presetFor } from '../src/experiments/presets.js';
import { familyOf } from '../src/experiments/datasets.js';
import { HELD_OUT_SOURCES, getHeldOutSource, isHeldOutSource } from '../src/heldout/registry.js';
import { loadBuiltin } from '../src/data/builtin.js';
import { searchSpace } from '../src/sweep/hparams.js';
import { makeSweepConfig, runSweep } from '../src/sweep/runner.js';
import { readDone, readHeldOut } from '../src/sweep/store.js';

const sweepOpts = { data: 'embeddings', combos: 1, seeds: 1, out: '/nonexistent' };

test('the registry names XRM and K-fold; an unknown name lists them', () => {
  assert.deepEqual(HELD_OUT_SOURCES.map((s) => s.name), ['xrm', 'kfold']);
  assert.ok(isHeldOutSource('kfold') && !isHeldOutSource('mat'));
  assert.throws(() => getHeldOutSource('loo'), /'xrm' or 'kfold', got 'loo'/);
  assert.equal(getHeldOutSource('kfold').totalSteps({ steps: 10, folds: 3 } as never), 40, 'K-fold trains folds + 1 models');
});

test('the sweep asks the registry: the named source feeds the others, XRM when none is named, never two', () => {
  assert.deepEqual(makeSweepConfig({ ...sweepOpts, algorithms: ['mat', 'kfold'] }).algorithms, ['kfold', 'mat']);
  assert.deepEqual(makeSweepConfig({ ...sweepOpts, algorithms: ['erm', 'mat'] }).algorithms, ['xrm', 'erm', 'mat']);
  assert.deepEqual(makeSweepConfig({ ...sweepOpts, algorithms: ['erm'] }).algorithms, ['erm']);
  assert.throws(() => makeSweepConfig({ ...sweepOpts, algorithms: ['xrm', 'kfold', 'mat'] }), /one held-out source/);
  assert.throws(() => makeSweepConfig({ ...sweepOpts, algorithms: ['nope'] }), /xrm, kfold/);
  const space = searchSpace('kfold', 'linear', { lr: 1e-3, batchSize: 32, optimizer: { kind: 'sgd' } });
  assert.deepEqual(Object.keys(space).sort(), ['batch_size', 'lr', 'weight_decay'], 'a source has training hyperparameters only');
});

test('each built-in dataset has its row (loader, preset, family) in the experiments table', () => {
  assert.deepEqual(Object.keys(BUILTIN_EXPERIMENTS).sort(), Object.keys(builtinDatasets).sort());
  for (const [name, row] of Object.entries(BUILTIN_EXPERIMENTS)) {
    assert.equal(row.dataset, builtinDatasets[name]);
    assert.equal(familyOf({ kind: 'builtin', key: name, name }), row.family);
  }
  const cmnist = presetFor(loadBuiltin('cmnist'));
  assert.equal(cmnist.xrm.batchSize, 64);
  assert.equal(presetFor(loadBuiltin('fig1', { noise: 0 }), { noise: 0 }).train.lr, 3e-2);
});

test('a sweep with K-fold as its held-out source: MAT trains on the K-fold predictions', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-kfold-sweep-'));
  const summary = await runSweep({ ...sweepOpts, algorithms: ['mat', 'kfold'], steps: 20, out, workers: 1, execution: { threads: 1 }, quiet: true });
  assert.deepEqual(summary.failed, []);
  assert.equal(summary.executed, 2);
  const matDir = path.join(out, 'runs/embeddings/mat/c0-s0');
  assert.equal(JSON.parse(fs.readFileSync(path.join(matDir, 'config.json'), 'utf8')).heldOutFrom, 'embeddings/kfold/c0-s0');
  assert.equal(readDone(matDir)!.status, 'ok');
  const ho = readHeldOut(path.join(out, 'runs/embeddings/kfold/c0-s0'));
  assert.equal(ho.source, 'kfold');
  assert.equal(ho.flipRate, 0);
  fs.rmSync(out, { recursive: true, force: true });
});
