// The results store of a sweep (design.md 6):
//
//   DIR/sweep.json                 the sweep's configuration (a rerun must match it)
//   DIR/index.jsonl                one line per planned run with its status (rewritten as runs finish)
//   DIR/slurm/                     batch scripts, run lists, logs and jobs.json of the Slurm executor (slurm.ts)
//   DIR/runs/<dataset>/<algorithm>/c<combo>-s<seed>/
//       config.json                everything needed to rerun it (settings, hyperparameters, held-out source)
//       results.jsonl              one line per evaluation (the training curve)
//       checkpoint.json + checkpoint-<step>.bin   parameters, optimizer state, step and curve so far
//       model.onnx                 the final predictor
//       heldout.npz                held-out source runs (XRM): heldout/store.ts's layout, as saveHeldOut writes it
//       done.json                  written last: the run is finished only when this file exists
//       claim-<n>.json             who runs it now (claims.ts); removed when the run ends
//       failed.json                the last failure (message, owner, log), until the run is retried
//
// Many processes, on many machines, may share one folder: each run is claimed before it starts
// (claims.ts), so no run executes twice at the same time.
// Every file is written atomically (a temporary file in the same folder, then rename), so a kill -9
// at any moment leaves either the old or the new version, never half a file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrainState } from '../engine/trainStep.js';
import { loadHeldOut, saveHeldOut } from '../heldout/store.js';
import type { HeldOutResult } from '../heldout/types.js';
import type { CurvePoint } from '../train/loop.js';
import type { DatasetSpec } from '../experiments/datasets.js';
import { InputError } from '../util/errors.js';
import { pidAlive, type ClaimOwner } from './claims.js';
import type { HParams } from './hparams.js';
import type { HeldOutDiagnostics } from '../heldout/diagnostics.js';
import type { XrmSelectionRule } from './selection.js';

export const SWEEP_FILE = 'sweep.json';
export const INDEX_FILE = 'index.jsonl';
export const FAILED_FILE = 'failed.json';
export const DONE_FILE = 'done.json';
export const CONFIG_FILE = 'config.json';
export const RESULTS_FILE = 'results.jsonl';
export const CHECKPOINT_FILE = 'checkpoint.json';
export const MODEL_FILE = 'model.onnx';
export const HELDOUT_FILE = 'heldout.npz';

/** What identifies a sweep: rerunning into the same folder needs the same configuration. */
export interface SweepConfig {
  version: 1;
  datasets: DatasetSpec[];
  /** Normalised names, the held-out source first ('xrm' unless another is named) when any algorithm needs held-out predictions. */
  algorithms: string[];
  combos: number;
  seeds: number;
  /** Overrides the preset's step count (final model and XRM twins). */
  steps?: number;
  /** K-fold's folds (held-out source 'kfold'; absent: its default). */
  folds?: number;
  /** Which held-out run a seed's methods use (absent: 'flip', the official rule). */
  xrmSelect?: XrmSelectionRule;
}

export interface RunKey {
  dataset: string;
  algorithm: string;
  combo: number;
  seed: number;
}

export function runId(k: RunKey): string {
  return `${k.dataset}/${k.algorithm}/c${k.combo}-s${k.seed}`;
}

export function runDir(root: string, k: RunKey): string {
  return path.join(root, 'runs', k.dataset, k.algorithm, `c${k.combo}-s${k.seed}`);
}

/** Parse "c3-s1" back into combo and seed. */
export function parseRunFolder(name: string): { combo: number; seed: number } | undefined {
  const m = /^c(\d+)-s(\d+)$/.exec(name);
  return m ? { combo: Number(m[1]), seed: Number(m[2]) } : undefined;
}

/** The content of config.json. */
export interface RunConfig extends RunKey {
  id: string;
  hparams: HParams;
  /** Settings of the trained model(s) after the combination is applied. */
  settings: { model: unknown; optimizer: unknown; lr: number; steps: number; batchSize: number | 'full'; evalEvery: number; loss?: string };
  /** The XRM run whose held-out predictions (and inferred validation groups) this run used. */
  heldOutFrom?: string;
  dataset: string;
  datasetSpec: DatasetSpec;
}

/** The content of done.json. */
export interface DoneRecord {
  status: 'ok' | 'diverged';
  id: string;
  finishedAt: string;
  /** Seconds of the attempt that finished the run (a resumed run counts from its resume). */
  seconds: number;
  steps: number;
  resumedFrom?: number;
  /** Diverged runs: the step whose loss was not finite. */
  divergedAt?: number;
  error?: string;
  /** XRM runs. */
  flipRate?: number;
  degenerate?: boolean;
  /** Held-out runs: how well the signal matches the true groups (see heldout/diagnostics.ts). */
  diagnostics?: HeldOutDiagnostics;
  /** Final evaluation (not the selected one) of trained runs. */
  final?: { step: number; valAvg: number; valWorstGroup: number; testAvg: number; testWorstGroup: number; trainLoss?: number; trainAvg?: number; trainWorstGroup?: number };
}

// ---------- atomic files ----------

let tmpCounter = 0;
const HOST = os.hostname();

/** Write a file atomically: a temporary file in the same folder, then rename over the target. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  // The writer's host and pid in the name: a folder shared by many writers removes only dead writers' leftovers.
  const tmp = `${file}.tmp-${HOST}-${process.pid}-${Date.now().toString(36)}-${tmpCounter++}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Remove leftovers of writes a kill interrupted (in a folder the caller owns: a claimed run folder). */
export function removeTempFiles(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) if (name.includes('.tmp-')) fs.rmSync(path.join(dir, name), { force: true });
}

/** Remove leftovers of writers on this host that are gone (in a folder others may be writing to). */
export function removeStaleTempFiles(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    const m = /\.tmp-(.+)-(\d+)-[0-9a-z]+-\d+$/.exec(name);
    if (m && m[1] === HOST && !pidAlive(Number(m[2]))) fs.rmSync(path.join(dir, name), { force: true });
  }
}

// ---------- sweep folder ----------

/** The differences between two configurations, as "field: old → new" lines. */
export function configDifferences(stored: SweepConfig, wanted: SweepConfig): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(stored), ...Object.keys(wanted)]);
  for (const key of keys) {
    const a = JSON.stringify((stored as unknown as Record<string, unknown>)[key]);
    const b = JSON.stringify((wanted as unknown as Record<string, unknown>)[key]);
    if (a !== b) out.push(`${key}: ${a ?? 'unset'} (stored) vs ${b ?? 'unset'} (now)`);
  }
  return out;
}

/**
 * Check that `root` can hold this sweep: a new or empty folder, or one whose sweep.json has the same
 * configuration. Throws InputError otherwise. Returns whether sweep.json exists already.
 */
export function checkSweepFolder(root: string, config: SweepConfig): boolean {
  if (!fs.existsSync(root)) return false;
  if (!fs.statSync(root).isDirectory()) throw new InputError(`--out ${root}: exists and is not a folder`);
  const file = path.join(root, SWEEP_FILE);
  if (!fs.existsSync(file)) {
    // Another process may be creating this sweep right now (its sweep.json still a temporary file).
    const entries = fs.readdirSync(root).filter((n) => !n.startsWith(`${SWEEP_FILE}.tmp-`));
    if (entries.length > 0) throw new InputError(`--out ${root}: the folder is not empty and holds no ${SWEEP_FILE}; choose a new or empty folder`);
    return false;
  }
  let stored: SweepConfig;
  try {
    stored = readJson<{ config: SweepConfig }>(file).config;
  } catch (err) {
    throw new InputError(`${file}: cannot read the sweep configuration (${(err as Error).message})`);
  }
  const diff = configDifferences(stored, config);
  if (diff.length > 0) {
    throw new InputError(
      `${root} holds a sweep with a different configuration; rerun with the same flags, or use a new --out folder.\n  ${diff.join('\n  ')}`,
    );
  }
  return true;
}

export function readSweepConfig(root: string): SweepConfig {
  const file = path.join(root, SWEEP_FILE);
  if (!fs.existsSync(file)) throw new InputError(`${root}: not a sweep folder (no ${SWEEP_FILE})`);
  try {
    return readJson<{ config: SweepConfig }>(file).config;
  } catch (err) {
    throw new InputError(`${file}: cannot read the sweep configuration (${(err as Error).message})`);
  }
}

export function writeSweepConfig(root: string, config: SweepConfig): void {
  fs.mkdirSync(root, { recursive: true });
  writeJsonAtomic(path.join(root, SWEEP_FILE), { config, createdAt: new Date().toISOString() });
}

// ---------- one run ----------

export function isDone(dir: string): boolean {
  return fs.existsSync(path.join(dir, DONE_FILE));
}

export function readDone(dir: string): DoneRecord | undefined {
  const file = path.join(dir, DONE_FILE);
  return fs.existsSync(file) ? readJson<DoneRecord>(file) : undefined;
}

export function writeDone(dir: string, record: DoneRecord): void {
  writeJsonAtomic(path.join(dir, DONE_FILE), record);
}

/** The content of failed.json. */
export interface FailedRecord {
  id: string;
  message: string;
  failedAt: string;
  owner: ClaimOwner;
  /** The log of the process that ran it (a Slurm array task's output file). */
  log?: string;
}

export function readFailed(dir: string): FailedRecord | undefined {
  const file = path.join(dir, FAILED_FILE);
  try {
    return fs.existsSync(file) ? readJson<FailedRecord>(file) : undefined;
  } catch {
    return undefined;
  }
}

export function writeFailed(dir: string, record: FailedRecord): void {
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path.join(dir, FAILED_FILE), record);
}

export function writeResults(dir: string, lines: readonly unknown[]): void {
  writeFileAtomic(path.join(dir, RESULTS_FILE), lines.map((p) => JSON.stringify(p)).join('\n') + (lines.length ? '\n' : ''));
}

/** The evaluations of a run (results.jsonl); a missing file is an empty curve. */
export function readResults<T = CurvePoint>(dir: string): T[] {
  const file = path.join(dir, RESULTS_FILE);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().length > 0).map((l) => JSON.parse(l) as T);
}

interface CheckpointMeta {
  step: number;
  bin: string;
  params: number[];
  optimizerState: number[];
  /** Lengths of the loop's own state arrays (GroupDRO's weights), stored after the optimizer state. */
  loopState?: number[];
  curve: CurvePoint[];
  /** config.json's hyperparameters and held-out source when it was written: a changed run starts over. */
  fingerprint: string;
}

export interface Checkpoint {
  state: TrainState;
  curve: CurvePoint[];
}

/** Save parameters, optimizer state, step and curve: the binary first, then the JSON that names it. */
export function saveCheckpoint(dir: string, state: TrainState, curve: readonly CurvePoint[], fingerprint: string): void {
  const arrays = [...state.params, ...state.optimizerState, ...(state.loopState ?? [])];
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const a of arrays) {
    flat.set(a, offset);
    offset += a.length;
  }
  const bin = `checkpoint-${state.step}.bin`;
  writeFileAtomic(path.join(dir, bin), new Uint8Array(flat.buffer));
  const meta: CheckpointMeta = {
    step: state.step,
    bin,
    params: state.params.map((p) => p.length),
    optimizerState: state.optimizerState.map((p) => p.length),
    loopState: state.loopState?.map((p) => p.length),
    curve: [...curve],
    fingerprint,
  };
  writeJsonAtomic(path.join(dir, CHECKPOINT_FILE), meta);
  for (const name of fs.readdirSync(dir)) {
    if (/^checkpoint-\d+\.bin$/.test(name) && name !== bin) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** The last checkpoint, or undefined when there is none or it does not belong to this configuration. */
export function loadCheckpoint(dir: string, fingerprint: string): Checkpoint | undefined {
  const file = path.join(dir, CHECKPOINT_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    const meta = readJson<CheckpointMeta>(file);
    if (meta.fingerprint !== fingerprint) return undefined;
    const bytes = fs.readFileSync(path.join(dir, meta.bin));
    const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const expected = [...meta.params, ...meta.optimizerState, ...(meta.loopState ?? [])].reduce((s, n) => s + n, 0);
    if (flat.length !== expected) return undefined;
    let offset = 0;
    const take = (n: number) => {
      const a = flat.slice(offset, offset + n);
      offset += n;
      return a;
    };
    const params = meta.params.map(take);
    const optimizerState = meta.optimizerState.map(take);
    const loopState = meta.loopState?.map(take);
    return { state: { step: meta.step, params, optimizerState, loopState }, curve: meta.curve };
  } catch {
    return undefined;
  }
}

export function removeCheckpoints(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name === CHECKPOINT_FILE || /^checkpoint-\d+\.bin$/.test(name)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

// ---------- held-out predictions ----------

/** The run's heldout.npz, in the library's layout (heldout/store.ts). */
export function writeHeldOut(dir: string, ho: HeldOutResult): void {
  saveHeldOut(path.join(dir, HELDOUT_FILE), ho);
}

export function readHeldOut(dir: string): HeldOutResult {
  return loadHeldOut(path.join(dir, HELDOUT_FILE));
}
