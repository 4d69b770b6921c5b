// The Dataset type shared by every stage: features, labels, attribute, three splits.
import { InputError } from '../util/errors.js';
import type { Rng } from '../util/random.js';

/** One split: n rows of d float32 features (row-major), labels, optional attribute. */
export interface Split {
  x: Float32Array;
  y: Int32Array;
  /** The spurious attribute a_i (e.g. background), when known. */
  a?: Int32Array;
  /** Stable example ids (row numbers in the source when absent). */
  ids?: Int32Array;
}

export interface Dataset {
  name: string;
  /** Feature dimension d. */
  dim: number;
  /** Number of classes K. */
  numClasses: number;
  /** Number of attribute values A (1 when there is no attribute). */
  numAttributes: number;
  train: Split;
  val: Split;
  test: Split;
  classNames?: string[];
  attributeNames?: string[];
  /** Names of the feature columns, in order (tables). */
  featureNames?: string[];
}

export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

export function splitSize(split: Split): number {
  return split.y.length;
}

/** Group g = y·A + a (never 2·y + a: that collides when A > 2). */
export function groupOf(y: number, a: number, numAttributes: number): number {
  return y * numAttributes + a;
}

export function numGroups(ds: Pick<Dataset, 'numClasses' | 'numAttributes'>): number {
  return ds.numClasses * ds.numAttributes;
}

/** Group index of every example of a split (attribute 0 everywhere when the split has none). */
export function groupsOf(split: Split, numAttributes: number): Int32Array {
  const n = split.y.length;
  const g = new Int32Array(n);
  for (let i = 0; i < n; i++) g[i] = groupOf(split.y[i], split.a ? split.a[i] : 0, numAttributes);
  return g;
}

/** Rows `rows` of a split, copied into a new split. */
export function takeRows(split: Split, rows: ArrayLike<number>, dim: number): Split {
  const m = rows.length;
  const x = new Float32Array(m * dim);
  const y = new Int32Array(m);
  const a = split.a ? new Int32Array(m) : undefined;
  const ids = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    const i = rows[r];
    x.set(split.x.subarray(i * dim, (i + 1) * dim), r * dim);
    y[r] = split.y[i];
    if (a) a[r] = split.a![i];
    ids[r] = split.ids ? split.ids[i] : i;
  }
  return { x, y, a, ids };
}

/**
 * Check a split up front and throw an error that names the array, the index and what was expected.
 * Scanning every feature for NaN is O(n·d) but cheap next to training.
 */
export function validateSplit(name: string, split: Split, dim: number, numClasses: number, numAttributes: number): void {
  const n = split.y.length;
  if (n === 0) throw new InputError(`${name}: split has no examples`);
  if (split.x.length !== n * dim) {
    throw new InputError(`${name}.x: expected ${n} rows × ${dim} features = ${n * dim} values, got ${split.x.length}`);
  }
  for (let i = 0; i < n; i++) {
    const y = split.y[i];
    if (!(y >= 0 && y < numClasses) || !Number.isInteger(y)) {
      throw new InputError(`${name}.y[${i}] = ${y}: labels must be integers in 0..${numClasses - 1}`);
    }
  }
  if (split.a) {
    if (split.a.length !== n) throw new InputError(`${name}.a: expected ${n} values (one per example), got ${split.a.length}`);
    for (let i = 0; i < n; i++) {
      const a = split.a[i];
      if (!(a >= 0 && a < numAttributes)) {
        throw new InputError(`${name}.a[${i}] = ${a}: attributes must be integers in 0..${numAttributes - 1}`);
      }
    }
  }
  if (split.ids && split.ids.length !== n) {
    throw new InputError(`${name}.ids: expected ${n} values, got ${split.ids.length}`);
  }
  const j = firstNonFinite(split.x);
  if (j >= 0) {
    const row = Math.floor(j / dim);
    throw new InputError(`${name}.x[${row}][${j % dim}] = ${split.x[j]}: features must be finite numbers`);
  }
}

export function validateDataset(ds: Dataset): void {
  // Each entry point validates what it is given; a dataset passed on unchanged (the same arrays)
  // to the next layer is not checked again.
  const arrays = arraysOf(ds);
  const seen = validated.get(ds);
  if (seen && seen.length === arrays.length && seen.every((a, i) => a === arrays[i])) return;
  if (!(Number.isInteger(ds.dim) && ds.dim > 0)) throw new InputError(`dataset ${ds.name}: dim must be a positive integer, got ${ds.dim}`);
  if (!(Number.isInteger(ds.numClasses) && ds.numClasses >= 2)) {
    throw new InputError(`dataset ${ds.name}: numClasses must be an integer ≥ 2, got ${ds.numClasses}`);
  }
  if (!(Number.isInteger(ds.numAttributes) && ds.numAttributes >= 1)) {
    throw new InputError(`dataset ${ds.name}: numAttributes must be an integer ≥ 1, got ${ds.numAttributes}`);
  }
  validateSplit('train', ds.train, ds.dim, ds.numClasses, ds.numAttributes);
  validateSplit('val', ds.val, ds.dim, ds.numClasses, ds.numAttributes);
  validateSplit('test', ds.test, ds.dim, ds.numClasses, ds.numAttributes);
  validated.set(ds, arrays);
}

const validated = new WeakMap<Dataset, unknown[]>();

function arraysOf(ds: Dataset): unknown[] {
  return [ds.dim, ds.numClasses, ds.numAttributes, ...[ds.train, ds.val, ds.test].flatMap((s) => [s, s?.x, s?.y, s?.a, s?.ids])];
}

/** The index of the first NaN or ±Infinity in x, or −1. */
function firstNonFinite(x: Float32Array): number {
  // x − x is 0 for finite values and NaN otherwise: one comparison per element.
  for (let j = 0; j < x.length; j++) if (x[j] - x[j] !== 0) return j;
  return -1;
}

/** Rows of a random subset with every group cut to the size of the smallest present group. */
export function groupBalancedSubset(groups: Int32Array, numGroupsTotal: number, rng: Rng): Int32Array {
  const byGroup: number[][] = Array.from({ length: numGroupsTotal }, () => []);
  groups.forEach((g, i) => byGroup[g].push(i));
  const present = byGroup.filter((rows) => rows.length > 0);
  const size = Math.min(...present.map((rows) => rows.length));
  const out: number[] = [];
  for (const rows of present) {
    const order = rng.permutation(rows.length);
    for (let j = 0; j < size; j++) out.push(rows[order[j]]);
  }
  return Int32Array.from(out).sort();
}

/** Group-balanced weights n / (G_present · n_g), so that each present group has equal total weight. */
export function groupBalancedWeights(groups: Int32Array, numGroupsTotal: number): Float32Array {
  const counts = new Float64Array(numGroupsTotal);
  for (const g of groups) counts[g]++;
  const present = counts.filter((c) => c > 0).length;
  return Float32Array.from(groups, (g) => groups.length / (present * counts[g]));
}
