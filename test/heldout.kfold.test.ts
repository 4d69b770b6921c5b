// K-fold cross-fitting: every training example's held-out logits come from a model that did not
// train on it. On Figure 1 with noise the held-in fit is perfect, while the held-out predictions
// follow the spurious coordinate: right on the majority, wrong on the minority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../src/data/builtin.js';
import { heldOut } from '../src/heldout/index.js';
import { predictionsFromLogits } from '../src/eval/metrics.js';
import { presetFor } from '../src/experiments/presets.js';

test('K-fold held-out predictions miss the minority that the held-in fit memorizes', async () => {
  const ds = loadBuiltin('fig1', { noise: 0.5, seed: 0 });
  const { train } = presetFor(ds, { noise: 0.5 });
  const r = await heldOut(ds, { source: 'kfold', folds: 2, model: train.model, optimizer: train.optimizer, lr: train.lr, steps: train.steps, batchSize: 'full', seed: 0, execution: { threads: 1 } });
  const n = ds.train.y.length;
  assert.equal(r.source, 'kfold');
  assert.equal(r.heldOutLogits.length, n * 2);
  const heldOutPred = predictionsFromLogits(r.heldOutLogits, n, 2);
  const heldInPred = predictionsFromLogits(r.heldInLogits, n, 2);
  let minority = 0, minorityRight = 0, majority = 0, majorityRight = 0, heldInRight = 0;
  for (let i = 0; i < n; i++) {
    const y = ds.train.y[i];
    if (heldInPred[i] === y) heldInRight++;
    if (ds.train.a![i] === y) { majority++; if (heldOutPred[i] === y) majorityRight++; }
    else { minority++; if (heldOutPred[i] === y) minorityRight++; }
  }
  assert.ok(heldInRight / n > 0.99, `held-in accuracy ${heldInRight / n}`);
  assert.ok(majorityRight / majority > 0.95, `held-out majority accuracy ${majorityRight / majority}`);
  assert.ok(minorityRight / minority < 0.3, `held-out minority accuracy ${minorityRight / minority}`);
  // Inferred groups (class × held-out mistake) find the minority.
  const mistakes = Array.from(r.trainInferredGroups).filter((g) => g % 2 === 1).length;
  assert.ok(Math.abs(mistakes - minority) <= 0.3 * minority, `${mistakes} inferred mistakes vs ${minority} minority`);
});

test('an unknown held-out source is rejected', async () => {
  const ds = loadBuiltin('fig1', { noise: 0.5, seed: 0 });
  const { train } = presetFor(ds);
  await assert.rejects(heldOut(ds, { source: 'loo' as 'kfold', model: train.model, optimizer: train.optimizer, lr: 0.01, steps: 1, batchSize: 'full', seed: 0 }), /'xrm' or 'kfold'/);
});
