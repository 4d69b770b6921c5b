import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileClassifier } from '../src/nn/classifier.js';
import { linear } from '../src/nn/models.js';
import { tensor } from '../src/engine/session.js';
import { groupBalancedSubset, groupBalancedWeights } from '../src/data/dataset.js';
import { Rng } from '../src/util/random.js';

test("GroupDRO's weight update: q ← q·exp(η·ℓ_g), normalised; loss Σ q_g ℓ_g", async () => {
  // Zero weights: every logit is 0, so every example's loss is log 2 and each present group's mean is log 2.
  const model = linear(3, 2, { bias: false });
  const eta = 0.5;
  const c = await compileClassifier(model, {
    loss: 'groupdro', groupDro: { numGroups: 3, eta }, optimizer: { kind: 'sgd' },
    initialParams: [new Float32Array(6)], execution: { threads: 1 },
  });
  const q = Float32Array.from([0.2, 0.3, 0.5]);
  const out = await c.step.run({
    x: tensor('float32', new Float32Array(12).fill(1), [4, 3]),
    y: tensor('int32', Int32Array.from([0, 1, 0, 1]), [4]),
    groups: tensor('int32', Int32Array.from([0, 0, 1, 1]), [4]),
    groupWeights: tensor('float32', q, [3]),
  }, { lr: 0.1, fetch: ['groupWeightsNext'] });
  const raised = [0.2 * Math.exp(eta * Math.LN2), 0.3 * Math.exp(eta * Math.LN2), 0.5];
  const total = raised.reduce((a, b) => a + b);
  const next = Array.from(out.outputs.groupWeightsNext.data as Float32Array);
  raised.forEach((r, g) => assert.ok(Math.abs(next[g] - r / total) < 1e-6, `q[${g}] = ${next[g]}, expected ${r / total}`));
  // Group 2 is absent: its loss is 0, so the loss is (q0 + q1)·log 2.
  assert.ok(Math.abs(out.loss - (next[0] + next[1]) * Math.LN2) < 1e-6);
  await c.dispose();
});

test('group-balanced weights give every present group the same total weight', () => {
  const groups = Int32Array.from([0, 0, 0, 1, 3, 3]);
  const w = groupBalancedWeights(groups, 4);
  const totals = [0, 0, 0, 0];
  groups.forEach((g, i) => { totals[g] += w[i]; });
  assert.deepEqual(totals.map((t) => Math.round(t * 1e6) / 1e6), [2, 2, 0, 2]);
});

test('group-balanced subsets cut every group to the smallest group', () => {
  const groups = Int32Array.from([0, 0, 0, 0, 1, 1, 2, 2, 2]);
  const rows = groupBalancedSubset(groups, 3, new Rng(3));
  assert.equal(rows.length, 6);
  const counts = [0, 0, 0];
  for (const r of rows) counts[groups[r]]++;
  assert.deepEqual(counts, [2, 2, 2]);
});
