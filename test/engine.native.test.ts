// The row gathers (by the addon and by the plain loop) and the addon's fused updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAddon, resolveExecution } from '../src/engine/execution.js';
import { gatherRows } from '../src/engine/gather.js';
import { validateDataset, type Dataset } from '../src/data/dataset.js';
import { Rng } from '../src/util/random.js';

// Skipped when the addon is not built or is turned off (MAT_NATIVE=0).
const native = resolveExecution().native;
const skip = !native && 'the native addon is not in use';
const PATHS = native ? [{ native: true }, { native: false }] : [{ native: false }];

for (const execution of PATHS) {
  const name = execution.native ? 'addon' : 'plain loop';
  test(`gatherRows (${name}) copies the asked rows in order, and rejects rows out of range`, () => {
    const d = 3;
    const src = Float32Array.from({ length: 5 * d }, (_, i) => i);
    const rows = Int32Array.from([4, 0, 4, 2]);
    const dst = new Float32Array(rows.length * d);
    gatherRows(execution, src, d, rows, dst);
    assert.deepEqual(Array.from(dst), [12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8]);
    assert.throws(() => gatherRows(execution, src, d, Int32Array.from([5]), new Float32Array(d)), /out of range/);
    assert.throws(() => gatherRows(execution, src, d, Int32Array.from([0, 1]), new Float32Array(d)), /too small/);
  });
}

test('the fused updates give the same bits on one thread and split across threads', { skip }, () => {
  const k = nativeAddon({ native });
  const n = 300_001; // large enough to be split, and not a multiple of the split
  const rng = new Rng(5);
  const start = () => ({
    p: Float32Array.from({ length: n }, () => rng.normal()),
    g: Float32Array.from({ length: n }, () => rng.normal()),
    a: Float32Array.from({ length: n }, () => rng.normal() * 0.1),
    b: Float32Array.from({ length: n }, () => Math.abs(rng.normal()) * 0.1),
  });
  const s = start();
  const one = { p: s.p.slice(), a: s.a.slice(), b: s.b.slice() };
  const split = { p: s.p.slice(), a: s.a.slice(), b: s.b.slice() };
  // Many loops in a row: helpers that wake late must neither miss work nor touch the next loop's.
  for (let step = 0; step < 40; step++) {
    k.adam(one.p, s.g, one.a, one.b, 0.9, 0.999, 1e-4, 1e-3, 1e-8, 1, 1);
    k.adam(split.p, s.g, split.a, split.b, 0.9, 0.999, 1e-4, 1e-3, 1e-8, 1, 4);
    k.sgd(one.p, s.g, one.a, 0.01, 0.9, 1e-4, true, 1);
    k.sgd(split.p, s.g, split.a, 0.01, 0.9, 1e-4, true, 4);
  }
  assert.notDeepEqual(one.p, s.p, 'the updates changed the parameters');
  assert.deepEqual(split.p, one.p);
  assert.deepEqual(split.a, one.a);
  assert.deepEqual(split.b, one.b);
});

test('validateDataset names the first NaN or infinity in the features, at any position, and passes finite data', () => {
  const d = 4;
  const n = 3 * 1024 + 5;
  const x = Float32Array.from({ length: n * d }, (_, i) => (i % 5 === 0 ? 0 : (i % 2 ? 3.4e38 : -1e-45)));
  const split = (xs: Float32Array) => ({ x: xs, y: new Int32Array(n) });
  const ds = (xs: Float32Array): Dataset => ({ name: 't', dim: d, numClasses: 2, numAttributes: 1, train: split(xs), val: split(x), test: split(x) });
  validateDataset(ds(x));
  for (const at of [0, 4095, 4096, n * d - 1]) {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const y = x.slice();
      y[at] = bad;
      if (at + 7 < n * d) y[at + 7] = NaN; // a later one does not win
      assert.throws(() => validateDataset(ds(y)), new RegExp(`train\\.x\\[${Math.floor(at / d)}\\]\\[${at % d}\\] = ${bad}`), `${bad} at ${at}`);
    }
  }
});
