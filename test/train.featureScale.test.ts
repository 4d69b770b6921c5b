// Linear heads at any feature scale: zero initialisation as the official code, standardisation
// inside the model, and the defaults against an independent float64 logistic-regression reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../src/data/builtin.js';
import { groupBalancedWeights, groupsOf, numGroups, type Dataset } from '../src/data/dataset.js';
import { trainingStatistics } from '../src/data/standardize.js';
import { createSession, tensor } from '../src/engine/session.js';
import { fit } from '../src/experiments/fit.js';
import { presetFor } from '../src/experiments/presets.js';
import { runMethod } from '../src/experiments/method.js';
import { applyTrainingHParams, drawHParams, searchSpace } from '../src/sweep/hparams.js';
import { Rng } from '../src/util/random.js';
import { mlp, modelFromJSON } from '../src/nn/models.js';
import { compilePredictor } from '../src/nn/classifier.js';
import { fitLogistic, predictLogistic } from './logisticReference.js';
import { SCALE_KINDS, scaleData } from './scaleData.js';

const SEEDS = [0, 1, 2];
const accuracy = (pred: Int32Array, y: Int32Array) => pred.reduce((s, v, i) => s + (v === y[i] ? 1 : 0), 0) / y.length;
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

/** Test average accuracy of the default linear head (final step) and of the reference, over the seeds. */
async function compare(kind: (typeof SCALE_KINDS)[number], method: 'erm' | 'rwg', scale?: 'none') {
  const ours: number[] = [];
  const reference: number[] = [];
  for (const seed of SEEDS) {
    const ds = scaleData(kind, seed);
    const weights = method === 'rwg' ? Float64Array.from(groupBalancedWeights(groupsOf(ds.train, ds.numAttributes), numGroups(ds))) : undefined;
    // λ = the default weight decay: the objective the default training minimises.
    const ref = fitLogistic(ds.train.x, ds.train.y, ds.dim, ds.numClasses, { lambda: 1e-4, weights });
    assert.ok(ref.gradNorm < 1e-6, `${kind}: the reference did not converge (‖∇‖∞ ${ref.gradNorm})`);
    reference.push(accuracy(predictLogistic(ref, ds.test.x, ds.dim, ds.numClasses), ds.test.y));
    const clf = await fit(ds, { method, seed, preset: scale ? { scale } : undefined, evalEvery: 0, execution: { threads: 1 } });
    ours.push(clf.curve[clf.curve.length - 1].test.avgAcc);
    await clf.dispose();
  }
  return { ours: mean(ours), reference: mean(reference) };
}

for (const kind of SCALE_KINDS) {
  test(`${kind}: ERM with the defaults within 3 points of a converged L2 logistic regression (3 seeds)`, async () => {
    const { ours, reference } = await compare(kind, 'erm');
    assert.ok(ours >= reference - 0.03, `${kind}: ERM ${ours.toFixed(3)}, logistic regression ${reference.toFixed(3)}`);
  });
  test(`${kind}: RWG with the defaults within 3 points of a group-reweighted logistic regression (3 seeds)`, async () => {
    const { ours, reference } = await compare(kind, 'rwg');
    assert.ok(ours >= reference - 0.03, `${kind}: RWG ${ours.toFixed(3)}, reweighted logistic regression ${reference.toFixed(3)}`);
  });
}

for (const kind of SCALE_KINDS) {
  test(`${kind}: the search space holds good settings in the scaled regime (≥ 3 of 10 combinations within 3 points of the reference)`, async () => {
    const ds = scaleData(kind, 0);
    const ref = fitLogistic(ds.train.x, ds.train.y, ds.dim, ds.numClasses, { lambda: 1e-4 });
    const reference = accuracy(predictLogistic(ref, ds.test.x, ds.dim, ds.numClasses), ds.test.y);
    const preset = presetFor(ds);
    const results: string[] = [];
    let good = 0;
    for (let combo = 1; combo <= 10; combo++) {
      const hp = drawHParams(searchSpace('erm', 'linear', preset.train), combo);
      const run = await runMethod(ds, { ...preset, train: { ...applyTrainingHParams(preset.train, hp), evalEvery: 0 } }, 'erm', 0, { execution: { threads: 1 } });
      await run.result.classifier.dispose();
      const acc = run.final.test.avgAcc;
      if (acc >= reference - 0.03) good++;
      results.push(`lr ${Number(hp.lr).toExponential(1)}: ${acc.toFixed(3)}`);
    }
    assert.ok(good >= 3, `${kind}: reference ${reference.toFixed(3)}; ${results.join(', ')}`);
  });
}

test('bag-of-words: without scaling (--scale none) the defaults underfit, as reported', async () => {
  const { ours, reference } = await compare('bow', 'erm', 'none');
  assert.ok(ours < reference - 0.1, `unscaled ERM ${ours.toFixed(3)} vs ${reference.toFixed(3)}`);
});

test('linear heads start at zero (weights and bias, as the official code); ColorMNIST keeps its Xavier MLP', () => {
  const ds = scaleData('gaussian', 0);
  const params = presetFor(ds).train.model.init(new Rng(1));
  assert.ok(params.every((p) => p.every((v) => v === 0)));
  const cmnist = presetFor(loadBuiltin('cmnist')).train.model;
  assert.equal(cmnist.toJSON().init, 'xavier');
  assert.equal(cmnist.toJSON().inputScaling, undefined);
  assert.ok(cmnist.init(new Rng(1))[0].some((v) => v !== 0));
  assert.equal(presetFor(loadBuiltin('fig1', { n: 20, dim: 10 })).train.model.toJSON().inputScaling, undefined);
});

test('statistics: constant columns get scale 1, others 1/σ; the cache serves one array per training split', () => {
  const x = Float32Array.from([1, 5, 2, 5, 3, 5, 4, 5]);
  const ds: Pick<Dataset, 'dim' | 'train'> = { dim: 2, train: { x, y: new Int32Array(4) } };
  const s = trainingStatistics(ds);
  assert.deepEqual(Array.from(s.mean), [2.5, 5]);
  assert.ok(Math.abs(s.scale[0] - 1 / Math.sqrt(1.25)) < 1e-6);
  assert.equal(s.scale[1], 1);
  assert.equal(trainingStatistics(ds), s);
});

test('the scaling is part of the model: model.onnx takes raw features and gives the logits training saw', async () => {
  const ds = scaleData('gaussian', 0);
  // A constant column: centred, never divided by zero.
  for (const split of [ds.train, ds.val, ds.test]) for (let i = 0; i < split.y.length; i++) split.x[i * ds.dim + 3] = 7;
  const clf = await fit(ds, { method: 'erm', seed: 0, steps: 200, evalEvery: 0, execution: { threads: 1 } });
  const bytes = clf.exportBytes();
  const session = await createSession(bytes);
  const n = ds.test.y.length;
  const out = await session.run({ x: tensor('float32', ds.test.x, [n, ds.dim]) });
  const logits = out.logits.data as Float32Array;
  assert.ok(logits.every(Number.isFinite));
  // Against the same model computed by hand on z-scores: W·((x − μ)·s) + b.
  const json = clf.settings.model.toJSON();
  const scaling = json.inputScaling!;
  assert.equal(scaling.scale[3] > 0, true);
  const [w, b] = clf.parameters();
  let maxDiff = 0;
  for (let i = 0; i < 50; i++) {
    for (let c = 0; c < ds.numClasses; c++) {
      let s = b[c];
      for (let j = 0; j < ds.dim; j++) s += w[c * ds.dim + j] * (ds.test.x[i * ds.dim + j] - scaling.mean[j]) * scaling.scale[j];
      maxDiff = Math.max(maxDiff, Math.abs(s - logits[i * ds.numClasses + c]));
    }
  }
  assert.ok(maxDiff < 1e-3, `max logit difference ${maxDiff}`);
  const pred = await clf.predict(ds.test.x);
  let agree = 0;
  for (let i = 0; i < n; i++) agree += pred[i] === (logits[2 * i + 1] > logits[2 * i] ? 1 : 0) ? 1 : 0;
  assert.ok(agree >= n - 1);
  await session.release();
  await clf.dispose();
});


test('input scaling without a bias (applied to the input) and with one (folded into the layer) give W·((x − μ)·s) + b', async () => {
  const rng = new Rng(4);
  const d = 5, k = 3, n = 4;
  const inputScaling = { mean: Float32Array.from({ length: d }, () => rng.normal()), scale: Float32Array.from({ length: d }, () => 0.5 + rng.uniform()) };
  const x = Float32Array.from({ length: n * d }, () => 3 * rng.normal());
  for (const bias of [false, true]) {
    const model = mlp([d, k], { bias, inputScaling });
    const params = model.params.map((p) => Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
    const predictor = await compilePredictor(model, () => params.map((p, i) => tensor('float32', p, model.params[i].shape)), { threads: 1 });
    const logits = await predictor.run(x, n);
    await predictor.dispose();
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = bias ? params[1][c] : 0;
        for (let j = 0; j < d; j++) s += params[0][c * d + j] * (x[i * d + j] - inputScaling.mean[j]) * inputScaling.scale[j];
        assert.ok(Math.abs(s - logits[i * k + c]) < 1e-4, `bias ${bias}, row ${i}, class ${c}: ${logits[i * k + c]} vs ${s}`);
      }
    }
    // The description rebuilds the same model.
    assert.deepEqual(modelFromJSON(model.toJSON()).toJSON(), model.toJSON());
  }
});

test('the test datasets have the scales they claim', () => {
  const rowNorms = (ds: Dataset) => Array.from({ length: ds.train.y.length }, (_, i) => Math.hypot(...ds.train.x.subarray(i * ds.dim, (i + 1) * ds.dim)));
  const pixels = scaleData('pixels', 0);
  assert.ok(pixels.train.x.every((v) => v >= 0 && v <= 1));
  assert.ok(rowNorms(scaleData('bow', 0)).every((v) => Math.abs(v - 1) < 1e-5));
  const norms = rowNorms(scaleData('gaussian', 0));
  assert.ok(mean(norms) > 30 && mean(norms) < 50 && Math.min(...norms) > 25 && Math.max(...norms) < 55, `norms ${Math.min(...norms)}–${Math.max(...norms)}`);
});
