// What every benchmark adapter shares: where its features come from (a precomputed .npy aligned to the
// metadata rows, or an ONNX backbone), and the assembly into a Dataset.
import type { Dataset } from '../dataset.js';
import { InputError, show } from '../../util/errors.js';
import { cellText, getColumn, parseNumber, type Table } from '../files/table.js';
import { readNpy, toFloat32, writeNpy } from '../files/npy.js';
import { finishDataset, firstNonFinite, partitionRows, splitCode, SPLIT_VALUES_HELP, type NoteHandler } from '../files/assemble.js';
import { embedImages, embedTexts, type Embeddings, type ImageBackbone, type TextBackbone } from './backbone.js';

export interface BenchmarkOptions<B> {
  /** The benchmark's folder in its standard layout. */
  root: string;
  /** Precomputed embeddings: a .npy file of n × d float32 rows, one per metadata row, in metadata order. */
  embeddings?: string;
  /** Or: compute the embeddings with this ONNX backbone. */
  backbone?: B;
  /** Where to save computed embeddings (a .npy file), to pass as `embeddings` next time. */
  saveEmbeddings?: string;
  /** Dataset name (default: the benchmark's). */
  name?: string;
  /** Receives notes (float16 embeddings widened, a class with a single training example). */
  onNote?: NoteHandler;
}

export type ImageBenchmarkOptions = BenchmarkOptions<ImageBackbone>;
export type TextBenchmarkOptions = BenchmarkOptions<TextBackbone>;

/**
 * Read precomputed embeddings and check them against the metadata: 2-D (or n × d × 1 × 1), one row per
 * metadata row, finite values. float32 files are viewed without a copy; other numeric dtypes converted.
 */
export function readEmbeddings(file: string, expectedRows: number, metadataFile: string, onNote?: NoteHandler): Embeddings {
  const arr = readNpy(file);
  if (arr.shape.length < 2 || arr.shape.slice(2).some((d) => d !== 1)) {
    throw new InputError(`${file}: embeddings have shape (${arr.shape.join(', ')}); expected a 2-D array (n rows × d features)`);
  }
  const [n, dim] = arr.shape;
  if (n !== expectedRows) {
    throw new InputError(
      `${file}: the embeddings have ${n} rows but ${metadataFile} has ${expectedRows} rows; ` +
      'expected one embedding per metadata row, in the same order',
    );
  }
  if (dim === 0) throw new InputError(`${file}: embeddings have 0 features per row`);
  const x = toFloat32(arr, file);
  if (arr.dtype === 'float16') onNote?.(`${file}: the embeddings are float16; converted to float32 (${n} × ${dim} values)`);
  const bad = firstNonFinite(x, dim);
  if (bad) throw new InputError(`${file}: embedding row ${bad.row + 1} (0-based ${bad.row}), column ${bad.col}: ${bad.value}; expected finite numbers`);
  return { x, dim };
}

/** The parsed metadata of a benchmark: one entry per metadata row. */
export interface BenchmarkMeta {
  name: string;
  /** The metadata file, named in messages. */
  source: string;
  y: Int32Array;
  a: Int32Array;
  /** 0 train, 1 val, 2 test. */
  split: Uint8Array;
  classNames: string[];
  attributeNames: string[];
  labelWhat: string;
  attrWhat: string;
  splitWhat: string;
}

/** Features for the metadata rows: from `opts.embeddings`, or computed by `compute` with `opts.backbone`. */
export async function featuresFor<B>(
  meta: BenchmarkMeta,
  opts: BenchmarkOptions<B>,
  compute: (backbone: B) => Promise<Embeddings>,
): Promise<Embeddings> {
  if (opts.embeddings && opts.backbone) {
    throw new InputError(`${meta.name}: give either precomputed embeddings or an ONNX backbone, not both`);
  }
  if (opts.embeddings) return readEmbeddings(opts.embeddings, meta.y.length, meta.source, opts.onNote);
  if (!opts.backbone) {
    throw new InputError(`${meta.name}: no features: give precomputed embeddings (a .npy of n × d rows aligned with ${meta.source}) or an ONNX backbone`);
  }
  const emb = await compute(opts.backbone);
  const bad = firstNonFinite(emb.x, emb.dim);
  if (bad) throw new InputError(`${meta.name}: the backbone gave a non-finite embedding (${bad.value}) for metadata row ${bad.row + 1}`);
  if (opts.saveEmbeddings) writeNpy(opts.saveEmbeddings, { data: emb.x, shape: [meta.y.length, emb.dim] });
  return emb;
}

/** Assemble the Dataset (ids = metadata row numbers, 0-based) with the usual up-front checks. */
export function buildBenchmarkDataset(meta: BenchmarkMeta, emb: Embeddings, name?: string, onNote?: NoteHandler): Dataset {
  const ids = Int32Array.from({ length: meta.y.length }, (_, i) => i);
  const splits = partitionRows(meta.split, emb.x, emb.dim, meta.y, meta.a, ids);
  return finishDataset({
    name: name ?? meta.name,
    source: meta.source,
    dim: emb.dim,
    splits,
    numClasses: meta.classNames.length,
    classNames: meta.classNames,
    numAttributes: meta.attributeNames.length,
    attributeNames: meta.attributeNames,
    labelWhat: meta.labelWhat,
    attrWhat: meta.attrWhat,
    splitWhat: meta.splitWhat,
    onNote,
  });
}

export { embedImages, embedTexts };

// ---------- metadata helpers ----------


/**
 * Integer codes of a metadata column: numbers in `allowed`, or (when given) texts listed in `names`
 * (case-insensitive, e.g. True/False). A InputError names the file, column, row and allowed values.
 */
export function codeColumn(
  table: Table,
  column: string,
  allowed: readonly number[],
  names: Record<string, number> = {},
): Int32Array {
  const col = getColumn(table, column);
  const out = new Int32Array(table.numRows);
  const lower = new Map(Object.entries(names).map(([k, v]) => [k.toLowerCase(), v]));
  for (let r = 0; r < table.numRows; r++) {
    const text = cellText(col, r).trim();
    const num = col.kind === 'number' ? col.values[r] : parseNumber(text);
    let code: number | undefined;
    if (num !== null && allowed.includes(num)) code = num;
    else if (lower.has(text.toLowerCase())) code = lower.get(text.toLowerCase());
    if (code === undefined) {
      const expect = [...allowed.map(String), ...Object.keys(names)].join(', ');
      throw new InputError(`${table.path}: column "${column}", row ${r + 1}: expected one of ${expect}, got ${show(col.kind === 'number' ? col.values[r] : text)}`);
    }
    out[r] = code;
  }
  return out;
}

/** Split codes (0 train, 1 val, 2 test) of a metadata column. */
export function splitColumn(table: Table, column: string): Uint8Array {
  const col = getColumn(table, column);
  const out = new Uint8Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) {
    const v = col.kind === 'number' ? col.values[r] : col.values[r];
    const c = splitCode(v);
    if (c === null) throw new InputError(`${table.path}: column "${column}", row ${r + 1}: expected ${SPLIT_VALUES_HELP}, got ${show(v)}`);
    out[r] = c;
  }
  return out;
}
