// The paper's Figure 2 finding on ColorMNIST (3 seeds × 3 folds, the preset's training and early
// stopping): under ERM the colour-disagrees-with-label groups are memorized far more than the others,
// and MAT lowers their memorization on every seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../src/data/builtin.js';
import { seedsOfMemorization } from './memorizationSeeds.js';

test('ColorMNIST, 3 seeds: ERM minority memorization well above majority; MAT lowers it', async () => {
  const { erm, mat } = await seedsOfMemorization(loadBuiltin('cmnist', { seed: 0 }), 3);
  for (const s of erm) assert.ok(s.minority - s.majority > 0.15, `ERM minority ${s.minority} vs majority ${s.majority}`);
  const diffs = erm.map((s, i) => s.minority - mat[i].minority);
  assert.ok(diffs.every((d) => d > 0), `ERM − MAT minority means per seed: ${diffs.join(', ')}`);
  assert.ok(diffs.reduce((a, b) => a + b, 0) / diffs.length > 0.1, `ERM − MAT minority means per seed: ${diffs.join(', ')}`);
});
