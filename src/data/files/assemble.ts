// Shared steps of every loader: category codes, split codes, rows per split, and the final checks.
import { validateDataset, type Dataset, type Split, type SplitName, SPLIT_NAMES } from '../dataset.js';
import { InputError, show } from '../../util/errors.js';

/** Split code of a value: 0 train, 1 val, 2 test; null when not recognised. */
export function splitCode(value: string | number): 0 | 1 | 2 | null {
  if (typeof value === 'number') return value === 0 || value === 1 || value === 2 ? value : null;
  const t = value.trim().toLowerCase();
  if (t === 'train' || t === '0') return 0;
  if (t === 'val' || t === 'valid' || t === 'validation' || t === '1') return 1;
  if (t === 'test' || t === '2') return 2;
  return null;
}

export const SPLIT_VALUES_HELP = 'train / val / valid / validation / test, or 0 / 1 / 2';

/**
 * Map category values to codes 0..K−1 in sorted order (numbers numerically, strings by code unit);
 * the names are the values as text.
 */
export function encodeCategories(values: readonly (string | number)[]): { codes: Int32Array; names: string[] } {
  const distinct = [...new Set(values)];
  const allNumbers = distinct.every((v) => typeof v === 'number');
  if (allNumbers) (distinct as number[]).sort((p, q) => p - q);
  else distinct.sort((p, q) => (String(p) < String(q) ? -1 : String(p) > String(q) ? 1 : 0));
  const index = new Map<string | number, number>(distinct.map((v, i) => [v, i]));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = index.get(values[i])!;
  return { codes, names: distinct.map(String) };
}

/**
 * Rows of each split. When a split's rows are consecutive its features are a view of `x` (no copy);
 * otherwise they are gathered into a new array.
 */
export function partitionRows(
  codes: Uint8Array,
  x: Float32Array,
  dim: number,
  y: Int32Array,
  a?: Int32Array,
  ids?: Int32Array,
): Record<SplitName, Split> {
  const out = {} as Record<SplitName, Split>;
  SPLIT_NAMES.forEach((name, s) => {
    const rows: number[] = [];
    for (let i = 0; i < codes.length; i++) if (codes[i] === s) rows.push(i);
    const m = rows.length;
    const contiguous = m > 0 && rows[m - 1] - rows[0] === m - 1;
    let xs: Float32Array;
    if (contiguous) {
      xs = x.subarray(rows[0] * dim, (rows[0] + m) * dim);
    } else {
      xs = new Float32Array(m * dim);
      for (let r = 0; r < m; r++) xs.set(x.subarray(rows[r] * dim, (rows[r] + 1) * dim), r * dim);
    }
    const pick = (arr: Int32Array) => Int32Array.from(rows, (i) => arr[i]);
    out[name] = {
      x: xs,
      y: pick(y),
      a: a ? pick(a) : undefined,
      ids: ids ? pick(ids) : Int32Array.from(rows),
    };
  });
  return out;
}

/** Receives a loader's notes: things done to the data that the user should know about. */
export type NoteHandler = (message: string) => void;

export interface FinishArgs {
  name: string;
  /** File (or folder) named in error messages. */
  source: string;
  dim: number;
  splits: Record<SplitName, Split>;
  numClasses: number;
  classNames?: string[];
  numAttributes: number;
  attributeNames?: string[];
  /** How the label source is named in messages, e.g. 'column "label"'. */
  labelWhat: string;
  /** How the attribute source is named, e.g. 'column "place"'. */
  attrWhat?: string;
  /** How the split source is named, e.g. 'column "split"'. */
  splitWhat?: string;
  /** Receives notes (numeric labels mapped to 0..K−1, a class with a single training example). */
  onNote?: NoteHandler;
  /** Names of the feature columns (tables). */
  featureNames?: string[];
}

/**
 * Check the assembled dataset up front (empty splits, a single class, a training split with one class,
 * a class with no training example, a constant attribute) and build it. Notes (not errors): numeric
 * labels other than 0..K−1, mapped in sorted order; a class with a single training example.
 */
export function finishDataset(args: FinishArgs): Dataset {
  const { source, splits } = args;
  const sizes = SPLIT_NAMES.map((s) => `${s} ${splits[s].y.length}`).join(', ');
  for (const s of SPLIT_NAMES) {
    if (splits[s].y.length === 0) {
      throw new InputError(
        `${source}: split "${s}" has no examples (rows per split: ${sizes}); ` +
        `expected rows with ${args.splitWhat ?? 'split'} = ${s === 'train' ? 'train or 0' : s === 'val' ? 'val / valid / validation or 1' : 'test or 2'}`,
      );
    }
  }
  const seenY = new Set<number>();
  for (const s of SPLIT_NAMES) for (const v of splits[s].y) seenY.add(v);
  if (seenY.size < 2 || args.numClasses < 2) {
    const only = args.classNames?.[[...seenY][0]] ?? [...seenY][0];
    throw new InputError(`${source}: label ${args.labelWhat} has a single class (${show(only)}); expected at least 2 classes`);
  }
  checkTrainingClasses(args);
  if (splits.train.a) {
    const seenA = new Set<number>();
    for (const s of SPLIT_NAMES) for (const v of splits[s].a ?? []) seenA.add(v);
    if (seenA.size < 2) {
      const only = args.attributeNames?.[[...seenA][0]] ?? [...seenA][0];
      throw new InputError(
        `${source}: attribute ${args.attrWhat ?? ''} has only one value (${show(only)}); expected at least 2 values ` +
        '(a constant attribute defines no groups: leave the attribute out instead)',
      );
    }
  }
  const ds: Dataset = {
    name: args.name,
    dim: args.dim,
    numClasses: args.numClasses,
    numAttributes: splits.train.a ? args.numAttributes : 1,
    train: splits.train,
    val: splits.val,
    test: splits.test,
  };
  if (args.classNames) ds.classNames = args.classNames;
  if (args.featureNames) ds.featureNames = args.featureNames;
  if (splits.train.a && args.attributeNames) ds.attributeNames = args.attributeNames;
  try {
    validateDataset(ds);
  } catch (e) {
    throw new InputError(`${source}: ${(e as Error).message}`, { cause: e });
  }
  return ds;
}

/** Labels in messages: the class names (original values) with their training counts. */
function classListing(names: readonly string[], counts: readonly number[]): string {
  const shown = names.map((name, k) => `${name} (${counts[k]})`);
  return shown.length > 30 ? `${shown.slice(0, 30).join(', ')}, ... (${shown.length} in all)` : shown.join(', ');
}

function checkTrainingClasses(args: FinishArgs): void {
  const { source, splits, numClasses } = args;
  const names = Array.from({ length: numClasses }, (_, k) => args.classNames?.[k] ?? String(k));
  const counts = new Array<number>(numClasses).fill(0);
  for (const v of splits.train.y) if (v >= 0 && v < numClasses) counts[v]++;
  const listing = `labels (training examples): ${classListing(names, counts)}`;
  const present = counts.filter((c) => c > 0).length;
  if (present === 1) {
    throw new InputError(
      `${source}: the training split of ${args.labelWhat} holds a single class (${show(names[counts.findIndex((c) => c > 0)])}); ` +
      `${listing}. A classifier needs training examples of at least 2 classes: move rows of the other classes into the training split`,
    );
  }
  const missing = names.filter((_, k) => counts[k] === 0);
  if (missing.length > 0) {
    throw new InputError(
      `${source}: ${missing.length === 1 ? 'class' : 'classes'} ${missing.map(show).join(', ')} of ${args.labelWhat} ` +
      `${missing.length === 1 ? 'has' : 'have'} no training example; ${listing}. ` +
      'Every class needs training examples: move some of its rows into the training split, or drop them',
    );
  }
  const numeric = names.every((n) => /^-?\d+$/.test(n));
  if (numeric && names.some((n, k) => Number(n) !== k)) {
    args.onNote?.(
      `${source}: labels of ${args.labelWhat} are ${names.join(', ')}, not 0..${numClasses - 1}; ` +
      `mapped in sorted order to classes ${names.map((n, k) => `${n} → ${k}`).join(', ')}`,
    );
  }
  const single = names.filter((_, k) => counts[k] === 1);
  if (single.length > 0) {
    args.onNote?.(
      `${source}: ${single.length === 1 ? 'class' : 'classes'} ${single.map(show).join(', ')} of ${args.labelWhat} ` +
      `${single.length === 1 ? 'has' : 'have'} a single training example (${listing}); check that ${single.length === 1 ? 'it is' : 'they are'} not a typo`,
    );
  }
}

/** First non-finite value of an n × d feature matrix, or null. */
export function firstNonFinite(x: Float32Array, dim: number): { row: number; col: number; value: number } | null {
  for (let j = 0; j < x.length; j++) {
    if (!Number.isFinite(x[j])) return { row: Math.floor(j / dim), col: j % dim, value: x[j] };
  }
  return null;
}
