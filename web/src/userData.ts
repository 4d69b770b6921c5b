// The page's "Your data": a CSV or NPZ file held in memory, parsed and assembled by the same code
// as `mat train --data` (parseCsv / parseNpz, then datasetFromTable / datasetFromArrays), inside the
// worker. Nothing is sent anywhere.
import type { Dataset } from '../../src/data/dataset.js';
import { datasetFromArrays, datasetFromTable } from '../../src/data/files/load.js';
import { parseNpz, type NpyArray } from '../../src/data/files/npy.js';
import { cellText, parseCsv, type Table } from '../../src/data/files/table.js';
import { InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { RANDOM_SPLIT } from './protocol.js';

/** A column (CSV) or 1-D array (NPZ) the page offers as label, attribute or split. */
export interface ColumnInfo {
  name: string;
  /** Distinct values (up to MAX_CATEGORIES + 1 counted). */
  distinct: number;
}

export interface FileSummary {
  format: 'csv' | 'npz';
  rows: number;
  /** Columns that can be a label or an attribute (2..MAX_CATEGORIES distinct values). */
  categorical: ColumnInfo[];
  /** Every column or 1-D array (any may be a split column). */
  all: string[];
}

export interface ColumnChoice {
  label: string;
  /** Attribute column (groups are label × attribute); none: groups are the classes. */
  attr?: string;
  /** Split column; none: a seeded random 60 / 20 / 20 split. */
  split?: string;
  seed: number;
}

const MAX_CATEGORIES = 50;

type Parsed = { format: 'csv'; table: Table } | { format: 'npz'; arrays: Record<string, NpyArray>; rows: number };

function parse(name: string, bytes: Uint8Array): Parsed {
  const lower = name.toLowerCase();
  if (lower.endsWith('.npz')) {
    const arrays = parseNpz(bytes, name);
    const x = arrays.x ?? arrays.X ?? arrays.features;
    if (!x) throw new InputError(`${name}: no feature array: expected an array named x, X or features (arrays: ${Object.keys(arrays).join(', ') || 'none'})`);
    return { format: 'npz', arrays, rows: x.shape[0] };
  }
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) {
    const text = new TextDecoder().decode(bytes);
    const table = parseCsv(text, name, { delimiter: lower.endsWith('.tsv') ? '\t' : ',' });
    if (table.numRows === 0) throw new InputError(`${name}: the table has no rows (only a header)`);
    return { format: 'csv', table };
  }
  throw new InputError(`${name}: unknown file type; drop a .csv, .tsv or .npz file`);
}

function distinctCount(values: ArrayLike<unknown>): number {
  const seen = new Set<unknown>();
  for (let i = 0; i < values.length && seen.size <= MAX_CATEGORIES; i++) seen.add(values[i]);
  return seen.size;
}

function columnsOf(p: Parsed): { name: string; values: ArrayLike<unknown> }[] {
  if (p.format === 'csv') {
    return p.table.names.map((name) => {
      const col = p.table.columns.get(name)!;
      return { name, values: Array.from({ length: p.table.numRows }, (_, r) => cellText(col, r).trim()) };
    });
  }
  return Object.entries(p.arrays)
    .filter(([, a]) => a.shape.length === 1 && a.shape[0] === p.rows)
    .map(([name, a]) => ({ name, values: a.data as ArrayLike<unknown> }));
}

/** Parse the file and list the columns a label, attribute and split can come from. */
export function inspectFile(name: string, bytes: Uint8Array): FileSummary {
  const p = parse(name, bytes);
  const cols = columnsOf(p);
  const categorical = cols
    .map((c) => ({ name: c.name, distinct: distinctCount(c.values) }))
    .filter((c) => c.distinct >= 2 && c.distinct <= MAX_CATEGORIES && (p.format === 'npz' || isIntegerOrText(cols.find((k) => k.name === c.name)!.values)));
  if (categorical.length === 0) {
    throw new InputError(
      `${name}: no column can be the label: a label column holds class names or integer codes with 2 to ${MAX_CATEGORIES} distinct values ` +
      `(columns: ${cols.map((c) => c.name).join(', ')})`,
    );
  }
  return { format: p.format, rows: p.format === 'csv' ? p.table.numRows : p.rows, categorical, all: cols.map((c) => c.name) };
}

function isIntegerOrText(values: ArrayLike<unknown>): boolean {
  for (let i = 0; i < values.length; i++) {
    const s = String(values[i]);
    if (s === '') continue;
    const v = Number(s);
    if (!Number.isNaN(v) && !Number.isInteger(v)) return false;
  }
  return true;
}

/** The dataset for the chosen columns, features standardised by training-split statistics. */
export function userDataset(name: string, bytes: Uint8Array, choice: ColumnChoice): Dataset {
  const p = parse(name, bytes);
  const base = name.replace(/\.[^.]*$/, '');
  let split = choice.split;
  const codes = split ? undefined : randomSplit(p.format === 'csv' ? p.table.numRows : p.rows, choice.seed);
  let ds: Dataset;
  if (p.format === 'csv') {
    if (codes) {
      split = RANDOM_SPLIT;
      p.table.columns.set(split, { kind: 'text', values: Array.from(codes, String) });
      p.table.names.push(split);
    }
    ds = datasetFromTable(p.table, { label: choice.label, attr: choice.attr, split, name: base });
  } else {
    if (codes) {
      split = RANDOM_SPLIT;
      p.arrays[split] = { dtype: 'int32', shape: [codes.length], data: codes };
    }
    ds = datasetFromArrays(p.arrays, name, { label: choice.label, attr: choice.attr, split, name: base });
  }
  standardize(ds);
  return ds;
}

/** 0 train, 1 val, 2 test: 60 / 20 / 20, seeded. */
function randomSplit(n: number, seed: number): Int32Array {
  const order = Rng.derive(seed, 'web/split').permutation(n);
  const codes = new Int32Array(n);
  for (let r = 0; r < n; r++) codes[order[r]] = r < 0.6 * n ? 0 : r < 0.8 * n ? 1 : 2;
  return codes;
}

/**
 * z-scores with the training split's mean and standard deviation: the linear-head defaults were
 * tuned on features of that scale (raw pixel or count features underfit badly with them).
 */
function standardize(ds: Dataset): void {
  const d = ds.dim;
  const n = ds.train.y.length;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  const x = ds.train.x;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sq[j] += (x[i * d + j] - mean[j]) ** 2;
  const scale = Array.from(sq, (s) => { const sd = Math.sqrt(s / n); return sd > 0 ? 1 / sd : 1; });
  const views = new Set([ds.train.x, ds.val.x, ds.test.x]);
  // Splits may view one array: standardise each distinct buffer region once.
  for (const split of [ds.train, ds.val, ds.test]) {
    if (!views.has(split.x)) continue;
    views.delete(split.x);
    const xs = split.x;
    for (let i = 0; i < xs.length; i++) { const j = i % d; xs[i] = (xs[i] - mean[j]) * scale[j]; }
  }
}
