// The optional native kernels: the row gather matches the plain TypeScript copy. (Whether they were
// built shows in `npm run bench`, which prints where the optimizer runs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatherRows, gatherRowsAsync, nativeKernels } from '../src/engine/native.js';

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
