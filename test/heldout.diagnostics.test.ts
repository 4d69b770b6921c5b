// The held-out signal, checked where the answer is known, and the rules built on it: XRM's flip
// rates across the search space, the selection rules, and the convergence warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../src/data/builtin.js';
import type { Dataset, Split } from '../src/data/dataset.js';
import { convergenceOf, type ConvergencePoint } from '../src/eval/convergence.js';
import type { Evaluation } from '../src/eval/metrics.js';
import { fit } from '../src/experiments/fit.js';
import { heldOutFor } from '../src/experiments/method.js';
import { presetFor } from '../src/experiments/presets.js';
import { heldOutDiagnostics } from '../src/heldout/diagnostics.js';
import { runXrm } from '../src/heldout/xrm.js';
import { applyTrainingHParams, drawHParams, searchSpace } from '../src/sweep/hparams.js';
import { selectXrmRun } from '../src/sweep/selection.js';
import type { DoneRecord } from '../src/sweep/store.js';
import { Rng } from '../src/util/random.js';
import { SCALE_KINDS, scaleData } from './scaleData.js';

const threads = { threads: 1 };

test('ColorMNIST: XRM\'s held-out mistakes are the colour-disagrees-with-label groups, per class', async () => {
  const ds = loadBuiltin('cmnist');
  const ho = await heldOutFor(ds, presetFor(ds), 0, { execution: threads });
  const d = heldOutDiagnostics(ho, ds);
  for (const split of [d.train, d.val]) {
    for (const c of split.perClass) {
      assert.ok(c.precision! >= 0.9 && c.recall! >= 0.9, `${split.marks}, class ${c.label}: precision ${c.precision}, recall ${c.recall}`);
      assert.ok(c.lift! > 5, `class ${c.label}: lift ${c.lift}`);
    }
  }
  assert.ok(Math.abs(d.flipRate - (1 - d.heldOutAccuracy)) < 0.03);
  assert.match(d.verdict, /match the minority groups/);
  assert.doesNotMatch(d.verdict, /do not match/);
});

test('embeddings (group-balanced validation): the minority of each class is its minority in training', async () => {
  // In validation every group has about 300 examples, so counting there would make the minority of
  // one class its a = y group and report the inferred groups as backwards.
  const ds = loadBuiltin('embeddings');
  const d = heldOutDiagnostics(await heldOutFor(ds, presetFor(ds), 0, { execution: threads }), ds);
  for (const split of [d.train, d.val]) {
    for (const c of split.perClass) {
      assert.ok(c.precision! >= 0.9 && c.recall! >= 0.9, `${split.marks}, class ${c.label}: precision ${c.precision}, recall ${c.recall}`);
    }
  }
  assert.match(d.verdict, /match the minority groups/);
});

/** Gaussian features, a label direction, 20% label noise, and an attribute drawn independently of everything. */
function labelNoiseOnly(seed: number): Dataset {
  const rng = new Rng(seed);
  const dim = 32;
  const split = (n: number): Split => {
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const clean = rng.int(2);
      for (let j = 0; j < dim; j++) x[i * dim + j] = rng.normal() + (j === 0 ? 3 * (2 * clean - 1) : 0);
      y[i] = rng.bernoulli(0.2) ? 1 - clean : clean;
      a[i] = rng.bernoulli(0.4) ? 1 : 0;
    }
    return { x, y, a };
  };
  return { name: 'label-noise', dim, numClasses: 2, numAttributes: 2, train: split(1500), val: split(800), test: split(800) };
}

test('label noise and no spurious attribute: the held-out mistakes match no group (XRM and K-fold)', async () => {
  const ds = labelNoiseOnly(3);
  for (const source of ['xrm', 'kfold']) {
    const ho = await heldOutFor(ds, presetFor(ds), 0, { execution: threads, heldOutSource: source });
    const d = heldOutDiagnostics(ho, ds);
    for (const split of [d.train, d.val]) {
      for (const c of split.perClass) {
        // The mistakes are the mislabelled 20%, whatever their attribute: lift ≈ 1, recall ≈ the error rate.
        assert.ok(c.lift! > 0.75 && c.lift! < 1.3, `${source} ${split.marks}, class ${c.label}: lift ${c.lift}`);
        assert.ok(Math.abs(c.recall! - c.errorRate) < 0.1, `${source} class ${c.label}: recall ${c.recall}, error rate ${c.errorRate}`);
      }
    }
    assert.match(d.verdict, /do not match/, `${source}: ${d.verdict}`);
  }
});

for (const kind of SCALE_KINDS) {
  test(`${kind}: XRM over 10 random combinations of the search space: no flip rate above twice the median`, async () => {
    const ds = scaleData(kind, 0);
    const preset = presetFor(ds);
    const rates: number[] = [];
    for (let combo = 1; combo <= 10; combo++) {
      const settings = applyTrainingHParams(preset.xrm, drawHParams(searchSpace('xrm', 'linear', preset.xrm), combo));
      rates.push((await runXrm(ds, { ...settings, seed: 0, execution: threads })).flipRate);
    }
    const sorted = [...rates].sort((a, b) => a - b);
    const median = (sorted[4] + sorted[5]) / 2;
    assert.ok(median > 0, `${kind}: every flip rate is 0`);
    assert.ok(sorted[9] <= 2 * median, `${kind}: flip rates ${rates.map((r) => r.toFixed(3)).join(', ')}`);
  });
}

test('XRM selection: the official rule takes the largest flip rate; "capped" leaves out a runaway run', () => {
  const rec = (flipRate: number, degenerate = false): DoneRecord => ({ status: 'ok', id: 'x', finishedAt: '', seconds: 0, steps: 1, flipRate, degenerate });
  const runs = [
    { combo: 0, record: rec(0.08) },
    { combo: 1, record: rec(0.41) },
    { combo: 2, record: rec(0.09) },
    { combo: 3, record: rec(0.5, true) },
    { combo: 4, record: { ...rec(0.07), status: 'diverged' as const } },
  ];
  assert.equal(selectXrmRun(runs), 1);
  assert.equal(selectXrmRun(runs, 'flip'), 1);
  assert.equal(selectXrmRun(runs, 'capped'), 2);
  assert.equal(selectXrmRun([{ combo: 5, record: rec(0.3) }], 'capped'), 5);
});

/** A curve point with given validation worst-group accuracy and, optionally, training metrics. */
function point(step: number, vaWga: number, train?: { loss: number; acc: number; wga?: number }): ConvergencePoint {
  const val: Evaluation = { n: 40, avgAcc: vaWga, worstGroupAcc: vaWga, groupAcc: [], groupCounts: [10, 10, 10, 10], worstClassAcc: vaWga, balancedAcc: vaWga, classAcc: [], classCounts: [20, 20] };
  const out: ConvergencePoint = { step, val, test: val };
  if (train) {
    out.train = { ...val, avgAcc: train.acc, worstGroupAcc: train.wga ?? train.acc, groupCounts: [10, 10, 10, 10], classCounts: [20, 20] };
    out.trainLoss = train.loss;
  }
  return out;
}

test('convergence warnings: underfit, selected step last while rising, selected step 0; none for a flat or converged curve', () => {
  const ln2 = Math.log(2);
  const underfit = convergenceOf([point(0, 0.5), point(100, 0.5), point(200, 0.52, { loss: 0.95 * ln2, acc: 0.55 })], 'va_wga');
  assert.ok(underfit.warnings.some((w) => w.startsWith('underfit') && /learned almost nothing/.test(w)), underfit.warnings.join('\n'));
  assert.ok(underfit.warnings.some((w) => /is the last one/.test(w)));
  const minority = convergenceOf([point(0, 0.5), point(100, 0.6), point(200, 0.55, { loss: 0.2, acc: 0.9, wga: 0.03 })], 'va_wga');
  assert.ok(minority.warnings.some((w) => /worst training group/.test(w)), minority.warnings.join('\n'));
  const step0 = convergenceOf([point(0, 0.7), point(100, 0.6), point(200, 0.5, { loss: 0.1, acc: 1 })], 'va_wga');
  assert.deepEqual(step0.warnings.length, 1);
  assert.match(step0.warnings[0], /step 0/);
  const fine = convergenceOf([point(0, 0.5), point(100, 0.8), point(200, 0.8, { loss: 0.1, acc: 1 })], 'va_wga');
  assert.deepEqual(fine.warnings, []);
  assert.equal(fine.finalTrainLoss, 0.1);
  assert.equal(fine.finalTrainAccuracy, 1);
});

test('a real underfit run is reported: bag-of-words, unscaled, learning rate 1e-5', async () => {
  const ds = scaleData('bow', 0);
  const clf = await fit(ds, { method: 'erm', seed: 0, lr: 1e-5, preset: { scale: 'none' }, execution: threads });
  const c = convergenceOf(clf.curve, 'va_wga');
  await clf.dispose();
  assert.ok(c.finalTrainLoss! > 0.6, `loss ${c.finalTrainLoss}`);
  assert.ok(c.warnings.some((w) => w.startsWith('underfit')), c.warnings.join('\n'));
  const scaled = await fit(ds, { method: 'erm', seed: 0, execution: threads });
  const ok = convergenceOf(scaled.curve, 'va_wga');
  await scaled.dispose();
  assert.ok(!ok.warnings.some((w) => w.startsWith('underfit')), ok.warnings.join('\n'));
  assert.ok(ok.finalTrainAccuracy! > 0.95);
});
