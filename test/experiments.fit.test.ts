// fit(): the one-call entry point gives the same model as the stages it strings together, takes
// plain arrays, predicts and exports consistently, and rejects bad input at its boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSpuriousEmbeddings } from '../src/data/embeddings.js';
import { createSession, ort } from '../src/engine/session.js';
import { fit } from '../src/experiments/fit.js';
import { heldOutFor, runMethod } from '../src/experiments/method.js';
import { presetFor } from '../src/experiments/presets.js';
import { InputError } from '../src/util/errors.js';

const small = () => makeSpuriousEmbeddings({ seed: 5, dim: 16, nTrain: 400, nVal: 120, nTest: 160 });
const quick = { steps: 300, evalEvery: 100, execution: { threads: 1 } };

test('fit(mat) equals the held-out stage then runMethod with the same seed, and improves on ERM\'s worst group', async () => {
  const ds = small();
  const clf = await fit(ds, { method: 'mat', hparams: { tau: 0.1 }, seed: 2, ...quick });
  const preset = presetFor(ds);
  Object.assign(preset.train, { steps: 300, evalEvery: 100 });
  preset.xrm.steps = 300;
  const ho = await heldOutFor(ds, preset, 2, { execution: { threads: 1 } });
  const run = await runMethod(ds, preset, 'mat', 2, { hparams: { tau: 0.1 }, heldOut: ho, execution: { threads: 1 } });
  await run.result.classifier.dispose();
  assert.deepEqual(clf.curve.map((p) => p.test.worstGroupAcc), run.curve.map((p) => p.test.worstGroupAcc));
  assert.deepEqual(clf.heldOut!.result.heldOutLogits, ho.heldOutLogits);
  assert.equal(clf.heldOut!.source, 'xrm');
  assert.ok(clf.heldOut!.accuracy > 0.5 && clf.heldOut!.accuracy < 1, `held-out accuracy ${clf.heldOut!.accuracy}`);
  assert.equal(clf.method, 'mat');
  assert.equal(clf.hparams.tau, 0.1);
  const erm = await fit(ds, { method: 'erm', seed: 2, ...quick });
  assert.equal(erm.heldOut, undefined, 'ERM uses no held-out predictions');
  const [m, e] = [await clf.evaluate('test'), await erm.evaluate('test')];
  assert.ok(m.worstGroupAcc > e.worstGroupAcc, `MAT ${m.worstGroupAcc} vs ERM ${e.worstGroupAcc}`);
  await clf.dispose();
  await erm.dispose();
});

test('plain arrays: rows as number[][], sizes inferred; predict, predictProba, evaluate and the exported model agree', async () => {
  const ds = small();
  const d = ds.dim;
  const rows = (x: Float32Array) => Array.from({ length: x.length / d }, (_, r) => Array.from(x.subarray(r * d, (r + 1) * d)));
  const plain = {
    train: { x: rows(ds.train.x), y: Array.from(ds.train.y), a: Array.from(ds.train.a!) },
    val: { x: rows(ds.val.x), y: Array.from(ds.val.y), a: Array.from(ds.val.a!) },
    test: { x: rows(ds.test.x), y: Array.from(ds.test.y), a: Array.from(ds.test.a!) },
  };
  const clf = await fit(plain, { method: 'erm', ...quick });
  assert.equal(clf.dataset.dim, d);
  assert.equal(clf.dataset.numClasses, 2);
  assert.equal(clf.dataset.numAttributes, 2);
  const proba = await clf.predictProba(plain.test.x);
  const labels = await clf.predict(ds.test.x);
  const n = ds.test.y.length;
  let right = 0;
  for (let r = 0; r < n; r++) {
    assert.ok(Math.abs(proba[2 * r] + proba[2 * r + 1] - 1) < 1e-6, `row ${r} sums to 1`);
    assert.equal(labels[r], proba[2 * r + 1] > proba[2 * r] ? 1 : 0, `row ${r}: predict is the argmax`);
    if (labels[r] === ds.test.y[r]) right++;
  }
  const test = await clf.evaluate('test');
  assert.equal(test.avgAcc, right / n);
  assert.equal(test.groupCounts.length, 4);
  // The exported model computes the same logits (softmax of them: the probabilities).
  const session = await createSession(clf.exportBytes(), { threads: 1 });
  const out = await session.run({ x: new ort.Tensor('float32', ds.test.x, [n, d]) });
  const logits = out.logits.data as Float32Array;
  for (let r = 0; r < n; r++) {
    const p1 = 1 / (1 + Math.exp(logits[2 * r] - logits[2 * r + 1]));
    assert.ok(Math.abs(p1 - proba[2 * r + 1]) < 1e-5, `row ${r}: ${p1} vs ${proba[2 * r + 1]}`);
  }
  await session.release();
  await clf.dispose();
  await assert.rejects(clf.predict(ds.test.x), /disposed/);
});

test('K-fold as the held-out source, by name with its settings', async () => {
  const ds = small();
  const clf = await fit(ds, { method: 'xrm+groupdro', heldOut: { source: 'kfold', folds: 3 }, ...quick, steps: 100 });
  assert.equal(clf.heldOut!.source, 'kfold');
  assert.equal(clf.heldOut!.flipRate, 0);
  await clf.dispose();
});

test('bad input fails at the boundary with an InputError that names the array and the index', async () => {
  const ds = small();
  const row = Array.from(ds.train.x.subarray(0, ds.dim));
  const base = { train: { x: [row, row, row.slice(1)], y: [0, 1, 0] } };
  await assert.rejects(fit(base, quick), (e: Error) => e instanceof InputError && /train\.x\[2\]: expected 16 features, got 15/.test(e.message));
  await assert.rejects(fit({ train: { x: [row, row], y: [0, 1.5] } }, quick), /train\.y\[1\] = 1\.5: expected an integer/);
  await assert.rejects(fit({ train: { x: [row, [...row.slice(1), NaN]], y: [0, 1] } }, quick), (e: Error) => e instanceof InputError && /train\.x\[1\]\[15\] = NaN/.test(e.message));
  await assert.rejects(fit({ train: { x: new Float32Array(4), y: [0, 1] } }, quick), /give dim/);
  await assert.rejects(fit(ds, { ...quick, method: 'magic' }), /unknown algorithm "magic"/);
  await assert.rejects(fit(ds, { ...quick, method: 'mat', heldOut: 'oracle' }), /held-out source must be/);
  await assert.rejects(fit(ds, { ...quick, method: 'mat', hparams: { tau: -1 } }), /tau = -1 is not valid/);
});
