// Synthetic "spurious embeddings" shaped like frozen-backbone Waterbirds features: a weak core
// direction carries the label y, a strong spurious direction carries the attribute a, and the rest is
// isotropic Gaussian noise. 95% of training examples sit in the majority groups (a = y); validation and
// test are group-balanced, so a model that leans on the spurious direction fails the minority groups.
import type { Dataset, Split, SplitName } from './dataset.js';
import { Rng } from '../util/random.js';

export interface SpuriousEmbeddingsOptions {
  seed: number;
  /** Feature dimension (default 2048, as ResNet-50 features). */
  dim?: number;
  nTrain?: number;
  nVal?: number;
  nTest?: number;
  /** Fraction of training examples in the majority groups a = y (default 0.95). */
  majorityFraction?: number;
  /** The core coordinate is ±coreMean (by y) plus N(0, coreStd²) plus the isotropic noise. */
  coreMean?: number;
  coreStd?: number;
  /** The spurious coordinate is ±spuriousMean (by a) plus N(0, spuriousStd²) plus the isotropic noise. */
  spuriousMean?: number;
  spuriousStd?: number;
  /** Standard deviation of the isotropic noise in every direction. */
  noiseStd?: number;
}

/**
 * Default constants. The width is ResNet-50's (2048), and the isotropic noise is what lets a linear
 * head memorize, as the paper's Figure 1 noise dimensions do: the 240 minority training points can
 * each be fitted through their own noise (2046 directions, norm ≈ 0.2·√2046 ≈ 9) while the spurious
 * direction fits the 4,555 majority points, so an unregularized linear ERM fits every training point
 * and still fails the minority test points (test/data.embeddings.test.ts checks this against a
 * converged logistic regression). Along the core direction the classes are separated by
 * coreMean / sqrt(coreStd² + noiseStd²) ≈ 1.21 standard deviations: the best attribute-blind linear
 * rule gets Φ(1.21) ≈ 89% of every group, while the Bayes rule of the 95 / 5 training distribution,
 * which adds log(0.95 / 0.05) ≈ 2.94 nats for the (almost perfectly readable) attribute, gets about
 * 50% of each minority group.
 */
export const EMBEDDINGS_DEFAULTS = {
  dim: 2048,
  nTrain: 4795,
  nVal: 1199,
  nTest: 5794,
  majorityFraction: 0.95,
  coreMean: 1,
  coreStd: 0.8,
  spuriousMean: 2,
  spuriousStd: 0.2,
  noiseStd: 0.2,
} as const;

export interface SpuriousEmbeddingsDataset extends Dataset {
  /** Unit vector along which the label shows (dim values). */
  coreDirection: Float32Array;
  /** Unit vector along which the attribute shows, orthogonal to the core direction. */
  spuriousDirection: Float32Array;
}

export function makeSpuriousEmbeddings(options: SpuriousEmbeddingsOptions): SpuriousEmbeddingsDataset {
  const seed = options.seed;
  const o = { ...EMBEDDINGS_DEFAULTS, ...dropUndefined(options) };
  const { dim, nTrain, nVal, nTest, majorityFraction, coreMean, coreStd, spuriousMean, spuriousStd, noiseStd } = o;
  if (!Number.isFinite(seed)) throw new Error(`embeddings: seed must be a finite number, got ${seed}`);
  if (!(Number.isInteger(dim) && dim >= 2)) throw new Error(`embeddings: dim must be an integer ≥ 2, got ${dim}`);
  for (const [name, n] of [['nTrain', nTrain], ['nVal', nVal], ['nTest', nTest]] as const) {
    if (!(Number.isInteger(n) && n >= 4)) throw new Error(`embeddings: ${name} must be an integer ≥ 4 (one example per group), got ${n}`);
  }
  if (!(majorityFraction >= 0 && majorityFraction <= 1)) {
    throw new Error(`embeddings: majorityFraction must be in [0, 1], got ${majorityFraction}`);
  }
  for (const [name, v] of [['coreStd', coreStd], ['spuriousStd', spuriousStd], ['noiseStd', noiseStd]] as const) {
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`embeddings: ${name} must be a finite number ≥ 0, got ${v}`);
  }
  for (const [name, v] of [['coreMean', coreMean], ['spuriousMean', spuriousMean]] as const) {
    if (!Number.isFinite(v)) throw new Error(`embeddings: ${name} must be a finite number, got ${v}`);
  }

  const [coreDirection, spuriousDirection] = orthonormalPair(Rng.derive(seed, 'embeddings/directions'), dim);
  const params = { dim, coreMean, coreStd, spuriousMean, spuriousStd, noiseStd, coreDirection, spuriousDirection };

  // Training groups g = 2y + a: majority groups (0,0) and (1,1), minority groups (0,1) and (1,0).
  const nMajority = Math.round(majorityFraction * nTrain);
  const [maj0, maj1] = splitEvenly(nMajority, 2);
  const [min0, min1] = splitEvenly(nTrain - nMajority, 2);
  const trainCounts = [maj0, min0, min1, maj1];
  const make = (split: SplitName, counts: number[]): Split => makeSplit(Rng.derive(seed, `embeddings/${split}`), counts, params);
  return {
    name: 'embeddings',
    dim,
    numClasses: 2,
    numAttributes: 2,
    train: make('train', trainCounts),
    val: make('val', splitEvenly(nVal, 4)),
    test: make('test', splitEvenly(nTest, 4)),
    classNames: ['0', '1'],
    attributeNames: ['0', '1'],
    coreDirection,
    spuriousDirection,
  };
}

interface SplitParams {
  dim: number;
  coreMean: number;
  coreStd: number;
  spuriousMean: number;
  spuriousStd: number;
  noiseStd: number;
  coreDirection: Float32Array;
  spuriousDirection: Float32Array;
}

/** counts[g] examples of group g = 2y + a, in a random order. */
function makeSplit(rng: Rng, counts: number[], p: SplitParams): Split {
  const n = counts.reduce((s, c) => s + c, 0);
  const groupOfRow = new Int32Array(n);
  let r = 0;
  for (let g = 0; g < counts.length; g++) for (let k = 0; k < counts[g]; k++) groupOfRow[r++] = g;
  rng.shuffleInPlace(groupOfRow);

  const { dim, coreDirection: u, spuriousDirection: v } = p;
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  const a = new Int32Array(n);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const yi = groupOfRow[i] >> 1;
    const ai = groupOfRow[i] & 1;
    y[i] = yi;
    a[i] = ai;
    ids[i] = i;
    const core = (2 * yi - 1) * p.coreMean + p.coreStd * rng.normal();
    const spurious = (2 * ai - 1) * p.spuriousMean + p.spuriousStd * rng.normal();
    const row = i * dim;
    for (let j = 0; j < dim; j++) x[row + j] = p.noiseStd * rng.normal() + core * u[j] + spurious * v[j];
  }
  return { x, y, a, ids };
}

/** Two orthonormal random directions (Gram-Schmidt on Gaussian vectors). */
function orthonormalPair(rng: Rng, dim: number): [Float32Array, Float32Array] {
  const u = new Float64Array(dim);
  const v = new Float64Array(dim);
  for (let j = 0; j < dim; j++) u[j] = rng.normal();
  for (let j = 0; j < dim; j++) v[j] = rng.normal();
  normalize(u);
  let dot = 0;
  for (let j = 0; j < dim; j++) dot += u[j] * v[j];
  for (let j = 0; j < dim; j++) v[j] -= dot * u[j];
  normalize(v);
  return [Float32Array.from(u), Float32Array.from(v)];
}

function normalize(w: Float64Array): void {
  let s = 0;
  for (let j = 0; j < w.length; j++) s += w[j] * w[j];
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < w.length; j++) w[j] *= inv;
}

/** n split into k nearly equal parts, the larger ones first. */
function splitEvenly(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  const parts: number[] = [];
  for (let i = 0; i < k; i++) parts.push(base + (i < n - base * k ? 1 : 0));
  return parts;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
