import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupOf } from '../src/data/dataset.js';
import {
  crossMistakeGroups,
  crossMistakeNumGroups,
  evaluateLogits,
  evaluatePredictions,
  groupAccuracies,
  predictionsFromLogits,
} from '../src/eval/index.js';

const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

test('predictionsFromLogits takes the row argmax, ties to the lowest index', () => {
  const logits = Float32Array.from([1, 3, 2, 5, 5, 0, -1, -2, -1, 0, 0, 7]);
  assert.deepEqual(Array.from(predictionsFromLogits(logits, 4, 3)), [1, 0, 0, 2]);
});

test('predictionsFromLogits rejects a logits array of the wrong size', () => {
  assert.throws(() => predictionsFromLogits(new Float32Array(5), 2, 3), /5 values, expected n × k = 2 × 3 = 6/);
});

// K = 2 classes, A = 2 attributes → 4 groups g = y·2 + a; group 3 (y = 1, a = 1) has no examples.
//   group 0: 4 examples, 3 correct → 0.75
//   group 1: 2 examples, 1 correct → 0.5
//   group 2: 4 examples, 4 correct → 1
//   class 0: 6 examples, 4 correct → 2/3; class 1: 4 of 4 → 1
const y = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
const a = Int32Array.from([0, 0, 0, 0, 1, 1, 0, 0, 0, 0]);
const pred = Int32Array.from([0, 0, 0, 1, 0, 1, 1, 1, 1, 1]);
const groups = Int32Array.from(y, (yi, i) => groupOf(yi, a[i], 2));

test('groupAccuracies counts each group and gives NaN for an empty group', () => {
  const { accuracy, counts } = groupAccuracies(pred, y, groups, 4);
  assert.deepEqual(counts, [4, 2, 4, 0]);
  assert.deepEqual(accuracy.slice(0, 3), [0.75, 0.5, 1]);
  assert.ok(Number.isNaN(accuracy[3]));
});

test('evaluatePredictions: worst group ignores the empty group; class metrics by hand', () => {
  const ev = evaluatePredictions(pred, y, groups, 4, 2);
  assert.equal(ev.n, 10);
  assert.equal(ev.avgAcc, 0.8);
  assert.equal(ev.worstGroupAcc, 0.5); // not 0 and not NaN from the empty group 3
  assert.deepEqual(ev.groupAcc, [0.75, 0.5, 1, null]);
  assert.deepEqual(ev.groupCounts, [4, 2, 4, 0]);
  close(ev.worstClassAcc, 2 / 3);
  close(ev.balancedAcc, (2 / 3 + 1) / 2);
  assert.deepEqual(ev.classCounts, [6, 4]);
  // JSON-friendly: nulls survive the round trip, no NaN turning into null silently elsewhere.
  assert.deepEqual(JSON.parse(JSON.stringify(ev)), ev);
});

test('balanced and worst-class accuracy average only over classes present', () => {
  // 3 classes, class 2 absent: class 0 1/2 correct, class 1 2/2 → balanced 0.75, worst 0.5.
  const yy = Int32Array.from([0, 0, 1, 1]);
  const ev = evaluatePredictions(Int32Array.from([0, 2, 1, 1]), yy, new Int32Array(4), 1, 3);
  assert.equal(ev.balancedAcc, 0.75);
  assert.equal(ev.worstClassAcc, 0.5);
  assert.deepEqual(ev.classAcc, [0.5, 1, null]);
  assert.equal(ev.avgAcc, 0.75);
  assert.equal(ev.worstGroupAcc, 0.75);
});

test('evaluateLogits equals evaluatePredictions on the argmax', () => {
  const logits = Float32Array.from([2, 1, 0, 3, 4, 4]); // argmax 0, 1, 0 (tie)
  const yy = Int32Array.from([0, 0, 1]);
  const ev = evaluateLogits(logits, yy, Int32Array.from([0, 0, 2]), 4, 2);
  assert.deepEqual(ev.groupAcc, [0.5, null, 0, null]);
  assert.equal(ev.worstGroupAcc, 0);
  assert.equal(ev.avgAcc, 1 / 3);
});

test('evaluatePredictions names the arrays and lengths on a mismatch', () => {
  assert.throws(
    () => evaluatePredictions(Int32Array.from([0, 1, 0]), Int32Array.from([0, 1]), Int32Array.from([0, 1, 0]), 2, 2),
    /evaluatePredictions: .*pred: 3, y: 2, groups: 3/,
  );
});

test('evaluatePredictions rejects out-of-range groups and labels, and empty input', () => {
  assert.throws(() => evaluatePredictions(Int32Array.from([0]), Int32Array.from([0]), Int32Array.from([4]), 4, 2), /groups\[0\] = 4/);
  assert.throws(() => evaluatePredictions(Int32Array.from([0]), Int32Array.from([2]), Int32Array.from([0]), 4, 2), /y\[0\] = 2/);
  assert.throws(() => evaluatePredictions(new Int32Array(0), new Int32Array(0), new Int32Array(0), 4, 2), /no examples/);
});

test('crossMistakeGroups: group = y·2 + (either twin wrong)', () => {
  const yy = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const predA = Int32Array.from([0, 1, 0, 1, 1, 0, 1, 0]);
  const predB = Int32Array.from([0, 0, 1, 1, 1, 1, 0, 0]);
  // both right → 0; one wrong → 1; both wrong → 1
  assert.deepEqual(Array.from(crossMistakeGroups(yy, predA, predB)), [0, 1, 1, 1, 2, 3, 3, 3]);
  assert.equal(crossMistakeNumGroups(2), 4);
  assert.throws(() => crossMistakeGroups(yy, predA, predB.subarray(1)), /predB: 7/);
});
