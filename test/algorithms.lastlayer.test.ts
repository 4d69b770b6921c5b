// DFR and AFR: the arithmetic they rest on (balanced subsets, AFR's weights), their bad inputs, and
// what they are for: on spurious embeddings, a last layer that reads the planted core direction
// where ERM's reads the spurious one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afrSplit, afrWeights } from '../src/algorithms/afr.js';
import { dfrLastLayer, featureScaler } from '../src/algorithms/dfr.js';
import { lastLayer, penultimateFeatures, setLastLayer } from '../src/algorithms/lastLayer.js';
import { compileClassifier } from '../src/nn/classifier.js';
import { mlp } from '../src/nn/models.js';
import { checkRunRequest, getAlgorithm, runAlgorithm } from '../src/algorithms/registry.js';
import { loadBuiltin } from '../src/data/builtin.js';
import { groupBalancedSubset, groupsOf, numGroups } from '../src/data/dataset.js';
import { EMBEDDINGS_DEFAULTS, type SpuriousEmbeddingsDataset } from '../src/data/embeddings.js';
import { fit } from '../src/experiments/fit.js';
import { runMethod } from '../src/experiments/method.js';
import { linearHeadPreset, presetFor } from '../src/experiments/presets.js';
import { selectStep } from '../src/eval/selection.js';
import { InputError } from '../src/util/errors.js';
import { Rng } from '../src/util/random.js';

test('group-balanced subsets: every present group cut to the smallest one, distinct rows of the right groups, a new draw each time', () => {
  const groups = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 3, 3, 3, 0, 3]); // group 2 absent; group 1 has 2 rows
  const rng = new Rng(1);
  const draws = new Set<string>();
  for (let t = 0; t < 20; t++) {
    const rows = groupBalancedSubset(groups, 4, rng);
    assert.equal(new Set(rows).size, rows.length);
    const counts = [0, 0, 0, 0];
    for (const r of rows) counts[groups[r]]++;
    assert.deepEqual(counts, [2, 2, 0, 2]);
    draws.add(rows.join(','));
  }
  assert.ok(draws.size > 5, `only ${draws.size} different subsets in 20 draws`);
});

test('DFR refits on balanced subsets of the validation set and tunes C on the other half', () => {
  const ds = loadBuiltin('embeddings', { seed: 1, nTrain: 400, nVal: 400, nTest: 100, dim: 8 });
  const n = ds.val.y.length;
  const groups = groupsOf(ds.val, ds.numAttributes);
  const counts = [0, 0, 0, 0];
  for (const g of groups) counts[g]++;
  const out = dfrLastLayer({
    features: ds.val.x, y: ds.val.y, groups, numGroups: 4, d: 8, k: 2, scaler: featureScaler(ds.train.x, ds.train.y.length, 8),
    retrains: 3, refit: 'full', intercept: true, rng: new Rng(2),
  });
  // The final fits use the whole validation set: 4 groups × the smallest group.
  assert.equal(out.record.subsetRows, 4 * Math.min(...counts));
  assert.equal(out.record.tuning.length, 7);
  assert.equal(out.record.selection.n, Math.floor(n / 2));
  assert.equal(out.record.tuning.find((t) => t.C === out.record.C)!.worstGroupAcc, Math.max(...out.record.tuning.map((t) => t.worstGroupAcc)));
  const half = dfrLastLayer({
    features: ds.val.x, y: ds.val.y, groups, numGroups: 4, d: 8, k: 2, scaler: featureScaler(ds.train.x, ds.train.y.length, 8),
    C: 0.3, retrains: 2, refit: 'half', intercept: true, rng: new Rng(2),
  });
  assert.equal(half.record.C, 0.3);
  assert.deepEqual(half.record.tuning, []);
  assert.ok(half.record.subsetRows < out.record.subsetRows);
});

test("AFR's weights on a hand-computed example", () => {
  // p(y|x): 0.5, 0.75, 0.75 (logit gaps 0 and ln 3); classes 0, 0, 1 → class factors 3/2, 3/2, 3.
  const logits = [0, 0, Math.log(3), 0, 0, Math.log(3)];
  const y = Int32Array.from([0, 0, 1]);
  const w = afrWeights(logits, y, 2, 2);
  const raw = [Math.exp(-1) * 1.5, Math.exp(-1.5) * 1.5, Math.exp(-1.5) * 3];
  const total = raw[0] + raw[1] + raw[2];
  raw.forEach((r, i) => assert.ok(Math.abs(w[i] - r / total) < 1e-12, `weight ${i}: ${w[i]} against ${r / total}`));
  // 0.3547, 0.2151, 0.4302 to four places.
  assert.deepEqual([...w].map((v) => v.toFixed(4)), ['0.3547', '0.2151', '0.4302']);
  const plain = afrWeights(logits, y, 2, 2, false);
  assert.ok(Math.abs(plain[0] / plain[1] - Math.exp(0.5)) < 1e-12);
  assert.ok(Math.abs(plain[1] - plain[2]) < 1e-15);
});

test("AFR's split: a seeded partition of the training rows in the given proportion", () => {
  const { first, second } = afrSplit(100, 0.8, 3);
  assert.equal(first.length, 80);
  assert.equal(second.length, 20);
  assert.equal(new Set([...first, ...second]).size, 100);
  assert.deepEqual(afrSplit(100, 0.8, 3).first, first);
  assert.notDeepEqual(afrSplit(100, 0.8, 4).first, first);
});

test('bad input: DFR without validation attributes names --attr; AFR with a first-stage fraction outside (0, 1)', () => {
  const ds = loadBuiltin('embeddings', { seed: 0, nTrain: 50, nVal: 20, nTest: 20, dim: 4 });
  const bare = { ...ds, val: { x: ds.val.x, y: ds.val.y } };
  assert.throws(() => checkRunRequest(getAlgorithm('dfr'), bare), (e: unknown) => e instanceof InputError && /validation attribute/.test(e.message) && /--attr/.test(e.message));
  for (const f of [0, 1, 1.5, -0.2]) {
    assert.throws(() => checkRunRequest(getAlgorithm('afr'), ds, { firstStageFraction: f }), (e: unknown) => e instanceof InputError && /firstStageFraction/.test(e.message));
  }
});

const bin = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'mat.js');
const mat = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, MAT_THREADS: '1' } });

test('the command line exits 2 on both, with the message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mat-lastlayer-'));
  try {
    const file = join(dir, 'data.csv');
    const lines = ['f1,f2,y,split'];
    for (let i = 0; i < 30; i++) lines.push(`${i % 7},${(i * 3) % 5},${i % 2},${['train', 'val', 'test'][i % 3]}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const dfr = mat('train', '--data', file, '--label', 'y', '--split', 'split', '--algorithm', 'dfr', '--quiet');
    assert.equal(dfr.status, 2, dfr.stderr);
    assert.match(dfr.stderr, /DFR[^\n]*validation attribute[^\n]*--attr/);
    const out = join(dir, 'sweep');
    const sweep = mat('sweep', '--data', file, '--label', 'y', '--split', 'split', '--algorithms', 'erm,dfr', '--combos', '1', '--seeds', '1', '--out', out, '--quiet');
    assert.equal(sweep.status, 2, sweep.stderr);
    assert.match(sweep.stderr, /DFR[^\n]*--attr/);
    const afr = mat('train', '--data', 'embeddings', '--algorithm', 'afr', '--hparam', 'firstStageFraction=1', '--quiet', '--no-cache');
    assert.equal(afr.status, 2, afr.stderr);
    assert.match(afr.stderr, /firstStageFraction = 1 is not valid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The core direction's share of the logit swing: how far the logit difference moves between the two
 * values of the core coordinate (±coreMean) against the two values of the spurious one (±spuriousMean).
 * Below 0.5, the spurious feature moves the decision more than the core one.
 */
function coreShare(w: Float32Array, ds: SpuriousEmbeddingsDataset): number {
  const d = ds.dim;
  let core = 0;
  let spurious = 0;
  for (let j = 0; j < d; j++) {
    const v = w[d + j] - w[j];
    core += v * ds.coreDirection[j];
    spurious += v * ds.spuriousDirection[j];
  }
  const coreSwing = Math.abs(core) * EMBEDDINGS_DEFAULTS.coreMean;
  const spuriousSwing = Math.abs(spurious) * EMBEDDINGS_DEFAULTS.spuriousMean;
  return coreSwing / (coreSwing + spuriousSwing);
}

test('on spurious embeddings DFR and AFR recover the planted core direction and ERM does not (3 seeds)', async () => {
  const shares: Record<string, number[]> = { erm: [], dfr: [], afr: [] };
  const worst: Record<string, number[]> = { erm: [], dfr: [], afr: [] };
  for (let seed = 0; seed < 3; seed++) {
    const ds = loadBuiltin('embeddings', { seed, dim: 32, nTrain: 2000, nVal: 600, nTest: 1000 }) as SpuriousEmbeddingsDataset;
    // On the raw features (no input scaling), where the head's weights are directions of the input;
    // the pull λ suits these small raw features (the defaults are for standardised heads).
    const settings = { ...linearHeadPreset(ds, { scale: 'none' }).train, steps: 1000, evalEvery: 0, seed, execution: { threads: 1 } };
    for (const method of ['erm', 'dfr', 'afr']) {
      const r = await runAlgorithm(getAlgorithm(method), { dataset: ds, settings, hparams: method === 'dfr' ? { retrains: 5 } : method === 'afr' ? { gamma: 6, lambda: 0.01 } : {} });
      shares[method].push(coreShare(r.classifier.step.parameters()[0], ds));
      worst[method].push(r.curve.at(-1)!.test.worstGroupAcc);
      await r.classifier.dispose();
    }
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const summary = JSON.stringify({ shares, worst });
  // Measured: ERM 0.38–0.39, DFR 0.92–0.99, AFR 0.72–0.89.
  assert.ok(Math.max(...shares.erm) < 0.45, `ERM leans on the spurious direction: ${summary}`);
  assert.ok(Math.min(...shares.dfr) > 0.85, summary);
  assert.ok(Math.min(...shares.afr) > 0.6 && mean(shares.afr) > 0.7, summary);
  assert.ok(mean(worst.dfr) > mean(worst.erm) + 0.2, summary);
  assert.ok(mean(worst.afr) > mean(worst.erm) + 0.2, summary);
});

test('AFR with its defaults on the built-in embeddings (standardised head): above ERM on every seed, by 15 points on average', async () => {
  const worst: Record<string, number[]> = { erm: [], afr: [] };
  for (const seed of [0, 1, 2]) {
    const ds = loadBuiltin('embeddings', { seed });
    for (const method of ['erm', 'afr']) {
      const run = await runMethod(ds, presetFor(ds), method, seed, { execution: { threads: 1 } });
      worst[method].push(selectStep(run.curve, 'va_wga').test.worstGroupAcc);
      await run.result.classifier.dispose();
    }
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  // Measured: ERM 0.435, AFR 0.704 (means); with the earlier γ = 10, λ = 30, AFR got 0.570.
  assert.ok(worst.afr.every((v, i) => v > worst.erm[i]), JSON.stringify(worst));
  assert.ok(mean(worst.afr) > mean(worst.erm) + 0.15, JSON.stringify(worst));
});

test('fit() runs both as library calls; DFR needs validation groups through fit too', async () => {
  const ds = loadBuiltin('embeddings', { seed: 0, nTrain: 300, nVal: 200, nTest: 200, dim: 8 });
  const clf = await fit(ds, { method: 'afr', steps: 100, hparams: { gamma: 6 }, execution: { threads: 1 } });
  assert.equal(clf.method, 'afr');
  assert.equal(clf.hparams.gamma, 6);
  assert.equal(clf.curve.length, 1);
  const probs = await clf.predictProba(ds.test.x);
  assert.equal(probs.length, ds.test.y.length * 2);
  await clf.dispose();
  const arrays = { dim: 8, train: { x: ds.train.x, y: ds.train.y }, val: { x: ds.val.x, y: ds.val.y }, test: { x: ds.test.x, y: ds.test.y } };
  await assert.rejects(fit(arrays, { method: 'dfr', steps: 10 }), /--attr/);
  assert.equal(numGroups(ds), 4);
});

test('on an MLP the last layer reads the penultimate activations: a layer written back gives features·Wᵀ + b', async () => {
  const model = mlp([4, 5, 3]);
  const clf = await compileClassifier(model, { optimizer: { kind: 'sgd' }, initialParams: model.init(new Rng(1)), execution: { threads: 1 } });
  try {
    const rng = new Rng(2);
    const n = 6;
    const x = Float32Array.from({ length: n * 4 }, () => rng.normal());
    const h = await penultimateFeatures(clf, x, n, { execution: { threads: 1 } });
    // The hidden layer by hand: relu(x·W0ᵀ + b0).
    const [w0, b0] = clf.step.parameters();
    for (let i = 0; i < n; i++) {
      for (let u = 0; u < 5; u++) {
        let s = b0[u];
        for (let j = 0; j < 4; j++) s += w0[u * 4 + j] * x[i * 4 + j];
        assert.ok(Math.abs(h[i * 5 + u] - Math.max(0, s)) < 1e-5);
      }
    }
    const w = Float32Array.from({ length: 15 }, () => rng.normal());
    const b = Float32Array.from([0.5, -1, 2]);
    setLastLayer(clf, w, b);
    assert.deepEqual(lastLayer(clf).w, w);
    assert.deepEqual(clf.step.parameters()[0], w0);
    const logits = await clf.predictor.run(x, n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        let s = b[c];
        for (let u = 0; u < 5; u++) s += w[c * 5 + u] * h[i * 5 + u];
        assert.ok(Math.abs(logits[i * 3 + c] - s) < 1e-4, `${logits[i * 3 + c]} against ${s}`);
      }
    }
  } finally {
    await clf.dispose();
  }
});
