// The paper's Figure 1 problem ("interpretable experiment"): a core coordinate, a 5× larger spurious
// coordinate that agrees with the label on most training points, and many pure-noise coordinates
// through which a linear model can memorize the exceptions.
import type { Dataset, Split, SplitName } from './dataset.js';
import { Rng } from '../util/random.js';

export interface Figure1Options {
  /** Standard deviation σ of the dim − 2 noise coordinates (the paper uses 0 and 0.5). */
  noise: number;
  seed: number;
  /** Examples per split (default 1000). */
  n?: number;
  /** Feature dimension d, including the two signal coordinates (default 1800). */
  dim?: number;
  /** Fraction of training points whose spurious coordinate is flipped (default 0.1). */
  minorityFraction?: number;
  /** The same fraction for validation and test (default 0.5). */
  evalMinorityFraction?: number;
}

/** Standard deviation of the noise around ±1 on both signal coordinates. */
export const FIG1_SIGNAL_STD = 0.12;
/** The spurious coordinate is multiplied by this. */
export const FIG1_SPURIOUS_SCALE = 5;

/**
 * Number of flipped (minority) points, computed as the official code does:
 * `int((1 − maj_perc) · n)` with maj_perc = 1 − minorityFraction, truncating in floating point.
 * For minorityFraction 0.1 and n 1000 that is int(99.99999999999997) = 99, not 100.
 */
export function officialMinorityCount(n: number, minorityFraction: number): number {
  const majorityFraction = 1 - minorityFraction;
  return Math.trunc((1 - majorityFraction) * n);
}

/**
 * Build the Figure 1 dataset.
 *
 * Per split (seeded by `seed` and the split's name):
 * - y ~ Bernoulli(0.5);
 * - x[0] = x_y = (N(0, 0.12²) − 1)·(2y − 1)  (≈ −1 for y = 1, ≈ +1 for y = 0);
 * - x[1] = x_a = 5·s·(N(0, 0.12²) − 1)·(2y − 1), with s = −1 on a random set of
 *   `officialMinorityCount(n, fraction)` points (the minority) and +1 elsewhere;
 * - x[2..dim−1] ~ N(0, noise²).
 *
 * Attribute a_i is the class the spurious coordinate points to: a = y on majority points and a = 1 − y
 * on minority (flipped) points, so groups (y, a) separate majority from minority and "minority" means
 * a ≠ y (see `isMinority`). The flip leaves |N(0, 0.12²) − 1| > 0 with overwhelming probability
 * (a sign change needs an 8σ draw), so sign(x_a) always matches a.
 */
export function makeFigure1(options: Figure1Options): Dataset {
  const n = options.n ?? 1000;
  const dim = options.dim ?? 1800;
  const minorityFraction = options.minorityFraction ?? 0.1;
  const evalMinorityFraction = options.evalMinorityFraction ?? 0.5;
  const { noise, seed } = options;
  if (!(Number.isFinite(noise) && noise >= 0)) throw new Error(`fig1: noise must be a finite number ≥ 0, got ${noise}`);
  if (!Number.isFinite(seed)) throw new Error(`fig1: seed must be a finite number, got ${seed}`);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`fig1: n must be a positive integer, got ${n}`);
  if (!(Number.isInteger(dim) && dim >= 2)) throw new Error(`fig1: dim must be an integer ≥ 2, got ${dim}`);
  for (const [name, f] of [['minorityFraction', minorityFraction], ['evalMinorityFraction', evalMinorityFraction]] as const) {
    if (!(f >= 0 && f <= 1)) throw new Error(`fig1: ${name} must be in [0, 1], got ${f}`);
  }
  const make = (split: SplitName, fraction: number): Split =>
    makeFigure1Split(Rng.derive(seed, `fig1/${split}`), n, dim, noise, officialMinorityCount(n, fraction));
  return {
    name: 'fig1',
    dim,
    numClasses: 2,
    numAttributes: 2,
    train: make('train', minorityFraction),
    val: make('val', evalMinorityFraction),
    test: make('test', evalMinorityFraction),
    classNames: ['0', '1'],
    attributeNames: ['spurious points to class 0', 'spurious points to class 1'],
  };
}

function makeFigure1Split(rng: Rng, n: number, dim: number, noise: number, minorityCount: number): Split {
  // Draw order follows the official code: labels, x_y noise, x_a noise, flip set, noise block.
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.bernoulli(0.5) ? 1 : 0;
  const core = new Float64Array(n);
  for (let i = 0; i < n; i++) core[i] = (rng.normal() * FIG1_SIGNAL_STD - 1) * (2 * y[i] - 1);
  const spurious = new Float64Array(n);
  for (let i = 0; i < n; i++) spurious[i] = (rng.normal() * FIG1_SIGNAL_STD - 1) * (2 * y[i] - 1);
  const flipped = new Uint8Array(n);
  const order = rng.permutation(n);
  for (let k = 0; k < minorityCount; k++) flipped[order[k]] = 1;

  const x = new Float32Array(n * dim);
  const a = new Int32Array(n);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = flipped[i] ? -1 : 1;
    x[i * dim] = core[i];
    x[i * dim + 1] = FIG1_SPURIOUS_SCALE * s * spurious[i];
    a[i] = flipped[i] ? 1 - y[i] : y[i];
    ids[i] = i;
  }
  if (noise > 0) {
    for (let i = 0; i < n; i++) {
      const row = i * dim;
      for (let j = 2; j < dim; j++) x[row + j] = noise * rng.normal();
    }
  }
  return { x, y, a, ids };
}

/** Minority mask of a split with attributes: 1 where a ≠ y (the spurious coordinate points the wrong way). */
export function isMinority(split: Split): Uint8Array {
  if (!split.a) throw new Error('isMinority: the split has no attribute array a');
  const m = new Uint8Array(split.y.length);
  for (let i = 0; i < m.length; i++) m[i] = split.a[i] !== split.y[i] ? 1 : 0;
  return m;
}
