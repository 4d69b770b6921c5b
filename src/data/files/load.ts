// Load a Dataset from one file: an NPZ archive of arrays, a folder of .npy files, or a CSV / Parquet table.
//
// NPZ, or a folder of .npy files (x.npy, y.npy, ...: the same names): arrays `x` (or `X`, `features`; n × d, or n × ... flattened), `y` (or `label`, `labels`),
// optional `a` (or `attr`, `attribute`), and `split` (0/1/2 or train/val/valid/validation/test);
// or separate arrays per split: `x_train, y_train, a_train, x_val, y_val, a_val, x_test, ...`
// (`valid` / `validation` accepted for `val`). Option `label` / `attr` / `split` / `features[0]` name
// an array to use instead of the standard names.
//
// CSV / Parquet: one row per example. Feature columns are the given `features`, or every numeric
// column other than the label, attribute and split columns (a CSV column is numeric when its first
// non-empty cell is a number). Label and attribute values may be numbers or strings; either way they
// are mapped to 0..K−1 in sorted order and the original values kept as classNames / attributeNames.
// Split values: train / val / valid / validation / test (any case) or 0 / 1 / 2.
//
// Rows in error messages are data rows counted from 1 (the CSV header is not a row).
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset, Split, SplitName } from '../dataset.js';
import { SPLIT_NAMES } from '../dataset.js';
import { InputError, show } from '../../util/errors.js';
import { toFloat32, type NpyArray } from './npy.js';
import { inMemorySource, npyDirSource, npzSource, type ArraySource } from './arraySource.js';
import { cellNumber, getColumn, isNumericColumn, readTable, tableFormatOf, type Table, type TableColumn } from './table.js';
import {
  encodeCategories,
  finishDataset,
  type NoteHandler,
  firstNonFinite,
  partitionRows,
  splitCode,
  SPLIT_VALUES_HELP,
} from './assemble.js';

export interface LoadOptions {
  /** Label column (CSV/Parquet) or array (NPZ; default names y / label / labels are tried too). */
  label: string;
  /** Attribute column or array (NPZ: a / attr / attribute are used when present). */
  attr?: string;
  /** Split column or array (default "split"). */
  split?: string;
  /** Feature columns (CSV/Parquet; default: every numeric column but label/attr/split); for NPZ, [name of the x array]. */
  features?: string[];
  /** Dataset name (default: the file name without its extension). */
  name?: string;
  /** Read NPY/NPZ arrays into SharedArrayBuffers (for sharing between worker threads without a copy). */
  shared?: boolean;
  /**
   * Called with what the loader did that the user should know about (labels mapped to 0..K−1,
   * float16 features widened, a class with a single training example); by default nothing is said.
   */
  onNote?: NoteHandler;
}

/**
 * Load a dataset from a .npz, .csv, .tsv, .parquet or .pq file, or a folder of .npy files.
 * Throws InputError for malformed input.
 */
export async function loadDatasetFile(file: string, opts: LoadOptions): Promise<Dataset> {
  if (!fs.existsSync(file)) throw new InputError(`${file}: file not found`);
  const ext = path.extname(file).toLowerCase();
  const name = opts.name ?? (path.basename(file, path.extname(file)) || 'data');
  if (fs.statSync(file).isDirectory()) return loadArraysDataset(npyDirSource(file, opts), { ...opts, name });
  if (ext === '.npz') return loadArraysDataset(npzSource(file, opts), { ...opts, name });
  if (tableFormatOf(file)) return loadTableDataset(file, { ...opts, name });
  if (ext === '.npy') {
    throw new InputError(
      `${file}: a .npy file holds a single array; put x.npy, y.npy, split.npy (and a.npy) in a folder and pass the folder, ` +
      'or save them together with np.savez into a .npz file',
    );
  }
  throw new InputError(`${file}: unknown data file type "${ext}" (expected .npz, .csv, .tsv, .parquet, .pq, or a folder of .npy files)`);
}

// ---------- tables ----------

/** Category values of a label/attribute column: numbers (integers) when numeric, else trimmed strings. */
function categoryValues(table: Table, name: string, role: string): (string | number)[] {
  const col = getColumn(table, name);
  const numeric = isNumericColumn(col);
  const out = new Array<string | number>(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    if (numeric) {
      const v = cellNumber(col, r);
      if (v === null || Number.isNaN(v)) {
        const raw = col.kind === 'text' ? col.values[r] : '';
        throw new InputError(
          `${table.path}: ${role} column "${name}", row ${r + 1}: ` +
          (raw.trim() === '' ? 'missing value' : `expected a number like the rows above, got ${show(raw)}`),
        );
      }
      if (!Number.isInteger(v)) {
        throw new InputError(`${table.path}: ${role} column "${name}", row ${r + 1}: expected an integer class code or a string, got ${v}`);
      }
      out[r] = v;
    } else {
      const s = (col.values as string[])[r].trim();
      if (s === '') throw new InputError(`${table.path}: ${role} column "${name}", row ${r + 1}: missing value`);
      out[r] = s;
    }
  }
  return out;
}

function splitCodesOfColumn(table: Table, name: string): Uint8Array {
  const col = getColumn(table, name);
  const codes = new Uint8Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    const v: string | number = col.kind === 'number' ? col.values[r] : col.values[r];
    const c = splitCode(v);
    if (c === null) {
      throw new InputError(`${table.path}: split column "${name}", row ${r + 1}: expected ${SPLIT_VALUES_HELP}, got ${show(v)}`);
    }
    codes[r] = c;
  }
  return codes;
}

async function loadTableDataset(file: string, opts: LoadOptions & { name: string }): Promise<Dataset> {
  return datasetFromTable(await readTable(file), opts);
}

/** A dataset from a table already read (or parsed in memory, as the browser page does); `table.path` names it in messages. */
export function datasetFromTable(table: Table, opts: LoadOptions & { name: string }): Dataset {
  const file = table.path;
  if (table.numRows === 0) throw new InputError(`${file}: the table has no rows`);
  const splitName = opts.split ?? 'split';
  const label = categoryValues(table, opts.label, 'label');
  const attr = opts.attr ? categoryValues(table, opts.attr, 'attribute') : undefined;
  const codes = splitCodesOfColumn(table, splitName);

  const featureNames = featureColumns(table, opts.features, [opts.label, opts.attr, splitName], `label "${opts.label}"` +
    `${opts.attr ? `, attribute "${opts.attr}"` : ''}, split "${splitName}"`);
  const d = featureNames.length;
  const x = tableFeatures(table, featureNames);
  const yc = encodeCategories(label);
  const ac = attr ? encodeCategories(attr) : undefined;
  const splits = partitionRows(codes, x, d, yc.codes, ac?.codes);
  return finishDataset({
    name: opts.name,
    source: file,
    dim: d,
    splits,
    numClasses: yc.names.length,
    classNames: yc.names,
    numAttributes: ac ? ac.names.length : 1,
    attributeNames: ac?.names,
    labelWhat: `column "${opts.label}"`,
    attrWhat: opts.attr ? `column "${opts.attr}"` : undefined,
    splitWhat: `column "${splitName}"`,
    onNote: opts.onNote,
    featureNames,
  });
}

/** The feature columns: the given ones (each must exist), or every numeric column but `skip`. */
function featureColumns(table: Table, given: string[] | undefined, skip: (string | undefined)[], roles: string): string[] {
  if (given && given.length > 0) {
    const missing = given.filter((f) => !table.columns.has(f));
    if (missing.length > 0) {
      throw new InputError(
        `${table.path}: feature ${missing.length === 1 ? 'column' : 'columns'} ${missing.map((f) => `"${f}"`).join(', ')} not found ` +
        `(the columns are: ${table.names.join(', ')})`,
      );
    }
    return given;
  }
  const skipped = new Set(skip.filter((s): s is string => !!s));
  const names = table.names.filter((n) => !skipped.has(n) && isNumericColumn(table.columns.get(n)!));
  if (names.length === 0) throw new InputError(`${table.path}: no numeric feature columns (columns: ${table.names.join(', ')}; ${roles})`);
  return names;
}

/** The n × d feature matrix of the named columns: every cell a finite number. */
function tableFeatures(table: Table, featureNames: string[]): Float32Array {
  const file = table.path;
  const n = table.numRows;
  const d = featureNames.length;
  const x = new Float32Array(n * d);
  featureNames.forEach((fname, j) => {
    const col: TableColumn = table.columns.get(fname)!;
    for (let r = 0; r < n; r++) {
      const v = cellNumber(col, r);
      if (v === null) {
        const raw = col.kind === 'text' ? col.values[r] : '';
        throw new InputError(
          `${file}: feature column "${fname}", row ${r + 1}: expected a number, got ${raw.trim() === '' ? 'an empty cell' : show(raw)}`,
        );
      }
      if (!Number.isFinite(v)) {
        throw new InputError(`${file}: feature column "${fname}", row ${r + 1}: ${v} (features must be finite numbers, not NaN or infinite)`);
      }
      x[r * d + j] = v;
    }
  });
  return x;
}

// ---------- NPZ ----------

const X_NAMES = ['x', 'X', 'features'];
const Y_NAMES = ['y', 'label', 'labels'];
const A_NAMES = ['a', 'attr', 'attribute'];
const SPLIT_SUFFIXES: Record<SplitName, string[]> = { train: ['train'], val: ['val', 'valid', 'validation'], test: ['test'] };

function pick(arrays: ArraySource, names: readonly (string | undefined)[]): [string, NpyArray] | null {
  for (const n of names) if (n && arrays.names.includes(n)) return [n, arrays.get(n)];
  return null;
}

/** Values of a label/attribute array as category values (integers or strings). */
function arrayCategories(file: string, arrName: string, arr: NpyArray, n: number, xName: string): (string | number)[] {
  if (arr.shape.length !== 1 && !(arr.shape.length === 2 && arr.shape[1] === 1)) {
    throw new InputError(`${file}: array "${arrName}" has shape (${arr.shape.join(', ')}); expected a 1-D array of ${n} values`);
  }
  if (arr.data.length !== n) {
    throw new InputError(`${file}: array "${arrName}" has ${arr.data.length} values but "${xName}" has ${n} rows; expected one value per row`);
  }
  const d = arr.data;
  if (Array.isArray(d)) return d.map((s) => s.trim());
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = Number(d[i]);
    if (!Number.isInteger(v)) {
      throw new InputError(`${file}: array "${arrName}", row ${i + 1}: expected an integer class code, got ${v}`);
    }
    out[i] = v;
  }
  return out;
}

function splitCodesOfArray(file: string, sName: string, sArr: NpyArray, n: number, xName: string): Uint8Array {
  if (sArr.data.length !== n) {
    throw new InputError(`${file}: array "${sName}" has ${sArr.data.length} values but "${xName}" has ${n} rows; expected one split value per row`);
  }
  const codes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const raw = sArr.data[i];
    const v = typeof raw === 'bigint' ? Number(raw) : raw;
    const c = splitCode(v as string | number);
    if (c === null) throw new InputError(`${file}: array "${sName}", row ${i + 1}: expected ${SPLIT_VALUES_HELP}, got ${show(v)}`);
    codes[i] = c;
  }
  return codes;
}

function featuresOf(file: string, name: string, arr: NpyArray, onNote?: NoteHandler): { x: Float32Array; n: number; d: number } {
  if (arr.shape.length < 2) {
    throw new InputError(`${file}: array "${name}" has shape (${arr.shape.join(', ')}); expected a 2-D array (n examples × d features)`);
  }
  const n = arr.shape[0];
  const d = arr.shape.slice(1).reduce((s, v) => s * v, 1);
  if (d === 0) throw new InputError(`${file}: array "${name}" has shape (${arr.shape.join(', ')}); expected at least one feature`);
  const x = toFloat32(arr, `${file}: array "${name}"`);
  if (arr.dtype === 'float16') onNote?.(`${file}: array "${name}" is float16; converted to float32 (${n} × ${d} values)`);
  const bad = firstNonFinite(x, d);
  if (bad) {
    throw new InputError(`${file}: array "${name}", row ${bad.row + 1}, column ${bad.col}: ${bad.value} (features must be finite numbers, not NaN or infinite)`);
  }
  return { x, n, d };
}

/** A dataset from NPZ arrays already decoded (parseNpz: the browser page); `file` names them in messages. */
export function datasetFromArrays(arrays: Record<string, NpyArray>, file: string, opts: LoadOptions & { name: string }): Dataset {
  return loadArraysDataset(inMemorySource(file, arrays), opts);
}

function loadArraysDataset(arrays: ArraySource, opts: LoadOptions & { name: string }): Dataset {
  const file = arrays.path;
  const names = arrays.names;
  const listed = names.length ? names.join(', ') : '(none)';
  const xPick = pick(arrays, [opts.features?.[0], ...X_NAMES]);
  const labelNames = [opts.label, ...Y_NAMES];
  const attrNames = [opts.attr, ...A_NAMES];

  if (xPick) {
    const [xName, xArr] = xPick;
    const { x, n, d } = featuresOf(file, xName, xArr, opts.onNote);
    const yPick = pick(arrays, labelNames);
    if (!yPick) throw new InputError(`${file}: no label array (looked for ${labelNames.filter(Boolean).join(' / ')}; arrays: ${listed})`);
    const sPick = pick(arrays, [opts.split, 'split']);
    if (!sPick) {
      throw new InputError(
        `${file}: no split array (looked for ${[opts.split, 'split'].filter(Boolean).join(' / ')}: ${SPLIT_VALUES_HELP}; ` +
        `or give x_train / x_val / x_test arrays; arrays: ${listed})`,
      );
    }
    const aPick = pick(arrays, attrNames);
    if (opts.attr && !aPick) throw new InputError(`${file}: attribute array "${opts.attr}" not found (arrays: ${listed})`);
    const label = arrayCategories(file, yPick[0], yPick[1], n, xName);
    const attr = aPick ? arrayCategories(file, aPick[0], aPick[1], n, xName) : undefined;
    const [sName, sArr] = sPick;
    const codes = splitCodesOfArray(file, sName, sArr, n, xName);
    const yc = encodeCategories(label);
    const ac = attr ? encodeCategories(attr) : undefined;
    return finishDataset({
      name: opts.name,
      source: file,
      dim: d,
      splits: partitionRows(codes, x, d, yc.codes, ac?.codes),
      numClasses: yc.names.length,
      classNames: yc.names,
      numAttributes: ac ? ac.names.length : 1,
      attributeNames: ac?.names,
      labelWhat: `array "${yPick[0]}"`,
      attrWhat: aPick ? `array "${aPick[0]}"` : undefined,
      splitWhat: `array "${sName}"`,
      onNote: opts.onNote,
    });
  }

  // Separate arrays per split.
  const xBase = opts.features?.[0] ?? 'x';
  const perSplit = {} as Record<SplitName, { x: Float32Array; n: number; label: (string | number)[]; attr?: (string | number)[]; yName: string; aName?: string }>;
  let dim = -1;
  let anySplitArray = false;
  for (const s of SPLIT_NAMES) {
    const xp = pick(arrays, SPLIT_SUFFIXES[s].flatMap((suf) => [`${xBase}_${suf}`, `X_${suf}`]));
    if (xp) anySplitArray = true;
  }
  if (!anySplitArray) {
    throw new InputError(
      `${file}: no feature array (expected "${X_NAMES.join('" / "')}" with "split", or x_train / x_val / x_test; arrays: ${listed})`,
    );
  }
  let withAttr: boolean | null = null;
  for (const s of SPLIT_NAMES) {
    const xp = pick(arrays, SPLIT_SUFFIXES[s].flatMap((suf) => [`${xBase}_${suf}`, `X_${suf}`]));
    if (!xp) throw new InputError(`${file}: split "${s}" has no examples: array "${xBase}_${s}" not found (arrays: ${listed})`);
    const { x, n, d } = featuresOf(file, xp[0], xp[1], opts.onNote);
    if (dim >= 0 && d !== dim) {
      throw new InputError(`${file}: array "${xp[0]}" has ${d} features per row but "${xBase}_train" has ${dim}; expected the same feature dimension`);
    }
    dim = d;
    const yp = pick(arrays, SPLIT_SUFFIXES[s].flatMap((suf) => labelNames.filter(Boolean).map((b) => `${b}_${suf}`)));
    if (!yp) throw new InputError(`${file}: no label array for split "${s}" (expected y_${s}; arrays: ${listed})`);
    const ap = pick(arrays, SPLIT_SUFFIXES[s].flatMap((suf) => attrNames.filter(Boolean).map((b) => `${b}_${suf}`)));
    if (withAttr === null) withAttr = !!ap;
    else if (withAttr !== !!ap) {
      throw new InputError(`${file}: attribute arrays must be given for every split or none (${ap ? 'found' : 'missing'} for split "${s}")`);
    }
    perSplit[s] = {
      x,
      n,
      label: arrayCategories(file, yp[0], yp[1], n, xp[0]),
      attr: ap ? arrayCategories(file, ap[0], ap[1], n, xp[0]) : undefined,
      yName: yp[0],
      aName: ap?.[0],
    };
  }
  if (opts.attr && !withAttr) throw new InputError(`${file}: attribute arrays "${opts.attr}_train" etc. not found (arrays: ${listed})`);
  const yc = encodeCategories(SPLIT_NAMES.flatMap((s) => perSplit[s].label));
  const ac = withAttr ? encodeCategories(SPLIT_NAMES.flatMap((s) => perSplit[s].attr!)) : undefined;
  const splits = {} as Record<SplitName, Split>;
  let off = 0;
  for (const s of SPLIT_NAMES) {
    const p = perSplit[s];
    splits[s] = {
      x: p.x,
      y: yc.codes.subarray(off, off + p.n),
      a: ac ? ac.codes.subarray(off, off + p.n) : undefined,
      ids: Int32Array.from({ length: p.n }, (_, i) => i),
    };
    off += p.n;
  }
  return finishDataset({
    name: opts.name,
    source: file,
    dim,
    splits,
    numClasses: yc.names.length,
    classNames: yc.names,
    numAttributes: ac ? ac.names.length : 1,
    attributeNames: ac?.names,
    labelWhat: `arrays "${perSplit.train.yName}" / "${perSplit.val.yName}" / "${perSplit.test.yName}"`,
    attrWhat: withAttr ? `arrays "${perSplit.train.aName}" / ...` : undefined,
    splitWhat: 'arrays',
    onNote: opts.onNote,
  });
}

// ---------- rows for prediction ----------

export interface RowsOptions {
  /** Label column or array, when the rows have labels (NPZ / .npy folders: y / label / labels are used when present). */
  label?: string;
  /** Attribute column or array (NPZ / .npy folders: a / attr / attribute are used when present). */
  attr?: string;
  /** Split column or array (default "split", used when present). */
  split?: string;
  /** Feature columns (tables; default: every numeric column but label/attr/split); for arrays, [name of the x array]. */
  features?: string[];
  /** Use the named label / attribute / split only when the file has it (default: a named one must exist). */
  ifPresent?: boolean;
  onNote?: NoteHandler;
}

/** Rows of a data file in file order: features, and labels, attributes and splits where the file has them. */
export interface Rows {
  source: string;
  n: number;
  dim: number;
  x: Float32Array;
  featureNames?: string[];
  label?: (string | number)[];
  attr?: (string | number)[];
  /** 0 train, 1 val, 2 test. */
  split?: Uint8Array;
}

/**
 * The rows of a .npz, .csv, .tsv, .parquet file or a folder of .npy files, for a model to predict:
 * the same formats and checks as loadDatasetFile, with labels, attributes and splits optional.
 */
export async function loadRows(file: string, opts: RowsOptions = {}): Promise<Rows> {
  if (!fs.existsSync(file)) throw new InputError(`${file}: file not found`);
  if (fs.statSync(file).isDirectory()) return arrayRows(npyDirSource(file), opts);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npz') return arrayRows(npzSource(file), opts);
  if (tableFormatOf(file)) return tableRows(file, opts);
  if (ext === '.npy') throw new InputError(`${file}: a .npy file holds a single array; put x.npy (and y.npy, a.npy, split.npy) in a folder and pass the folder`);
  throw new InputError(`${file}: unknown data file type "${ext}" (expected .npz, .csv, .tsv, .parquet, .pq, or a folder of .npy files)`);
}

async function tableRows(file: string, opts: RowsOptions): Promise<Rows> {
  const table = await readTable(file);
  if (table.numRows === 0) throw new InputError(`${file}: the table has no rows`);
  const use = (name: string | undefined) => {
    if (name && !table.columns.has(name) && !opts.ifPresent) getColumn(table, name);
    return name && table.columns.has(name) ? name : undefined;
  };
  const [label, attr] = [use(opts.label), use(opts.attr)];
  const split = opts.split ? use(opts.split) : table.columns.has('split') ? 'split' : undefined;
  const featureNames = featureColumns(table, opts.features, [label, attr, split], 'no label, attribute or split named');
  const rows: Rows = { source: file, n: table.numRows, dim: featureNames.length, x: tableFeatures(table, featureNames), featureNames };
  if (label) rows.label = categoryValues(table, label, 'label');
  if (attr) rows.attr = categoryValues(table, attr, 'attribute');
  if (split) rows.split = splitCodesOfColumn(table, split);
  return rows;
}

function arrayRows(arrays: ArraySource, opts: RowsOptions): Rows {
  const file = arrays.path;
  const listed = arrays.names.join(', ');
  const xPick = pick(arrays, [opts.features?.[0], ...X_NAMES]);
  if (!xPick) {
    throw new InputError(`${file}: no feature array (expected ${[opts.features?.[0], ...X_NAMES].filter(Boolean).map((n) => `"${n}"`).join(' / ')}; arrays: ${listed})`);
  }
  const [xName, xArr] = xPick;
  const { x, n, d } = featuresOf(file, xName, xArr, opts.onNote);
  const rows: Rows = { source: file, n, dim: d, x };
  const optional = (given: string | undefined, defaults: string[], role: string) => {
    const p = pick(arrays, [given, ...defaults]);
    if (given && !p && !opts.ifPresent) throw new InputError(`${file}: ${role} array "${given}" not found (arrays: ${listed})`);
    return p;
  };
  const yPick = optional(opts.label, Y_NAMES, 'label');
  if (yPick) rows.label = arrayCategories(file, yPick[0], yPick[1], n, xName);
  const aPick = optional(opts.attr, A_NAMES, 'attribute');
  if (aPick) rows.attr = arrayCategories(file, aPick[0], aPick[1], n, xName);
  const sPick = optional(opts.split, ['split'], 'split');
  if (sPick) rows.split = splitCodesOfArray(file, sPick[0], sPick[1], n, xName);
  return rows;
}
