// `mat predict`: a saved model's logits, probabilities and predicted class for the rows of a data file,
// read by the same loaders and checks as training; accuracy per split and group when the file has labels.
// Everything is checked and computed before anything is written; the output file appears whole or not at all.
import fs from 'node:fs';
import path from 'node:path';
import { loadRows, type Rows } from '../data/files/load.js';
import { encodeCategories } from '../data/files/assemble.js';
import { tableFormatOf } from '../data/files/table.js';
import { encodeNpy, encodeNpz } from '../data/files/npy.js';
import { SPLIT_NAMES } from '../data/dataset.js';
import { parseDimInput } from '../engine/onnx.js';
import { createSession, ort, scalarTensor } from '../engine/session.js';
import { resolveExecution } from '../engine/execution.js';
import { evaluateLogits, predictionsFromLogits, type Evaluation } from '../eval/metrics.js';
import { heldOutProbabilities } from '../algorithms/shift.js';
import type { DataDescription } from '../experiments/datasets.js';
import { markdownTable } from '../report/table.js';
import { InputError, show } from '../util/errors.js';
import { printNote } from './progress.js';

export interface PredictFlags {
  model: string;
  data: string;
  out?: string;
  label?: string;
  attr?: string;
  split?: string;
  threads?: number;
  json?: boolean;
}

type OutFormat = 'csv' | 'npy' | 'npz';

function outFormat(out: string): OutFormat {
  const ext = path.extname(out).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.npy') return 'npy';
  if (ext === '.npz') return 'npz';
  throw new InputError(`--out ${out}: expected a .csv, .npy or .npz file name`);
}

/** data.json beside the model (written by `mat train --out`), when there is one. */
function readDescription(model: string): DataDescription | undefined {
  const file = path.join(path.dirname(model), 'data.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DataDescription;
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message}); it describes the data ${model} was trained on`, { cause: e });
  }
}

interface Model {
  session: ort.InferenceSession;
  input: string;
  /** Features per row, when the model fixes it. */
  dim: number | null;
  output: string;
}

async function openModel(file: string, threads: number): Promise<Model> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read the model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  let session: ort.InferenceSession;
  try {
    session = await createSession(bytes, { threads });
  } catch (e) {
    throw new InputError(`${file}: not an ONNX model that ONNX Runtime can load (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
  const features = session.inputNames.filter((n) => !parseDimInput(n));
  if (features.length !== 1) {
    await session.release();
    throw new InputError(`${file}: the model has inputs ${features.join(', ') || '(none)'}; expected one input of n rows × d features (as mat train writes)`);
  }
  const meta = session.inputMetadata.find((m) => m.name === features[0]);
  let dim: number | null = null;
  if (meta?.isTensor) {
    if (meta.type !== 'float32' || meta.shape.length !== 2) {
      await session.release();
      throw new InputError(`${file}: the model's input "${features[0]}" is ${meta.type} of shape [${meta.shape.join(', ')}]; expected float32 [n, d]`);
    }
    if (typeof meta.shape[1] === 'number') dim = meta.shape[1];
  }
  const output = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  return { session, input: features[0], dim, output };
}

/** Logits of every row, run in blocks of rows. */
async function logitsOf(model: Model, rows: Rows, source: string): Promise<{ logits: Float32Array; numClasses: number }> {
  const BLOCK = 65536;
  let out: Float32Array | null = null;
  let k = 0;
  for (let start = 0; start < rows.n; start += BLOCK) {
    const m = Math.min(BLOCK, rows.n - start);
    const feeds: Record<string, ort.Tensor> = {
      [model.input]: new ort.Tensor('float32', rows.x.subarray(start * rows.dim, (start + m) * rows.dim), [m, rows.dim]),
    };
    for (const name of model.session.inputNames) {
      const dimInput = parseDimInput(name);
      if (dimInput) feeds[name] = scalarTensor(dimInput.dtype, m);
    }
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await model.session.run(feeds, [model.output]);
    } catch (e) {
      throw new InputError(`${source}: the model failed on rows of ${rows.dim} features: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
    const t = result[model.output] as ort.Tensor;
    if (t.dims.length !== 2 || Number(t.dims[0]) !== m || !(t.data instanceof Float32Array)) {
      throw new InputError(`${source}: the model's output "${model.output}" is ${t.type} [${t.dims.join(', ')}]; expected float32 logits [${m}, K]`);
    }
    k = Number(t.dims[1]);
    out ??= new Float32Array(rows.n * k);
    out.set(t.data, start * k);
  }
  return { logits: out ?? new Float32Array(0), numClasses: k };
}

/**
 * Class index of every label: by the training class names (data.json); integer labels 0..K−1 are taken as
 * indices when there are no names, or when the names are words and the labels are not (a folder written by
 * `mat embed` holds the codes of a benchmark's named classes).
 */
function classCodes(rows: Rows, k: number, names: string[] | undefined, what: string): Int32Array {
  const values = rows.label!;
  const index = names ? new Map(names.map((n, i) => [n, i])) : null;
  const isIndex = (v: string | number) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < k;
  const byName = index !== null && !(names!.every((n) => !/^-?\d+$/.test(n)) && values.every(isIndex));
  if (index && !byName) printNote(`${rows.source}: labels taken as class indices 0..${k - 1} (${names!.map((n, i) => `${i} = ${n}`).join(', ')})`);
  const out = new Int32Array(values.length);
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    const code = byName ? index!.get(String(v)) : isIndex(v) ? (v as number) : undefined;
    if (code === undefined) {
      throw new InputError(
        `${rows.source}: ${what}, row ${r + 1}: ${show(v)} is not a class of the model ` +
        (names ? `(its classes: ${names.join(', ')})` : `(it has ${k} classes, 0..${k - 1}; without data.json beside the model, labels must be those indices)`),
      );
    }
    out[r] = code;
  }
  return out;
}

/** Attribute codes: by the training attribute names when known (new values get codes after them), else sorted. */
function attributeCodes(rows: Rows, names: string[] | undefined): { codes: Int32Array; names: string[] } {
  if (!names) return encodeCategories(rows.attr!);
  const all = [...names];
  const index = new Map(all.map((n, i) => [n, i]));
  const codes = Int32Array.from(rows.attr!, (v) => {
    const key = String(v);
    if (!index.has(key)) {
      index.set(key, all.length);
      all.push(key);
    }
    return index.get(key)!;
  });
  return { codes, names: all };
}

export interface PredictSummary {
  model: string;
  data: string;
  rows: number;
  numClasses: number;
  out?: string;
  /** With labels: per split (all rows, and train / val / test when the file has splits). */
  accuracy?: Record<string, { rows: number; average: number; worstGroup: number; groups: { y: string; a: string; count: number; accuracy: number | null }[] }>;
}

function summarise(logits: Float32Array, k: number, y: Int32Array, a: Int32Array | undefined, numAttributes: number, subset: Int32Array | null) {
  const rows = subset ?? Int32Array.from({ length: y.length }, (_, i) => i);
  const sub = new Float32Array(rows.length * k);
  const ys = new Int32Array(rows.length);
  const gs = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    sub.set(logits.subarray(r * k, (r + 1) * k), i * k);
    ys[i] = y[r];
    gs[i] = y[r] * numAttributes + (a ? a[r] : 0);
  });
  return evaluateLogits(sub, ys, gs, k * numAttributes, k);
}

export async function predictCommand(flags: PredictFlags): Promise<void> {
  if (!flags.out && !flags.json) throw new InputError('mat predict: give --out FILE (.csv, .npy or .npz) and/or --json');
  const format = flags.out ? outFormat(flags.out) : undefined;
  const desc = readDescription(flags.model);
  const model = await openModel(flags.model, flags.threads ?? resolveExecution({ native: false }).threads);
  try {
    const table = !!tableFormatOf(flags.data);
    const rows = await loadRows(flags.data, {
      label: flags.label ?? desc?.label,
      attr: flags.attr ?? desc?.attr,
      split: flags.split ?? desc?.split,
      features: table ? desc?.features : undefined,
      // Columns named at training need not be in new data; ones named here must be.
      ifPresent: !flags.label && !flags.attr && !flags.split,
      onNote: printNote,
    });
    if (model.dim !== null && rows.dim !== model.dim) {
      throw new InputError(
        `${flags.data}: ${rows.dim} features per row, but ${flags.model} takes ${model.dim}` +
        (rows.featureNames ? ` (feature columns read: ${rows.featureNames.join(', ')}; name the label, attribute and split columns with --label, --attr, --split so that they are not read as features)` : ''),
      );
    }
    const { logits, numClasses: k } = await logitsOf(model, rows, flags.model);
    if (desc?.classNames && desc.classNames.length !== k) {
      throw new InputError(`${flags.model}: gives ${k} logits per row but data.json beside it names ${desc.classNames.length} classes; is data.json from another run?`);
    }
    const n = logits.length / k;
    const probs = Float32Array.from(heldOutProbabilities(logits, n, k, 1));
    const pred = predictionsFromLogits(logits, n, k);
    const summary: PredictSummary = { model: flags.model, data: flags.data, rows: rows.n, numClasses: k };
    let y: Int32Array | undefined;
    if (rows.label) {
      y = classCodes(rows, k, desc?.classNames, 'label');
      const attr = rows.attr ? attributeCodes(rows, desc?.attributeNames) : undefined;
      const numAttributes = attr ? attr.names.length : 1;
      const classNames = desc?.classNames ?? Array.from({ length: k }, (_, j) => String(j));
      const describe = (ev: Evaluation, n: number) => ({
        rows: n,
        average: ev.avgAcc,
        worstGroup: ev.worstGroupAcc,
        groups: ev.groupCounts.map((count, g) => ({
          y: classNames[Math.floor(g / numAttributes)],
          a: attr ? attr.names[g % numAttributes] : 'all',
          count,
          accuracy: ev.groupAcc[g],
        })).filter((row) => row.count > 0),
      });
      summary.accuracy = { all: describe(summarise(logits, k, y, attr?.codes, numAttributes, null), rows.n) };
      if (rows.split) {
        SPLIT_NAMES.forEach((name, s) => {
          const subset = Int32Array.from(Array.from(rows.split!).flatMap((c, i) => (c === s ? [i] : [])));
          if (subset.length) summary.accuracy![name] = describe(summarise(logits, k, y!, attr?.codes, numAttributes, subset), subset.length);
        });
      }
    }
    if (flags.out && format) {
      writeAtomic(flags.out, encodeOutput(format, logits, probs, pred, k, rows, desc?.classNames));
      summary.out = flags.out;
    }
    printSummary(summary, !!flags.json);
  } finally {
    await model.session.release();
  }
}

function encodeOutput(format: OutFormat, logits: Float32Array, probs: Float32Array, pred: Int32Array, k: number, rows: Rows, classNames?: string[]): Uint8Array {
  const n = pred.length;
  if (format === 'npz') return encodeNpz({ logits: { data: logits, shape: [n, k] }, probs: { data: probs, shape: [n, k] }, pred });
  if (format === 'npy') {
    // One float32 matrix: K logits, K probabilities, then the predicted class.
    const m = new Float32Array(n * (2 * k + 1));
    for (let r = 0; r < n; r++) {
      m.set(logits.subarray(r * k, (r + 1) * k), r * (2 * k + 1));
      m.set(probs.subarray(r * k, (r + 1) * k), r * (2 * k + 1) + k);
      m[r * (2 * k + 1) + 2 * k] = pred[r];
    }
    return encodeNpy({ data: m, shape: [n, 2 * k + 1] });
  }
  const cols = ['row', ...(rows.split ? ['split'] : []), 'pred', ...(classNames ? ['pred_label'] : []),
    ...Array.from({ length: k }, (_, j) => `logit_${j}`), ...Array.from({ length: k }, (_, j) => `prob_${j}`)];
  const lines = [cols.join(',')];
  for (let r = 0; r < n; r++) {
    const cells: (string | number)[] = [r];
    if (rows.split) cells.push(SPLIT_NAMES[rows.split[r]]);
    cells.push(pred[r]);
    if (classNames) cells.push(csvCell(classNames[pred[r]]));
    for (let j = 0; j < k; j++) cells.push(logits[r * k + j]);
    for (let j = 0; j < k; j++) cells.push(probs[r * k + j]);
    lines.push(cells.join(','));
  }
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function writeAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.partial-${process.pid}`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new InputError(`--out ${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
}

function printSummary(s: PredictSummary, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(s));
    return;
  }
  console.log(`${s.rows} rows, ${s.numClasses} classes${s.out ? `: logits, probabilities and predicted class in ${s.out}` : ''}`);
  if (!s.accuracy) return;
  const rows = Object.entries(s.accuracy).map(([split, a]) => [split, a.rows, a.average, a.worstGroup]);
  console.log(`\n${markdownTable(['split', 'rows', 'accuracy', 'worst group'], rows, { digits: [0, 0, 3, 3] })}`);
  const all = s.accuracy.all;
  console.log(`\n${markdownTable(['y', 'a', 'count', 'accuracy'], all.groups.map((g) => [g.y, g.a, g.count, g.accuracy]), { digits: [0, 0, 0, 3] })}`);
}
