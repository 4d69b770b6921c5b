// The random-search registry (design.md 2.4): reproducible draws seeded by (combination, name),
// combination 0 = the defaults, and a new hyperparameter leaves the other draws unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALGORITHMS } from '../src/algorithms/registry.js';
import { algorithmHParams, applyTrainingHParams, drawHParams, searchSpace, trainingSpace, type HParamSpace } from '../src/sweep/hparams.js';
import { loadBuiltin } from '../src/data/builtin.js';
import { presetFor } from '../src/experiments/presets.js';

const linearDefaults = { lr: 1e-3, batchSize: 128 as const, optimizer: { kind: 'sgd' as const, momentum: 0.9, weightDecay: 1e-4 } };

test('combination 0 is the preset values and the algorithm defaults', () => {
  for (const algorithm of ALGORITHMS) {
    const hp = drawHParams(searchSpace(algorithm.name, 'linear', linearDefaults), 0);
    assert.equal(hp.lr, 1e-3);
    assert.equal(hp.batch_size, 128);
    assert.equal(hp.weight_decay, 1e-4);
    for (const [name, spec] of Object.entries(algorithm.hparams)) assert.equal(hp[name], spec.default, `${algorithm.name}.${name}`);
  }
  const fig1 = presetFor(loadBuiltin('fig1', { n: 20, dim: 10 }));
  assert.equal(drawHParams(searchSpace('erm', 'linear', fig1.train), 0).batch_size, 'full');
});

test('draws are reproducible and within the ranges of design.md 2.4', () => {
  const space = searchSpace('mat', 'linear', linearDefaults);
  const lrs = new Set<number>();
  for (let combo = 1; combo <= 200; combo++) {
    const a = drawHParams(space, combo);
    assert.deepEqual(drawHParams(space, combo), a);
    const lr = a.lr as number;
    const wd = a.weight_decay as number;
    const b = a.batch_size as number;
    assert.ok(lr >= 1e-5 && lr < 1e-3, `lr ${lr}`);
    assert.ok(wd >= 1e-6 && wd < 1e-3, `weight decay ${wd}`);
    assert.ok(Number.isInteger(b) && b >= 32 && b < 128, `batch ${b}`);
    assert.ok([0.001, 0.01, 0.1].includes(a.tau as number));
    lrs.add(lr);
  }
  assert.ok(lrs.size > 190, 'combinations differ');
  const mlp = trainingSpace('mlp', { lr: 1e-3, batchSize: 64, optimizer: { kind: 'adam' } });
  assert.deepEqual(Object.keys(mlp).sort(), ['batch_size', 'lr']);
  for (let combo = 1; combo <= 100; combo++) {
    const b = drawHParams(mlp, combo).batch_size as number;
    assert.ok(Number.isInteger(b) && b >= 8 && b < 64, `batch ${b}`);
  }
  const eta = drawHParams(searchSpace('xrm+groupdro', 'linear', linearDefaults), 7).eta as number;
  assert.ok(eta >= 1e-3 && eta < 1e-1);
});

test('adding a hyperparameter does not change the other draws; the same name draws the same under every algorithm', () => {
  const base = searchSpace('erm', 'linear', linearDefaults);
  const extended: HParamSpace = { ...base, aaa_new: { default: 1, sample: (rng) => rng.uniform(), description: 'new' } };
  for (let combo = 0; combo < 20; combo++) {
    const before = drawHParams(base, combo);
    const after = drawHParams(extended, combo);
    for (const name of Object.keys(before)) assert.equal(after[name], before[name], `combo ${combo} ${name}`);
    const mat = drawHParams(searchSpace('mat', 'linear', linearDefaults), combo);
    const xrm = drawHParams(searchSpace('xrm', 'linear', linearDefaults), combo);
    assert.equal(mat.lr, before.lr);
    assert.equal(xrm.weight_decay, before.weight_decay);
  }
});

test('a combination applies to the training settings and the algorithm hyperparameters separately', () => {
  const hp = drawHParams(searchSpace('mat', 'linear', linearDefaults), 3);
  const settings = applyTrainingHParams({ ...linearDefaults, steps: 10 }, hp);
  assert.equal(settings.lr, hp.lr);
  assert.equal(settings.batchSize, hp.batch_size);
  assert.equal(settings.optimizer.weightDecay, hp.weight_decay);
  assert.equal(settings.optimizer.momentum, 0.9);
  assert.equal(linearDefaults.optimizer.weightDecay, 1e-4, 'the preset is not modified');
  assert.deepEqual(Object.keys(algorithmHParams(hp)).sort(), ['calibration', 'tau']);
});
