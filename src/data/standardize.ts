// Feature standardisation by training-split statistics (z-scores), as a model's input scaling.
// The statistics are computed once per training array and kept with it; no scaled copy is made.
import type { Dataset } from './dataset.js';
import type { InputScaling } from '../nn/models.js';
import { InputError } from '../util/errors.js';

export type FeatureScaling = 'standard' | 'none';
export const FEATURE_SCALINGS: readonly FeatureScaling[] = ['standard', 'none'];

const cache = new WeakMap<Float32Array, InputScaling>();

/**
 * Per-column mean and population standard deviation in float64, from rows added a block at a time.
 * Sums are shifted by the first row: stable when a column's mean is large against its spread.
 */
export class ColumnMoments {
  private shift: Float64Array | undefined;
  private readonly sum: Float64Array;
  private readonly sq: Float64Array;
  private n = 0;

  constructor(readonly dim: number) {
    this.sum = new Float64Array(dim);
    this.sq = new Float64Array(dim);
  }

  /** Add `rows` rows of x (row-major, `dim` columns). */
  add(x: Float32Array, rows: number): this {
    const d = this.dim;
    if (rows === 0) return this;
    const shift = (this.shift ??= Float64Array.from(x.subarray(0, d)));
    for (let i = 0; i < rows; i++) {
      const row = i * d;
      for (let j = 0; j < d; j++) {
        const c = x[row + j] - shift[j];
        this.sum[j] += c;
        this.sq[j] += c * c;
      }
    }
    this.n += rows;
    return this;
  }

  result(): { mean: Float64Array; sd: Float64Array } {
    const n = this.n;
    if (n === 0) throw new Error('column moments: no rows');
    const mean = new Float64Array(this.dim);
    const sd = new Float64Array(this.dim);
    for (let j = 0; j < this.dim; j++) {
      const m = this.sum[j] / n;
      mean[j] = this.shift![j] + m;
      sd[j] = Math.sqrt(Math.max(0, this.sq[j] - n * m * m) / n);
    }
    return { mean, sd };
  }
}

/**
 * Per-column mean and 1/σ of the training split (population σ). A constant column gets scale 1: it is
 * centred and otherwise left alone, as scikit-learn's StandardScaler does.
 */
export function trainingStatistics(ds: Pick<Dataset, 'dim' | 'train'>): InputScaling {
  const x = ds.train.x;
  const hit = cache.get(x);
  if (hit && hit.mean.length === ds.dim) return hit;
  const n = ds.train.y.length;
  if (n === 0) throw new Error('feature scaling: the training split has no rows');
  const { mean, sd } = new ColumnMoments(ds.dim).add(x, n).result();
  // Relative to the column's magnitude, so float32 rounding of a constant column is not noise to blow up.
  const scale = Float32Array.from(sd, (s, j) => (s > 1e-6 * Math.max(1, Math.abs(mean[j])) ? 1 / s : 1));
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
