// Resolving --data for `mat train` and `mat sweep`: built-in names or data files, described by a
// small JSON-able spec. A sweep loads each once (sweep/loader.ts) into SharedArrayBuffers
// (shareDataset) that every worker reads.
import fs from 'node:fs';
import path from 'node:path';
import { builtinDatasets, loadBuiltin } from '../data/builtin.js';
import type { Dataset, Split } from '../data/dataset.js';
import { loadDatasetFile } from '../data/files/load.js';
import { BUILTIN_EXPERIMENTS, linearHeadPreset, presetFor, type ModelFamily, type Preset } from './presets.js';
import { InputError } from '../util/errors.js';
import { checkFeatureScaling, type FeatureScaling } from '../data/standardize.js';

export type DatasetSpec = (
  | { kind: 'builtin'; key: string; name: string }
  | { kind: 'file'; key: string; path: string; label?: string; attr?: string; split?: string; bytes: number }
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
}

const TABLE_EXTENSIONS = ['.csv', '.tsv', '.parquet', '.pq'];

/** `--data a,b`: built-in names or paths (files get --label/--attr/--split). Checked up front. */
export function parseDataArg(data: string, flags: FileFlags = {}): DatasetSpec[] {
  const items = data.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InputError('--data: give a built-in dataset name or a data file');
  const specs: DatasetSpec[] = [];
  // Stored only when it differs from the default, so that sweep folders made before keep their config.
  const scale = flags.scale !== undefined && checkFeatureScaling(flags.scale) !== 'standard' ? { scale: flags.scale } : {};
  for (const item of items) {
    if (Object.prototype.hasOwnProperty.call(builtinDatasets, item)) {
      specs.push({ kind: 'builtin', key: item, name: item, ...scale });
      continue;
    }
    const abs = path.resolve(item);
    if (!fs.existsSync(abs)) {
      throw new InputError(`--data "${item}": no such file, and not a built-in dataset (built-ins: ${Object.keys(builtinDatasets).join(', ')})`);
    }
    if (!fs.statSync(abs).isFile()) throw new InputError(`--data "${item}": not a file`);
    const ext = path.extname(abs).toLowerCase();
    if (TABLE_EXTENSIONS.includes(ext) && !flags.label) {
      throw new InputError(`--data "${item}": a table needs --label COLUMN (and usually --attr COLUMN and --split COLUMN)`);
    }
    const key = path.basename(abs, path.extname(abs)).replace(/[^A-Za-z0-9_.-]/g, '_') || 'data';
    specs.push({ kind: 'file', key, path: abs, label: flags.label, attr: flags.attr, split: flags.split, bytes: fs.statSync(abs).size, ...scale });
  }
  const keys = specs.map((s) => s.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new InputError(`--data: two datasets would share the name "${dup}"; rename one of the files`);
  return specs;
}

export async function loadSpec(spec: DatasetSpec, opts: { shared?: boolean } = {}): Promise<Dataset> {
  if (spec.kind === 'builtin') return loadBuiltin(spec.name);
  return loadDatasetFile(spec.path, { label: spec.label ?? 'y', attr: spec.attr, split: spec.split, name: spec.key, shared: opts.shared });
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

export interface DataFlags {
  data: string;
  scale?: FeatureScaling;
  noise?: number;
  seed: number;
  label?: string;
  attr?: string;
  split?: string;
}

/** `mat train`'s --data: one built-in name (with its options) or one data file. */
export async function resolveDataset(flags: DataFlags): Promise<Dataset> {
  if (Object.prototype.hasOwnProperty.call(builtinDatasets, flags.data)) {
    const options: Record<string, number> = { seed: flags.seed };
    if (flags.noise !== undefined) options.noise = flags.noise;
    return loadBuiltin(flags.data, options);
  }
  if (flags.noise !== undefined) throw new InputError('--noise applies to the built-in fig1 data only');
  const specs = parseDataArg(flags.data, flags);
  if (specs.length !== 1) throw new InputError('mat train takes one dataset');
  return loadSpec(specs[0]);
}

