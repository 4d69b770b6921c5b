// Feature standardisation by training-split statistics (z-scores), as a model's input scaling.
// The statistics are computed once per training array and kept with it; no scaled copy is made.
import type { Dataset } from './dataset.js';
import type { InputScaling } from '../nn/models.js';
import { InputError } from '../util/errors.js';

export type FeatureScaling = 'standard' | 'none';
export const FEATURE_SCALINGS: readonly FeatureScaling[] = ['standard', 'none'];

const cache = new WeakMap<Float32Array, InputScaling>();

/**
 * Per-column mean and 1/σ of the training split (population σ, one pass of shifted sums in float64). A constant
 * column gets scale 1: it is centred and otherwise left alone, as scikit-learn's StandardScaler does.
 */
export function trainingStatistics(ds: Pick<Dataset, 'dim' | 'train'>): InputScaling {
  const x = ds.train.x;
  const hit = cache.get(x);
  if (hit && hit.mean.length === ds.dim) return hit;
  const d = ds.dim;
  const n = ds.train.y.length;
  if (n === 0) throw new Error('feature scaling: the training split has no rows');
  // One pass of sums shifted by the first row (stable when a column's mean is large against its spread).
  const shift = Float64Array.from(x.subarray(0, d));
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) {
      const c = x[row + j] - shift[j];
      sum[j] += c;
      sq[j] += c * c;
    }
  }
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const m = sum[j] / n;
    mean[j] = shift[j] + m;
    sq[j] = Math.max(0, sq[j] - n * m * m);
  }
  const scale = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(sq[j] / n);
    // Relative to the column's magnitude, so float32 rounding of a constant column is not noise to blow up.
    scale[j] = sd > 1e-6 * Math.max(1, Math.abs(mean[j])) ? 1 / sd : 1;
  }
  const out = { mean: Float32Array.from(mean), scale };
  cache.set(x, out);
  return out;
}

export function checkFeatureScaling(name: string): FeatureScaling {
  if (!(FEATURE_SCALINGS as readonly string[]).includes(name)) {
    throw new InputError(`--scale must be ${FEATURE_SCALINGS.map((s) => `'${s}'`).join(' or ')}, got '${name}'`);
  }
  return name as FeatureScaling;
}
