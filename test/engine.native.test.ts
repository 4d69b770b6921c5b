// The optional native kernels: the row gather matches the plain TypeScript copy. (Whether they were
// built shows in `npm run bench`, which prints where the optimizer runs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstNonFinite, gatherRows, gatherRowsAsync, nativeKernels } from '../src/engine/native.js';
import { Rng } from '../src/util/random.js';

test('gatherRows copies the asked rows in order, and rejects rows out of range', { skip: !nativeKernels() && 'native kernels not built' }, () => {
  const d = 3;
  const src = Float32Array.from({ length: 5 * d }, (_, i) => i);
  const rows = Int32Array.from([4, 0, 4, 2]);
  const dst = new Float32Array(rows.length * d);
  gatherRows(src, d, rows, dst);
  assert.deepEqual(Array.from(dst), [12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8]);
  assert.throws(() => gatherRows(src, d, Int32Array.from([5]), new Float32Array(d)), /out of range/);
  assert.throws(() => gatherRows(src, d, Int32Array.from([0, 1]), new Float32Array(d)), /too small/);
});

test('gatherRowsAsync copies on a worker thread and rejects rows out of range', async () => {
  const d = 4;
  const src = Float32Array.from({ length: 6 * d }, (_, i) => i / 2);
  const rows = Int32Array.from([5, 1, 1]);
  const dst = new Float32Array(rows.length * d);
  await gatherRowsAsync(src, d, rows, dst);
  const expected = new Float32Array(rows.length * d);
  gatherRows(src, d, rows, expected);
  assert.deepEqual(dst, expected);
  assert.equal(dst[0], 10);
  if (nativeKernels()) await assert.rejects(gatherRowsAsync(src, d, Int32Array.from([6]), new Float32Array(d)), /out of range/);
});

test('the fused updates give the same bits on one thread and split across threads', { skip: !nativeKernels() && 'native kernels not built' }, () => {
  const k = nativeKernels()!;
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

test('adamColumns gives the same bits on one thread and split across threads (by rows)', { skip: !nativeKernels() && 'native kernels not built' }, () => {
  const k = nativeKernels()!;
  const [rows, d] = [390, 392]; // ColorMNIST's first layer: large enough to be split
  const cols = Int32Array.from({ length: 150 }, (_, j) => Math.floor(j * 2.6)); // increasing, with runs and gaps
  const rng = new Rng(8);
  const p = Float32Array.from({ length: rows * d }, () => rng.normal());
  const one = { p: p.slice(), m: new Float32Array(rows * d), v: new Float32Array(rows * d) };
  const split = { p: p.slice(), m: new Float32Array(rows * d), v: new Float32Array(rows * d) };
  for (let step = 0; step < 20; step++) {
    const g = Float32Array.from({ length: rows * cols.length }, () => rng.normal());
    k.adamColumns(one.p, g, one.m, one.v, rows, d, cols, cols.length, 0.9, 0.999, 1e-4, 1e-3, 1e-8, 1, 1);
    k.adamColumns(split.p, g, split.m, split.v, rows, d, cols, cols.length, 0.9, 0.999, 1e-4, 1e-3, 1e-8, 1, 4);
  }
  assert.notDeepEqual(one.p, p, 'the updates changed the parameters');
  assert.deepEqual(split.p, one.p);
  assert.deepEqual(split.m, one.m);
  assert.deepEqual(split.v, one.v);
});

test('firstNonFinite finds the first NaN or infinity, at any position, and nothing in finite data', () => {
  const n = 3 * 4096 + 17; // several blocks and a partial one
  const x = Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : (i % 2 ? 3.4e38 : -1e-45)));
  assert.equal(firstNonFinite(x), -1);
  assert.equal(firstNonFinite(new Float32Array(0)), -1);
  for (const at of [0, 4095, 4096, n - 1]) {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const y = x.slice();
      y[at] = bad;
      if (at + 7 < n) y[at + 7] = NaN; // a later one does not win
      assert.equal(firstNonFinite(y), at, `${bad} at ${at}`);
    }
  }
});
