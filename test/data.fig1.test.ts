import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeFigure1, officialMinorityCount, isMinority } from '../src/data/fig1.js';
import { makeFigure3, figure3TrainIndices, figure3TrueFunction } from '../src/data/fig3.js';
import { loadBuiltin, builtinDatasets } from '../src/data/builtin.js';
import { validateDataset, type Split } from '../src/data/dataset.js';

function column(split: Split, dim: number, j: number, rows: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < split.y.length; i++) if (rows(i)) out.push(split.x[i * dim + j]);
  return out;
}
const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
const std = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, t) => s + (t - m) ** 2, 0) / (v.length - 1));
};
const count = (m: Uint8Array) => m.reduce((s, t) => s + t, 0);

test('fig1: minority count is computed like the official int((1 - 0.9) * 1000) = 99', () => {
  assert.equal(officialMinorityCount(1000, 0.1), 99);
  assert.equal(officialMinorityCount(1000, 0.5), 500);
  assert.equal(officialMinorityCount(1000, 0), 0);
});

test('fig1: shapes, validity, and exact minority counts (99 train, 500 val, 500 test)', () => {
  const ds = makeFigure1({ noise: 0.5, seed: 0 });
  validateDataset(ds);
  assert.equal(ds.dim, 1800);
  assert.equal(ds.numClasses, 2);
  assert.equal(ds.numAttributes, 2);
  for (const split of [ds.train, ds.val, ds.test]) {
    assert.equal(split.y.length, 1000);
    assert.equal(split.x.length, 1000 * 1800);
    assert.equal(split.a!.length, 1000);
  }
  assert.equal(count(isMinority(ds.train)), 99);
  assert.equal(count(isMinority(ds.val)), 500);
  assert.equal(count(isMinority(ds.test)), 500);
  // The attribute is the class the spurious coordinate points to: class 1 sits at negative coordinates.
  for (const split of [ds.train, ds.test]) {
    for (let i = 0; i < split.y.length; i++) {
      assert.equal(split.a![i], split.x[i * ds.dim + 1] < 0 ? 1 : 0, `a[${i}] disagrees with the sign of x_a`);
      assert.equal(split.y[i], split.x[i * ds.dim] < 0 ? 1 : 0, `y[${i}] disagrees with the sign of x_y`);
    }
  }
});

test('fig1: coordinate statistics (x_y ≈ ∓1 ± 0.12, x_a ≈ ∓5 ± 0.6, noise std σ)', () => {
  const noise = 0.5;
  const ds = makeFigure1({ noise, seed: 3 });
  const d = ds.dim;
  const tr = ds.train;
  const minority = isMinority(tr);
  // Labels ~ Bernoulli(0.5): 1000 draws, 4 standard errors = 0.063.
  const frac1 = mean(Array.from(tr.y));
  assert.ok(Math.abs(frac1 - 0.5) < 0.063, `label balance ${frac1}`);
  for (const c of [0, 1]) {
    const sign = c === 1 ? -1 : 1;
    // ≈ 500 points, std 0.12: standard error 0.0054.
    const xy = column(tr, d, 0, (i) => tr.y[i] === c);
    assert.ok(Math.abs(mean(xy) - sign) < 0.03, `mean x_y | y=${c}: ${mean(xy)}`);
    assert.ok(Math.abs(std(xy) - 0.12) < 0.015, `std x_y | y=${c}: ${std(xy)}`);
    // Majority: ≈ 450 points, std 0.6, standard error 0.03. Minority: ≈ 50 points, standard error 0.085.
    const xaMaj = column(tr, d, 1, (i) => tr.y[i] === c && !minority[i]);
    const xaMin = column(tr, d, 1, (i) => tr.y[i] === c && minority[i] === 1);
    assert.ok(Math.abs(mean(xaMaj) - 5 * sign) < 0.15, `mean x_a | majority, y=${c}: ${mean(xaMaj)}`);
    assert.ok(Math.abs(std(xaMaj) - 0.6) < 0.1, `std x_a | majority, y=${c}: ${std(xaMaj)}`);
    assert.ok(Math.abs(mean(xaMin) + 5 * sign) < 0.4, `mean x_a | minority, y=${c}: ${mean(xaMin)}`);
  }
  // Noise block: 1000 × 1798 values; the standard error of the std is ≈ 0.5 / sqrt(2·1.8e6) ≈ 0.0003.
  const values: number[] = [];
  for (let i = 0; i < 1000; i++) for (let j = 2; j < d; j++) values.push(tr.x[i * d + j]);
  assert.ok(Math.abs(mean(values)) < 0.005, `noise mean ${mean(values)}`);
  assert.ok(Math.abs(std(values) - noise) < 0.005, `noise std ${std(values)}`);
  // Noise is independent of the label: the per-class mean of one noise coordinate is ≈ 0 (se ≈ 0.022).
  assert.ok(Math.abs(mean(column(tr, d, 7, (i) => tr.y[i] === 1))) < 0.1);

  const clean = makeFigure1({ noise: 0, seed: 3, dim: 50 });
  for (let i = 0; i < 1000; i++) for (let j = 2; j < 50; j++) assert.equal(clean.train.x[i * 50 + j], 0);
});

test('fig1: same seed gives identical arrays, another seed different ones; splits differ', () => {
  const a = makeFigure1({ noise: 0.5, seed: 7, dim: 40 });
  const b = makeFigure1({ noise: 0.5, seed: 7, dim: 40 });
  const c = makeFigure1({ noise: 0.5, seed: 8, dim: 40 });
  for (const s of ['train', 'val', 'test'] as const) {
    assert.deepEqual(a[s].x, b[s].x);
    assert.deepEqual(a[s].y, b[s].y);
    assert.deepEqual(a[s].a, b[s].a);
    assert.notDeepEqual(a[s].x, c[s].x);
  }
  assert.notDeepEqual(a.train.y, c.train.y);
  assert.notDeepEqual(a.train.x, a.test.x);
  assert.notDeepEqual(a.val.y, a.test.y);
});

test('fig1: options are checked', () => {
  assert.throws(() => makeFigure1({ noise: -1, seed: 0 }), /noise/);
  assert.throws(() => makeFigure1({ noise: 0.5, seed: 0, dim: 1 }), /dim/);
  assert.throws(() => makeFigure1({ noise: 0.5, seed: 0, minorityFraction: 1.5 }), /minorityFraction/);
});

test('fig3: training rows sit on numpy.linspace(0, 999, 20).astype(int) of the grid', () => {
  assert.deepEqual(
    Array.from(figure3TrainIndices(1000, 20)),
    [0, 52, 105, 157, 210, 262, 315, 368, 420, 473, 525, 578, 630, 683, 736, 788, 841, 893, 946, 999],
  );
  const data = makeFigure3({ seed: 123, sigma: 1e-3 });
  assert.equal(data.n, 20);
  assert.equal(data.dim, 31);
  assert.equal(data.x.length, 20 * 31);
  assert.equal(data.y.length, 20);
  assert.equal(data.xGrid.length, 1000 * 31);
  assert.equal(data.yGrid.length, 1000);
  assert.equal(data.xGridCore[0], -1.5);
  assert.equal(data.xGridCore[999], 1.5);
  for (let g = 0; g < 1000; g++) assert.ok(Math.abs(data.yGrid[g] - figure3TrueFunction(data.xGridCore[g])) < 1e-6);
  // Training rows are the grid rows (with their extra coordinates); other grid rows have zeros there.
  const isTrain = new Set(data.trainIndices);
  for (let k = 0; k < 20; k++) {
    const g = data.trainIndices[k];
    assert.deepEqual(data.x.subarray(k * 31, (k + 1) * 31), data.xGrid.subarray(g * 31, (g + 1) * 31));
  }
  for (let g = 0; g < 1000; g++) if (!isTrain.has(g)) for (let j = 1; j < 31; j++) assert.equal(data.xGrid[g * 31 + j], 0);
  // Extra coordinates: 600 values of scale 1e-3 (std's relative standard error ≈ 3%).
  const extra: number[] = [];
  for (let k = 0; k < 20; k++) for (let j = 1; j < 31; j++) extra.push(data.x[k * 31 + j]);
  assert.ok(Math.abs(std(extra) / 1e-3 - 1) < 0.15, `extra std ${std(extra)}`);
  // Label noise 0.08 on 20 points: loose bounds (the sample std of 20 normals is within ±40% w.p. > 0.99).
  const residuals = Array.from(data.y, (t, k) => t - data.yGrid[data.trainIndices[k]]);
  assert.ok(std(residuals) > 0.08 * 0.55 && std(residuals) < 0.08 * 1.45, `label noise std ${std(residuals)}`);

  const ugly = makeFigure3({ seed: 123, sigma: 0 });
  assert.ok(ugly.x.every((v, i) => i % 31 === 0 || v === 0));
  assert.deepEqual(ugly.y, data.y); // label noise does not depend on sigma
  assert.deepEqual(makeFigure3({ seed: 123, sigma: 1e-3 }).x, data.x);
  assert.notDeepEqual(makeFigure3({ seed: 124, sigma: 1e-3 }).x, data.x);
});

test('builtin: loads by name, applies defaults, rejects unknown names and options', () => {
  assert.deepEqual(Object.keys(builtinDatasets).sort(), ['cmnist', 'embeddings', 'fig1']);
  const ds = loadBuiltin('fig1', { noise: 0, seed: 1, dim: 10 });
  validateDataset(ds);
  assert.equal(ds.dim, 10);
  assert.deepEqual(ds.train.x, makeFigure1({ noise: 0, seed: 1, dim: 10 }).train.x);
  const small = loadBuiltin('embeddings', { dim: 16, nTrain: 100, nVal: 40, nTest: 40 });
  validateDataset(small);
  assert.equal(small.train.y.length, 100);
  assert.throws(() => loadBuiltin('waterbirds', {}), (e: Error) => /unknown built-in dataset "waterbirds"/.test(e.message) && /fig1, cmnist, embeddings/.test(e.message));
  assert.throws(() => loadBuiltin('fig1', { nosie: 0.5 }), /unknown option "nosie".*noise/);
  assert.throws(() => loadBuiltin('fig1', { noise: Number.NaN }), /finite number/);
});
