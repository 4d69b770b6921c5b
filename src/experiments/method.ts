// One method on one dataset and seed: held-out stage when needed, then the training loop.
import type { Dataset } from '../data/dataset.js';
import type { ExecutionOptions } from '../engine/index.js';
import { checkRunRequest, getAlgorithm, runAlgorithm, type HParamValue } from '../algorithms/registry.js';
import { DEFAULT_HELD_OUT_SOURCE, getHeldOutSource } from '../heldout/registry.js';
import type { HeldOutResult } from '../heldout/types.js';
import { cachedHeldOut } from '../heldout/store.js';
import type { CurvePoint, TrainResult } from '../train/loop.js';
import type { Preset } from './presets.js';

export interface MethodRun {
  algorithm: string;
  seed: number;
  hparams: Record<string, HParamValue>;
  curve: CurvePoint[];
  final: CurvePoint;
  heldOut?: HeldOutResult;
  result: TrainResult;
}

export interface MethodOptions {
  hparams?: Record<string, HParamValue>;
  /** Reuse held-out predictions (e.g. one XRM run shared by MAT and XRM+GroupDRO). */
  heldOut?: HeldOutResult;
  /** The held-out source to run when the algorithm needs one and none is given (default XRM). */
  heldOutSource?: string;
  execution?: ExecutionOptions;
  /** Save held-out predictions here (heldout-<content hash>.npz) and reuse them on later runs. */
  cacheDir?: string;
  onStep?(step: number, total: number, phase: string): void;
}

/** The held-out stage: a source of the registry with the preset's held-out recipe, cached by content. */
export function heldOutFor(ds: Dataset, preset: Preset, seed: number, opts: MethodOptions = {}): Promise<HeldOutResult> {
  const source = getHeldOutSource(opts.heldOutSource ?? DEFAULT_HELD_OUT_SOURCE);
  const { model, ...rest } = preset.xrm;
  const key = { source: source.name, model: model.toJSON(), ...rest, seed };
  return cachedHeldOut(opts.cacheDir, ds, key, () => source.run(ds, { ...preset.xrm, seed, execution: opts.execution }, (t, total) => opts.onStep?.(t, total, source.name)));
}

/** XRM twins with the preset's settings. */
export function xrmFor(ds: Dataset, preset: Preset, seed: number, opts: MethodOptions = {}): Promise<HeldOutResult> {
  return heldOutFor(ds, preset, seed, { ...opts, heldOutSource: 'xrm' });
}

export async function runMethod(ds: Dataset, preset: Preset, algorithmName: string, seed: number, opts: MethodOptions = {}): Promise<MethodRun> {
  const algorithm = getAlgorithm(algorithmName);
  // Bad hyperparameters, missing attributes or an unknown source fail here, before minutes of XRM.
  const hparams = checkRunRequest(algorithm, ds, opts.hparams);
  if (opts.heldOutSource !== undefined) getHeldOutSource(opts.heldOutSource);
  let heldOut = opts.heldOut;
  if (algorithm.needsHeldOut && !heldOut) heldOut = await heldOutFor(ds, preset, seed, opts);
  const result = await runAlgorithm(algorithm, {
    dataset: ds,
    hparams,
    heldOut,
    settings: {
      ...preset.train,
      seed,
      execution: opts.execution,
      valInferredGroups: heldOut ? { groups: heldOut.valInferredGroups, numGroups: 2 * ds.numClasses } : undefined,
      onStep: (t) => opts.onStep?.(t, preset.train.steps, algorithm.name),
    },
  });
  const curve = result.curve;
  return { algorithm: algorithm.name, seed, hparams, curve, final: curve[curve.length - 1], heldOut, result };
}
