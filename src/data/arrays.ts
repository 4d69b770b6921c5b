// A Dataset from plain arrays, as a library caller holds them: rows as number[][] or a flat
// Float32Array, labels and attributes as any array of integers. Sizes are inferred; every array is
// checked once here, with errors that name the array and the index.
import { validateDataset, type Dataset, type Split } from './dataset.js';
import { InputError } from '../util/errors.js';

export interface SplitArrays {
  /** n rows of d features: a flat row-major Float32Array (n × d) or an array of rows. */
  x: Float32Array | ArrayLike<ArrayLike<number>>;
  y: ArrayLike<number>;
  /** The spurious attribute of each row, when known. */
  a?: ArrayLike<number>;
}

export interface DatasetArrays {
  name?: string;
  train: SplitArrays;
  /** Validation rows (model selection); the training rows when absent. */
  val?: SplitArrays;
  /** Test rows; the validation rows when absent. */
  test?: SplitArrays;
  /** Feature count (needed only for a flat x with no rows). */
  dim?: number;
  /** Class count (default: the largest label + 1). */
  numClasses?: number;
  /** Attribute values (default: the largest attribute + 1, or 1 without attributes). */
  numAttributes?: number;
}

/** A Dataset (validated) from plain arrays; a Dataset is checked and returned as it is. */
export function toDataset(data: Dataset | DatasetArrays): Dataset {
  if (isDataset(data)) {
    validateDataset(data);
    return data;
  }
  if (!data || typeof data !== 'object' || !data.train) throw new InputError('data: expected a Dataset or { train: { x, y, a? }, val?, test? }');
  const dim = data.dim ?? inferDim(data.train.x, 'train.x');
  const train = toSplit(data.train, dim, 'train');
  const val = data.val ? toSplit(data.val, dim, 'val') : train;
  const test = data.test ? toSplit(data.test, dim, 'test') : val;
  const splits = [train, val, test];
  const maxOf = (pick: (s: Split) => Int32Array | undefined) => Math.max(-1, ...splits.map((s) => (pick(s) ?? new Int32Array(0)).reduce((m, v) => Math.max(m, v), -1)));
  const hasAttributes = splits.every((s) => s.a);
  if (!hasAttributes && splits.some((s) => s.a)) throw new InputError('data: give the attribute a for every split, or for none');
  const ds: Dataset = {
    name: data.name ?? 'arrays',
    dim,
    numClasses: data.numClasses ?? Math.max(2, maxOf((s) => s.y) + 1),
    numAttributes: data.numAttributes ?? (hasAttributes ? maxOf((s) => s.a) + 1 : 1),
    train,
    val,
    test,
  };
  validateDataset(ds);
  checkEveryClassTrains(ds);
  return ds;
}

/** Labels with gaps (0, 1, 7 makes 8 classes) or a class missing from training would train silently: refuse them. */
function checkEveryClassTrains(ds: Dataset): void {
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (const v of ds.train.y) counts[v]++;
  const missing = counts.flatMap((c, k) => (c === 0 ? [k] : []));
  if (missing.length === 0) return;
  const present = counts.flatMap((c, k) => (c > 0 ? [`${k} (${c})`] : []));
  throw new InputError(
    `train.y: ${missing.length === 1 ? 'class' : 'classes'} ${missing.length > 10 ? `${missing.slice(0, 10).join(', ')}, ...` : missing.join(', ')} ` +
    `of 0..${ds.numClasses - 1} ${missing.length === 1 ? 'has' : 'have'} no training example (labels in training, with counts: ${present.join(', ')}); ` +
    'labels must be 0..K−1 with every class in the training split: map labels with gaps (0, 1, 7) to 0, 1, 2 first',
  );
}

function isDataset(data: unknown): data is Dataset {
  const d = data as Dataset;
  return !!d && typeof d === 'object' && typeof d.dim === 'number' && typeof d.numClasses === 'number' && typeof d.numAttributes === 'number' && d.train?.x instanceof Float32Array && d.train.y instanceof Int32Array;
}

function inferDim(x: SplitArrays['x'], name: string): number {
  if (x instanceof Float32Array) throw new InputError(`${name} is a flat Float32Array: give dim (the feature count)`);
  const first = x[0];
  if (!first || typeof first.length !== 'number' || first.length === 0) throw new InputError(`${name}[0]: expected a row of features`);
  return first.length;
}

function toSplit(s: SplitArrays, dim: number, name: string): Split {
  if (!s || !s.x || !s.y) throw new InputError(`${name}: expected { x, y, a? }`);
  return { x: flatRows(s.x, dim, `${name}.x`).x, y: integers(s.y, `${name}.y`), a: s.a ? integers(s.a, `${name}.a`) : undefined };
}

/** Rows of `dim` features as one row-major Float32Array (a flat one is checked and kept), and their count. */
export function flatRows(x: SplitArrays['x'], dim: number, name: string): { x: Float32Array; n: number } {
  if (x instanceof Float32Array) {
    if (x.length % dim !== 0) throw new InputError(`${name} has ${x.length} values, not a whole number of rows of ${dim} features`);
    return { x, n: x.length / dim };
  }
  const flat = new Float32Array(x.length * dim);
  for (let r = 0; r < x.length; r++) {
    const row = x[r];
    if (!row || row.length !== dim) throw new InputError(`${name}[${r}]: expected ${dim} features, got ${row?.length ?? 'none'}`);
    for (let j = 0; j < dim; j++) flat[r * dim + j] = row[j];
  }
  return { x: flat, n: x.length };
}

function integers(values: ArrayLike<number>, name: string): Int32Array {
  if (values instanceof Int32Array) return values;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw new InputError(`${name}[${i}] = ${v}: expected an integer`);
    out[i] = v;
  }
  return out;
}
