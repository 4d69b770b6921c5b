import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { makeColorMnist, loadMnistDigits, CMNIST_DIM, type ColorMnistDataset } from '../src/data/cmnist.js';
import { validateDataset, groupsOf, type SplitName } from '../src/data/dataset.js';

// Built once: the first call decodes the mnist package (the load-time check below measures it).
const t0 = performance.now();
const ds: ColorMnistDataset = makeColorMnist({ seed: 0 });
const firstLoadMs = performance.now() - t0;

const rate = (flags: boolean[]) => flags.filter(Boolean).length / flags.length;
/** Four binomial standard errors: a correct generator fails this with probability ≈ 6e-5 per check. */
const tol = (p: number, n: number) => 4 * Math.sqrt((p * (1 - p)) / n);

test('cmnist: decoding the mnist package and building the dataset takes well under 2 s', () => {
  assert.ok(firstLoadMs < 2000, `first makeColorMnist took ${firstLoadMs.toFixed(0)} ms`);
  const t = performance.now();
  makeColorMnist({ seed: 1 });
  assert.ok(performance.now() - t < 500, 'a cached rebuild should be fast');
});

test('cmnist: the mnist package holds 10,000 digits ordered by digit', () => {
  const src = loadMnistDigits();
  assert.equal(src.count, 10000);
  assert.equal(src.pixels.length, 10000 * 784);
  for (let i = 1; i < src.count; i++) assert.ok(src.digits[i] >= src.digits[i - 1], 'rows must be ordered by digit');
  assert.equal(src.digits[0], 0);
  assert.equal(src.digits[9999], 9);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of src.pixels) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
});

test('cmnist: shapes, validity and a partition of the 10,000 digits into 5,000 / 2,000 / 3,000', () => {
  validateDataset(ds);
  assert.equal(ds.dim, CMNIST_DIM);
  assert.equal(ds.dim, 392);
  assert.equal(ds.numClasses, 2);
  assert.equal(ds.numAttributes, 2);
  assert.equal(ds.train.y.length, 5000);
  assert.equal(ds.val.y.length, 2000);
  assert.equal(ds.test.y.length, 3000);
  const seen = new Uint8Array(10000);
  for (const s of ['train', 'val', 'test'] as const) {
    for (const id of ds[s].ids!) {
      assert.equal(seen[id], 0, `source row ${id} used twice`);
      seen[id] = 1;
    }
  }
  assert.ok(seen.every((v) => v === 1));
  // All four (label, colour) groups occur in every split.
  for (const s of ['train', 'val', 'test'] as const) {
    const counts = [0, 0, 0, 0];
    for (const g of groupsOf(ds[s], 2)) counts[g]++;
    assert.ok(counts.every((c) => c > 0), `${s} group counts ${counts}`);
  }
});

test('cmnist: images are the 14×14 subsample in the colour channel, the other channel is zero', () => {
  const src = loadMnistDigits();
  for (const s of ['train', 'val', 'test'] as const) {
    const split = ds[s];
    for (let i = 0; i < split.y.length; i++) {
      const id = split.ids![i];
      assert.equal(ds.digits[s][i], src.digits[id]);
      const colour = split.a![i];
      const row = i * 392;
      for (let r = 0; r < 14; r++) {
        for (let c = 0; c < 14; c++) {
          const want = src.pixels[id * 784 + 2 * r * 28 + 2 * c];
          assert.equal(split.x[row + colour * 196 + r * 14 + c], want);
          assert.equal(split.x[row + (1 - colour) * 196 + r * 14 + c], 0);
        }
      }
    }
  }
});

test('cmnist: label noise ≈ 0.25 and colour–label disagreement ≈ 0.2 / 0.1 (train, val) and 0.9 (test)', () => {
  for (const s of ['train', 'val', 'test'] as const satisfies readonly SplitName[]) {
    const split = ds[s];
    const n = split.y.length;
    const noisy = Array.from(split.y, (y, i) => y !== (ds.digits[s][i] < 5 ? 1 : 0));
    assert.ok(Math.abs(rate(noisy) - 0.25) < tol(0.25, n), `${s} label noise ${rate(noisy)}`);
    const disagree = Array.from(split.y, (y, i) => y !== split.a![i]);
    const expected = s === 'test' ? 0.9 : 0.15;
    assert.ok(Math.abs(rate(disagree) - expected) < tol(expected, n), `${s} colour–label disagreement ${rate(disagree)}`);
    for (const env of s === 'test' ? [2] : [0, 1]) {
      const inEnv = disagree.filter((_, i) => ds.environments[s][i] === env);
      const e = ds.environmentColorNoise[env];
      assert.ok(Math.abs(rate(inEnv) - e) < tol(e, inEnv.length), `${s} environment ${env}: ${rate(inEnv)} vs ${e}`);
    }
  }
  assert.deepEqual(ds.environmentColorNoise, [0.2, 0.1, 0.9]);
  // Train and val are split half and half between the two environments.
  assert.equal(ds.environments.train.filter((e) => e === 0).length, 2500);
  assert.equal(ds.environments.val.filter((e) => e === 1).length, 1000);
});

test('cmnist: same seeds give identical arrays; the noise seed and the split seed act separately', () => {
  const again = makeColorMnist({ seed: 0 });
  const other = makeColorMnist({ seed: 1 });
  const otherSplit = makeColorMnist({ seed: 0, splitSeed: 99 });
  for (const s of ['train', 'val', 'test'] as const) {
    assert.deepEqual(again[s].x, ds[s].x);
    assert.deepEqual(again[s].y, ds[s].y);
    assert.deepEqual(again[s].a, ds[s].a);
    assert.deepEqual(other[s].ids, ds[s].ids); // same partition
    assert.notDeepEqual(other[s].y, ds[s].y); // different noise
    assert.notDeepEqual(otherSplit[s].ids, ds[s].ids); // different partition
  }
  assert.throws(() => makeColorMnist({ labelNoise: 2 }), /labelNoise/);
});
