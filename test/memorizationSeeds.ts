// Minority and majority mean memorization of ERM and MAT over seeds 0..2 (for the tests).
import type { Dataset } from '../src/data/dataset.js';
import { methodMemorization, minorityMajorityMeans, summarizeMemorization } from '../src/experiments/memorization.js';
import { heldOutFor } from '../src/experiments/method.js';
import { presetFor } from '../src/experiments/presets.js';

export type Means = { minority: number; majority: number };

export async function seedsOfMemorization(ds: Dataset, folds: number, seeds = [0, 1, 2]): Promise<{ erm: Means[]; mat: Means[] }> {
  const preset = presetFor(ds);
  const out = { erm: [] as Means[], mat: [] as Means[] };
  for (const seed of seeds) {
    const heldOut = await heldOutFor(ds, preset, seed);
    for (const method of ['erm', 'mat'] as const) {
      const run = await methodMemorization(ds, preset, method, { seed, folds, heldOut });
      out[method].push(minorityMajorityMeans(run, summarizeMemorization(ds, [run])));
    }
  }
  return out;
}
