// Tables from CSV (csv-parse) and Parquet (hyparquet) files, as named columns.
//
// CSV cells stay strings (the loaders decide what is numeric); Parquet columns of numeric or boolean
// physical type become numbers (null → NaN), everything else strings (null → '').
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { InputError, show } from '../../util/errors.js';

export type TableColumn =
  | { kind: 'number'; values: Float64Array }
  | { kind: 'text'; values: string[] };

export interface Table {
  path: string;
  format: 'csv' | 'parquet';
  numRows: number;
  /** Column names in file order (only those read, when `columns` was given). */
  names: string[];
  columns: Map<string, TableColumn>;
}

export interface ReadTableOptions {
  /** Read only these columns (each must exist). Default: all. */
  columns?: readonly string[];
  /** CSV field delimiter; default ',' (or tab for .tsv files). */
  delimiter?: string;
}

export type TableFormat = 'csv' | 'parquet';

/** The table format implied by a file name, or null. */
export function tableFormatOf(file: string): TableFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  return null;
}

/** Read a CSV/TSV or Parquet table, chosen by the file extension. */
export async function readTable(file: string, opts: ReadTableOptions = {}): Promise<Table> {
  const format = tableFormatOf(file);
  if (format === 'csv') return readCsv(file, opts);
  if (format === 'parquet') return readParquet(file, opts);
  throw new InputError(`${file}: unknown table format "${path.extname(file)}" (expected .csv, .tsv, .parquet or .pq)`);
}

export function checkFileExists(file: string, what = 'file'): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new InputError(`${file}: ${what} not found`);
  }
  if (!st.isFile()) throw new InputError(`${file}: expected a ${what}, found a directory or special file`);
}

function missingColumn(file: string, name: string, names: readonly string[]): InputError {
  const list = names.length > 20 ? `${names.slice(0, 20).join(', ')}, ... (${names.length} in all)` : names.join(', ');
  return new InputError(`${file}: column "${name}" not found; the columns are: ${list}`);
}

/** Read a CSV file; the first record is the header. */
export function readCsv(file: string, opts: ReadTableOptions = {}): Table {
  checkFileExists(file, 'CSV file');
  const text = fs.readFileSync(file, 'utf8');
  const delimiter = opts.delimiter ?? (path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',');
  return parseCsv(text, file, { ...opts, delimiter });
}

/** Parse CSV text (header in the first record) into string columns. */
export function parseCsv(text: string, source: string, opts: ReadTableOptions = {}): Table {
  let header: string[] | null = null;
  let keep: number[] = [];
  let cols: string[][] = [];
  let wanted: string[] = [];
  try {
    parse(text, {
      bom: true,
      delimiter: opts.delimiter ?? ',',
      skip_empty_lines: true,
      relax_quotes: false,
      relax_column_count: true,
      on_record: (record: string[], ctx: { lines: number }) => {
        if (header === null) {
          header = record.map((s) => s.trim());
          const h = header;
          wanted = opts.columns ? [...opts.columns] : h;
          for (const name of wanted) if (!h.includes(name)) throw missingColumn(source, name, h);
          keep = wanted.map((name) => h.indexOf(name));
          cols = wanted.map(() => []);
          return null;
        }
        if (record.length !== header.length) {
          throw new InputError(
            `${source}: line ${ctx.lines}: expected ${header.length} fields (as in the header), found ${record.length}`,
          );
        }
        for (let j = 0; j < keep.length; j++) cols[j].push(record[keep[j]]);
        return null;
      },
    });
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${source}: cannot parse as CSV: ${(e as Error).message}`, { cause: e });
  }
  if (header === null) throw new InputError(`${source}: the file is empty (expected a header line with column names)`);
  const columns = new Map<string, TableColumn>();
  wanted.forEach((name, j) => columns.set(name, { kind: 'text', values: cols[j] }));
  return { path: source, format: 'csv', numRows: cols[0]?.length ?? 0, names: wanted, columns };
}

/** Read a Parquet file (flat columns; snappy or uncompressed pages). */
export async function readParquet(file: string, opts: ReadTableOptions = {}): Promise<Table> {
  checkFileExists(file, 'Parquet file');
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new InputError(`${file}: cannot read as Parquet: ${(e as Error).message}`, { cause: e });
  }
  const schema = parquetSchema(metadata);
  const all = schema.children.map((c) => c.element.name);
  const wanted = opts.columns ? [...opts.columns] : all;
  for (const name of wanted) {
    const child = schema.children.find((c) => c.element.name === name);
    if (!child) throw missingColumn(file, name, all);
    if (child.children.length > 0) throw new InputError(`${file}: column "${name}" is nested (a list or struct); expected a flat column`);
  }
  const numRows = Number(metadata.num_rows);
  const raw = new Map<string, unknown[]>(wanted.map((n) => [n, new Array<unknown>(numRows).fill(null)]));
  try {
    await parquetRead({
      file: buffer,
      metadata,
      columns: wanted,
      utf8: true,
      onChunk: ({ columnName, columnData, rowStart }) => {
        const dst = raw.get(columnName);
        if (!dst) return;
        for (let i = 0; i < columnData.length && rowStart + i < numRows; i++) dst[rowStart + i] = columnData[i];
      },
    });
  } catch (e) {
    throw new InputError(`${file}: cannot read Parquet data: ${(e as Error).message}`, { cause: e });
  }
  const columns = new Map<string, TableColumn>();
  for (const name of wanted) columns.set(name, toColumn(raw.get(name)!));
  return { path: file, format: 'parquet', numRows, names: wanted, columns };
}

function toColumn(values: unknown[]): TableColumn {
  let numeric = true;
  for (const v of values) {
    if (v !== null && v !== undefined && typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') {
      numeric = false;
      break;
    }
  }
  if (numeric) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      out[i] = v === null || v === undefined ? NaN : Number(v);
    }
    return { kind: 'number', values: out };
  }
  return {
    kind: 'text',
    values: values.map((v) => (v === null || v === undefined ? '' : v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v))),
  };
}

// ---------- cell helpers shared by the loaders ----------

/** A CSV cell as a number: finite numbers, NaN for "nan"/"NaN", null when it is not a number (or empty). */
export function parseNumber(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  const v = Number(t);
  return Number.isNaN(v) ? null : v;
}

/** Numeric value of row r (null: empty or not a number). */
export function cellNumber(col: TableColumn, r: number): number | null {
  if (col.kind === 'number') return col.values[r];
  return parseNumber(col.values[r]);
}

/** Text of row r. */
export function cellText(col: TableColumn, r: number): string {
  if (col.kind === 'number') {
    const v = col.values[r];
    return Number.isNaN(v) ? '' : String(v);
  }
  return col.values[r];
}

/** Whether a column holds numbers: a numeric Parquet column, or a CSV column whose first non-empty cell is a number. */
export function isNumericColumn(col: TableColumn): boolean {
  if (col.kind === 'number') return true;
  for (const s of col.values) {
    if (s.trim() === '') continue;
    return parseNumber(s) !== null;
  }
  return false;
}

/** The column, or a InputError that names the file and lists the columns. */
export function getColumn(table: Table, name: string): TableColumn {
  const col = table.columns.get(name);
  if (!col) throw missingColumn(table.path, name, table.names);
  return col;
}

/** Numeric values of a column; a InputError at the first empty or non-numeric cell. */
export function numericColumn(table: Table, name: string, what = 'a number'): Float64Array {
  const col = getColumn(table, name);
  if (col.kind === 'number') return col.values;
  const out = new Float64Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    const v = parseNumber(col.values[r]);
    if (v === null) throw new InputError(`${table.path}: column "${name}", row ${r + 1}: expected ${what}, got ${show(col.values[r])}`);
    out[r] = v;
  }
  return out;
}
