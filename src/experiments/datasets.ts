// Resolving --data for `mat train` and `mat sweep`: built-in names, data files (or folders of .npy
// files) and benchmark folders (waterbirds:DIR, ...), described by a small JSON-able spec. A sweep loads each once (sweep/loader.ts) into SharedArrayBuffers
// (shareDataset) that every worker reads.
import fs from 'node:fs';
import path from 'node:path';
import { builtinDatasets, loadBuiltin } from '../data/builtin.js';
import type { Dataset, Split } from '../data/dataset.js';
import { loadDatasetFile } from '../data/files/load.js';
import type { NoteHandler } from '../data/files/assemble.js';
import { BENCHMARK_MODALITY, BENCHMARKS, loadBenchmark, type BenchmarkName } from '../data/benchmarks/index.js';
import { BUILTIN_EXPERIMENTS, linearHeadPreset, presetFor, type ModelFamily, type Preset } from './presets.js';
import { InputError } from '../util/errors.js';
import { checkFeatureScaling, type FeatureScaling } from '../data/standardize.js';

export type DatasetSpec = (
  | { kind: 'builtin'; key: string; name: string }
  | { kind: 'file'; key: string; path: string; label?: string; attr?: string; split?: string; bytes: number }
  | {
    kind: 'benchmark'; key: string; benchmark: BenchmarkName; root: string;
    embeddings?: string; backbone?: string; tokenizer?: string; bytes: number;
  }
) & {
  /** Linear heads' feature scaling; absent: standardised (the default). */
  scale?: FeatureScaling;
};

export interface FileFlags {
  label?: string;
  attr?: string;
  split?: string;
  /** Linear heads' feature scaling (default 'standard'). */
  scale?: FeatureScaling;
  /** Benchmark folders: precomputed embeddings (.npy, one row per metadata row). */
  embeddings?: string;
  /** Benchmark folders: an ONNX backbone that computes the embeddings. */
  backbone?: string;
  /** Text benchmarks with a backbone: its tokenizer.json. */
  tokenizer?: string;
}

/** Size in bytes of a file, or of the .npy files of a folder (recorded so that a changed input is noticed). */
function sizeOf(abs: string): number {
  const st = fs.statSync(abs);
  if (st.isFile()) return st.size;
  return fs.readdirSync(abs).filter((f) => f.endsWith('.npy')).reduce((s, f) => s + fs.statSync(path.join(abs, f)).size, 0);
}

/** `NAME:DIR` of a benchmark folder, checked against --embeddings / --backbone / --tokenizer. */
function benchmarkSpec(name: BenchmarkName, dir: string, flags: FileFlags): DatasetSpec {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new InputError(`--data ${name}:${dir}: no such folder`);
  if (!flags.embeddings && !flags.backbone) {
    throw new InputError(
      `--data ${name}:${dir}: give --embeddings FILE.npy (one row per metadata row) or --backbone model.onnx ` +
      `(or embed once with \`mat embed --data ${name}:${dir} --backbone model.onnx --out DIR\` and pass --data DIR)`,
    );
  }
  if (flags.embeddings && flags.backbone) throw new InputError('--embeddings and --backbone: give one of them, not both');
  const text = BENCHMARK_MODALITY[name] === 'text';
  if (flags.backbone && text && !flags.tokenizer) throw new InputError(`--backbone for ${name} (text) needs --tokenizer tokenizer.json`);
  if (flags.tokenizer && !text) throw new InputError(`--tokenizer: ${name} is an image benchmark; its backbone takes pixels`);
  if (flags.tokenizer && !flags.backbone) throw new InputError('--tokenizer goes with --backbone');
  for (const [flag, file] of [['--embeddings', flags.embeddings], ['--backbone', flags.backbone], ['--tokenizer', flags.tokenizer]] as const) {
    if (file && !fs.existsSync(file)) throw new InputError(`${flag} ${file}: file not found`);
  }
  const spec: DatasetSpec = { kind: 'benchmark', key: name, benchmark: name, root, bytes: flags.embeddings ? sizeOf(path.resolve(flags.embeddings)) : 0 };
  if (flags.embeddings) spec.embeddings = path.resolve(flags.embeddings);
  if (flags.backbone) spec.backbone = path.resolve(flags.backbone);
  if (flags.tokenizer) spec.tokenizer = path.resolve(flags.tokenizer);
  return spec;
}

const TABLE_EXTENSIONS = ['.csv', '.tsv', '.parquet', '.pq'];

/**
 * `--data a,b`: built-in names, paths of files or .npy folders (they get --label/--attr/--split), or
 * benchmark folders `waterbirds:DIR` (they get --embeddings or --backbone/--tokenizer). Checked up front.
 */
export function parseDataArg(data: string, flags: FileFlags = {}): DatasetSpec[] {
  const items = data.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InputError('--data: give a built-in dataset name, a data file or a folder');
  const specs: DatasetSpec[] = [];
  // Stored only when it differs from the default, so that sweep folders made before keep their config.
  const scale = flags.scale !== undefined && checkFeatureScaling(flags.scale) !== 'standard' ? { scale: flags.scale } : {};
  for (const item of items) {
    if (Object.prototype.hasOwnProperty.call(builtinDatasets, item)) {
      specs.push({ kind: 'builtin', key: item, name: item, ...scale });
      continue;
    }
    const bench = /^([a-z]+):(.+)$/.exec(item);
    if (bench && (BENCHMARKS as readonly string[]).includes(bench[1])) {
      specs.push({ ...benchmarkSpec(bench[1] as BenchmarkName, bench[2], flags), ...scale });
      continue;
    }
    const abs = path.resolve(item);
    if (!fs.existsSync(abs)) {
      throw new InputError(
        `--data "${item}": no such file, and not a built-in dataset (built-ins: ${Object.keys(builtinDatasets).join(', ')}; ` +
        `also a folder of .npy files, or a benchmark folder: ${BENCHMARKS.map((b) => `${b}:DIR`).join(', ')})`,
      );
    }
    const st = fs.statSync(abs);
    if (!st.isFile() && !st.isDirectory()) throw new InputError(`--data "${item}": not a file or folder`);
    const ext = st.isFile() ? path.extname(abs).toLowerCase() : '';
    if (TABLE_EXTENSIONS.includes(ext) && !flags.label) {
      throw new InputError(`--data "${item}": a table needs --label COLUMN (and usually --attr COLUMN and --split COLUMN)`);
    }
    if (flags.embeddings || flags.backbone) {
      throw new InputError(`--embeddings / --backbone apply to benchmark folders (${BENCHMARKS.map((b) => `${b}:DIR`).join(', ')}), not to "${item}"`);
    }
    const key = path.basename(abs, ext).replace(/[^A-Za-z0-9_.-]/g, '_') || 'data';
    specs.push({ kind: 'file', key, path: abs, label: flags.label, attr: flags.attr, split: flags.split, bytes: sizeOf(abs), ...scale });
  }
  const keys = specs.map((s) => s.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new InputError(`--data: two datasets would share the name "${dup}"; rename one of the files`);
  return specs;
}

export async function loadSpec(spec: DatasetSpec, opts: { shared?: boolean; onNote?: NoteHandler } = {}): Promise<Dataset> {
  if (spec.kind === 'builtin') return loadBuiltin(spec.name);
  if (spec.kind === 'benchmark') {
    const backbone = spec.backbone ? { onnx: spec.backbone, ...(spec.tokenizer ? { tokenizer: spec.tokenizer } : {}) } : undefined;
    return loadBenchmark(spec.benchmark, { root: spec.root, embeddings: spec.embeddings, backbone: backbone as never, onNote: opts.onNote });
  }
  return loadDatasetFile(spec.path, { label: spec.label ?? 'y', attr: spec.attr, split: spec.split, name: spec.key, shared: opts.shared, onNote: opts.onNote });
}

/** Training settings for the dataset: the built-in presets; a linear head for files. */
export function presetForSpec(spec: DatasetSpec, ds: Dataset): Preset {
  return spec.kind === 'builtin' ? presetFor(ds, { scale: spec.scale }) : linearHeadPreset(ds, { scale: spec.scale });
}

export function familyOf(spec: DatasetSpec): ModelFamily {
  return spec.kind === 'builtin' ? BUILTIN_EXPERIMENTS[spec.name].family : 'linear';
}

/** A copy of `arr` in a SharedArrayBuffer (structured clone hands it to workers without copying). */
export function toShared<T extends Float32Array | Int32Array>(arr: T): T {
  const Ctor = arr.constructor as { new (buffer: SharedArrayBuffer): T };
  const out = new Ctor(new SharedArrayBuffer(arr.byteLength));
  out.set(arr);
  return out;
}

/**
 * The dataset with every split array moved into shared memory (arrays already there are kept).
 * Consumes `ds`: each original is dropped from it once copied, so that it can be freed early (unless
 * it is a view of a buffer that other arrays still use, as file loaders' splits can be).
 */
export function shareDataset(ds: Dataset): Dataset {
  const share = (split: Split): Split => {
    const out: Split = { ...split };
    for (const key of ['x', 'y', 'a', 'ids'] as const) {
      const arr = split[key];
      if (!arr) continue;
      (out as Record<typeof key, unknown>)[key] = arr.buffer instanceof SharedArrayBuffer ? arr : toShared(arr);
      delete (split as Partial<Split>)[key];
    }
    return out;
  };
  return { ...ds, train: share(ds.train), val: share(ds.val), test: share(ds.test) };
}

export interface DataFlags extends FileFlags {
  data: string;
  scale?: FeatureScaling;
  noise?: number;
  seed: number;
}

/** `mat train`'s --data: one built-in name (with its options), one data file or folder, or one benchmark folder. */
export async function resolveDataset(flags: DataFlags, opts: { onNote?: NoteHandler } = {}): Promise<Dataset> {
  if (Object.prototype.hasOwnProperty.call(builtinDatasets, flags.data)) {
    const options: Record<string, number> = { seed: flags.seed };
    if (flags.noise !== undefined) options.noise = flags.noise;
    return loadBuiltin(flags.data, options);
  }
  if (flags.noise !== undefined) throw new InputError('--noise applies to the built-in fig1 data only');
  const specs = parseDataArg(flags.data, flags);
  if (specs.length !== 1) throw new InputError('mat train takes one dataset');
  return loadSpec(specs[0], opts);
}


/** What `mat predict` needs to read new data as the model was trained: saved as data.json beside model.onnx. */
export interface DataDescription {
  dataset: string;
  dim: number;
  /** Label / attribute / split columns or arrays named at training (data files). */
  label?: string;
  attr?: string;
  split?: string;
  /** Feature columns, in the model's input order (tables). */
  features?: string[];
  /** Class k's original label value; attribute value names likewise. */
  classNames?: string[];
  attributeNames?: string[];
}

export function describeData(ds: Dataset, flags: FileFlags = {}): DataDescription {
  const out: DataDescription = { dataset: ds.name, dim: ds.dim };
  if (flags.label) out.label = flags.label;
  if (flags.attr) out.attr = flags.attr;
  if (flags.split) out.split = flags.split;
  if (ds.featureNames) out.features = ds.featureNames;
  if (ds.classNames) out.classNames = ds.classNames;
  if (ds.attributeNames) out.attributeNames = ds.attributeNames;
  return out;
}
