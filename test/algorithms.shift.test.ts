import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeShift, calibrationTable, heldOutProbabilities, matShift, shiftRows } from '../src/algorithms/shift.js';
import { flipProbability, flipLabels } from '../src/heldout/xrm.js';
import { Rng } from '../src/util/random.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

// Three examples, three classes, τ = 1, logits = log q so that softmax gives q back.
const q = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]];
const y = [0, 1, 0];
const logits = Float32Array.from(q.flat().map(Math.log));

test('calibration table on a hand-computed 3-class example', () => {
  const probs = heldOutProbabilities(logits, 3, 3, 1);
  const table = calibrationTable(probs, y, 3);
  // Rows: held-out class; columns: true class. Class 2 has no examples.
  const expected = [[0.9, 0.1, 0], [1 / 3, 2 / 3, 0], [0.875, 0.125, 0]];
  expected.flat().forEach((v, i) => close(table[i], v, 1e-6));
});

test('MAT shift on a hand-computed 3-class example', () => {
  const shift = matShift(logits, y, 3, 1);
  // shift_0 = log(q_0 · C + 1e-6): 0.7·0.9 + 0.2/3 + 0.1·0.875 = 0.7841667, etc.
  close(shift[0], Math.log(0.7841666667 + 1e-6), 1e-5);
  close(shift[1], Math.log(0.2158333333 + 1e-6), 1e-5);
  close(shift[2], Math.log(1e-6), 1e-4);
  // Example 1: 0.1·0.9 + 0.8/3 + 0.1·0.875 = 0.4441667
  close(shift[3], Math.log(0.4441666667 + 1e-6), 1e-5);
});

test('the temperature sharpens q: τ = 0.001 gives one-hot held-out probabilities', () => {
  const probs = heldOutProbabilities(Float32Array.from([2, 0, 0, 2.001]), 2, 2, 0.001);
  assert.deepEqual(Array.from(probs), [1, 0, 0, 1]);
  // At τ = 1 the same logits give a soft distribution.
  assert.ok(Math.abs(heldOutProbabilities(Float32Array.from([2, 0]), 1, 2, 1)[0] - 1 / (1 + Math.exp(-2))) < 1e-12);
});

test('per-batch calibration never gives NaN, even when a held-out class is absent at τ = 0.001', () => {
  // Every example's held-out prediction is class 0; softmax(h / 0.001) underflows to exactly 0 for class 1.
  const h = Float32Array.from([5, 0, 4, 0, 6, 1, 3, 0]);
  const probs = heldOutProbabilities(h, 4, 2, 0.001);
  assert.equal(probs[1], 0);
  const rows = Int32Array.from([0, 2]);
  const table = calibrationTable(probs, [0, 1, 1, 0], 2, rows);
  const out = new Float32Array(4);
  shiftRows(probs, table, 2, rows, out);
  for (const v of out) assert.ok(Number.isFinite(v), `shift ${v}`);
  for (const v of table) assert.ok(Number.isFinite(v));
});

test('oracle logit adjustment is log p(y | a)', () => {
  const shift = attributeShift([0, 0, 1, 1, 1], [0, 0, 0, 1, 1], 2, 2);
  close(shift[0], Math.log(2 / 3 + 1e-6), 1e-6);
  close(shift[1], Math.log(1 / 3 + 1e-6), 1e-6);
  close(shift[6], Math.log(0 + 1e-6), 1e-4);
  close(shift[7], Math.log(1 + 1e-6), 1e-6);
});

test('bad held-out logits are rejected with the expected shape', () => {
  assert.throws(() => matShift(new Float32Array(5), [0, 1, 0], 2, 0.1), /expected 3 rows × 2 classes = 6 values, got 5/);
  assert.throws(() => matShift(Float32Array.from([0, NaN]), [0], 2, 0.1), /held-out logits\[0\]\[1\] = NaN/);
  assert.throws(() => matShift(new Float32Array(2), [0], 2, 0), /temperature/);
});

test('XRM flip probability (p − 1/K)·K/(K−1)', () => {
  close(flipProbability(0.5, 2), 0);
  close(flipProbability(0.75, 2), 0.5);
  close(flipProbability(1, 2), 1);
  close(flipProbability(1 / 3, 3), 0);
  close(flipProbability(2 / 3, 3), 0.5);
});

test('label flipping follows the held-out argmax at the expected rate', () => {
  // p = 0.75 for class 1 → flip probability 0.5 → about half of 4000 labels become 1.
  const n = 4000;
  const heldOut = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) heldOut[2 * i + 1] = Math.log(3);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const original = new Int32Array(n);
  const dynamic = new Int32Array(n);
  const delta = flipLabels(heldOut, rows, dynamic, original, 2, new Rng(1));
  const flipped = dynamic.reduce((s, v) => s + v, 0);
  assert.equal(delta, flipped);
  // Binomial(4000, 0.5): sd ≈ 32, so ±160 is a 5-sd band.
  assert.ok(Math.abs(flipped - 2000) < 160, `flipped ${flipped}`);
});
