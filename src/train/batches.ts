// Minibatch index streams, seeded. Epochs are reshuffled; the last batch of an epoch may be
// smaller (as PyTorch's DataLoader with drop_last=False), unless dropLast is set.
import type { Rng } from '../util/random.js';

export interface BatchSampler {
  /** Row indices of the next batch (a view valid until the next call). */
  next(): Int32Array;
}

/** Shuffled epochs over `rows` (all rows when omitted). */
export function epochSampler(n: number, batchSize: number, rng: Rng, opts: { dropLast?: boolean; rows?: Int32Array } = {}): BatchSampler {
  const rows = opts.rows ?? Int32Array.from({ length: n }, (_, i) => i);
  const m = rows.length;
  if (m === 0) throw new Error('batch sampler: no rows to sample from');
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const size = Math.min(batchSize, m);
  const order = Int32Array.from(rows);
  let pos = m;
  return {
    next() {
      if (pos >= m || (opts.dropLast && pos + size > m)) {
        rng.shuffleInPlace(order);
        pos = 0;
      }
      const end = Math.min(pos + size, m);
      const batch = order.subarray(pos, end);
      pos = end;
      return batch;
    },
  };
}

/** Every row, every step (full-batch gradient descent). */
export function fullBatchSampler(n: number): BatchSampler {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  return { next: () => all };
}

/** Rows drawn with replacement with probability proportional to `weights`. */
export function weightedSampler(weights: Float64Array, batchSize: number, rng: Rng): BatchSampler {
  const n = weights.length;
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!(weights[i] >= 0)) throw new Error(`weighted sampler: weight ${i} is ${weights[i]}, expected ≥ 0`);
    total += weights[i];
    cumulative[i] = total;
  }
  if (!(total > 0)) throw new Error('weighted sampler: all weights are zero');
  const batch = new Int32Array(batchSize);
  return {
    next() {
      for (let b = 0; b < batchSize; b++) {
        const u = rng.uniform() * total;
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cumulative[mid] > u) hi = mid;
          else lo = mid + 1;
        }
        batch[b] = lo;
      }
      return batch;
    },
  };
}
