import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEMORIZATION_QUANTILES, labelProbabilities, memorizationScores, scoresByGroup } from '../src/eval/index.js';

const close = (actual: number | null, expected: number, tol = 1e-7) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

test('memorization score, 2 classes: p_in(y) − p_out(y)', () => {
  // Example 0, label 0: held-in [2, 0] → sigmoid(2) = 0.8807970779778823; held-out [0, 0] → 0.5.
  // Example 1, label 1: held-in [0, ln 3] → 3/4; held-out [ln 3, 0] → 1/4.
  const heldIn = Float32Array.from([2, 0, 0, Math.log(3)]);
  const heldOut = Float32Array.from([0, 0, Math.log(3), 0]);
  const scores = memorizationScores(heldIn, heldOut, Int32Array.from([0, 1]), 2);
  close(scores[0], 0.3807970779778823);
  close(scores[1], 0.5);
});

test('memorization score, 3 classes, with logits large enough to overflow a naive softmax', () => {
  // Label 0 under [1, 2, 3]: 1 / (1 + e + e²) = 0.09003057317038046.
  // Label 2 under [0, ln 2, ln 5]: 5/8; under [1000, 1000, 1000]: 1/3 (naive exp(1000) = Infinity → NaN).
  const heldIn = Float32Array.from([1, 2, 3, 0, Math.log(2), Math.log(5)]);
  const heldOut = Float32Array.from([1, 2, 3, 1000, 1000, 1000]);
  const y = Int32Array.from([0, 2]);
  close(labelProbabilities(heldIn, y, 3)[0], 0.09003057317038046);
  const scores = memorizationScores(heldIn, heldOut, y, 3);
  close(scores[0], 0);
  close(scores[1], 5 / 8 - 1 / 3);
});

test('memorizationScores rejects mismatched sizes and bad labels', () => {
  assert.throws(() => memorizationScores(new Float32Array(4), new Float32Array(6), Int32Array.from([0, 1]), 2), /heldInLogits has 4 values but heldOutLogits has 6/);
  assert.throws(() => memorizationScores(new Float32Array(6), new Float32Array(6), Int32Array.from([0, 1]), 2), /6 values, expected n × k = 2 × 2 = 4/);
  assert.throws(() => memorizationScores(new Float32Array(4), new Float32Array(4), Int32Array.from([0, 2]), 2), /y\[1\] = 2/);
});

test('scoresByGroup: count, mean, median and interpolated quantiles per group; nulls for an empty group', () => {
  const scores = Float64Array.from([0.5, 0.9, 0.1, 0.4, 0.2, 0.3]);
  const groups = Int32Array.from([0, 2, 0, 0, 0, 0]);
  const [g0, g1, g2] = scoresByGroup(scores, groups, 3);
  assert.deepEqual(MEMORIZATION_QUANTILES, [0.1, 0.25, 0.5, 0.75, 0.9]);
  // Group 0 sorted: 0.1 0.2 0.3 0.4 0.5; positions q·4 = 0.4, 1, 2, 3, 3.6.
  assert.equal(g0.count, 5);
  close(g0.mean, 0.3, 1e-12);
  close(g0.median, 0.3, 1e-12);
  [0.14, 0.2, 0.3, 0.4, 0.46].forEach((v, i) => close(g0.quantiles[i], v, 1e-12));
  assert.deepEqual(g1, { group: 1, count: 0, mean: null, median: null, quantiles: [null, null, null, null, null] });
  assert.deepEqual(g2, { group: 2, count: 1, mean: 0.9, median: 0.9, quantiles: [0.9, 0.9, 0.9, 0.9, 0.9] });
  assert.throws(() => scoresByGroup(scores, groups.subarray(1), 3), /scores has 6 values but groups has 5/);
  assert.throws(() => scoresByGroup(scores, groups, 2), /groups\[1\] = 2/);
});
