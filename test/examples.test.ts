// The README's library example runs and does what it says: MAT beats a plain linear head on the
// worst group of the built-in spurious embeddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainMatOnArrays } from '../examples/ownArrays.js';
import { makeSpuriousEmbeddings, mlp, train, evaluate } from '../src/index.js';

test('README example: MAT on user arrays', async () => {
  const ds = makeSpuriousEmbeddings({ seed: 1 });
  const mat = await trainMatOnArrays(ds, { execution: { threads: 1 } });
  const { classifier } = await train(ds, { model: mlp([ds.dim, 2]), optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 }, lr: 1e-3, steps: 2000, batchSize: 128, evalEvery: 0, seed: 0, execution: { threads: 1 } });
  const erm = await evaluate(classifier.predictor, ds, 'test');
  await classifier.dispose();
  assert.ok(mat.worstGroupAcc > erm.worstGroupAcc + 0.1, `MAT ${mat.worstGroupAcc} vs ERM ${erm.worstGroupAcc}`);
});

test('user arrays are checked before training: mismatched lengths, bad labels, NaN features, empty split', async () => {
  const base = makeSpuriousEmbeddings({ seed: 2, nTrain: 50, nVal: 20, nTest: 20, dim: 8 });
  const settings = { model: mlp([8, 2]), optimizer: { kind: 'sgd' } as const, lr: 1e-2, steps: 5, batchSize: 8, evalEvery: 0, seed: 0, execution: { threads: 1 } };
  const bad = (patch: (ds: typeof base) => void) => {
    const ds = structuredClone(base);
    patch(ds);
    return train(ds, settings);
  };
  await assert.rejects(bad((ds) => { ds.train.y = ds.train.y.subarray(1); }), /train\.x: expected 49 rows × 8 features/);
  await assert.rejects(bad((ds) => { ds.train.y[3] = 2; }), /train\.y\[3\] = 2: labels must be integers in 0\.\.1/);
  await assert.rejects(bad((ds) => { ds.val.x[8 * 4 + 2] = NaN; }), /val\.x\[4\]\[2\] = NaN/);
  await assert.rejects(bad((ds) => { ds.test = { x: new Float32Array(0), y: new Int32Array(0) }; }), /test: split has no examples/);
  await assert.rejects(bad((ds) => { ds.train.a = ds.train.a!.subarray(2); }), /train\.a: expected 50 values/);
});
