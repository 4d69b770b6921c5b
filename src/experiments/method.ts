// One method on one dataset and seed: held-out stage when needed, then the training loop.
import type { Dataset } from '../data/dataset.js';
import { checkRunRequest, getAlgorithm, runAlgorithm, type HParamValue } from '../algorithms/registry.js';
import { runXrm } from '../heldout/xrm.js';
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
  threads?: number;
  /** Save held-out predictions here (heldout-<content hash>.npz) and reuse them on later runs. */
  cacheDir?: string;
  onStep?(step: number, total: number, phase: string): void;
}

/** XRM twins with the preset's settings (the held-out stage). */
export function xrmFor(ds: Dataset, preset: Preset, seed: number, opts: MethodOptions = {}): Promise<HeldOutResult> {
  const { model, ...rest } = preset.xrm;
  const key = { source: 'xrm', model: model.toJSON(), ...rest, seed };
  return cachedHeldOut(opts.cacheDir, ds, key, () => runXrm(ds, {
    ...preset.xrm,
    seed,
    threads: opts.threads,
    onStep: (t) => opts.onStep?.(t, preset.xrm.steps, 'xrm'),
  }));
}

export async function runMethod(ds: Dataset, preset: Preset, algorithmName: string, seed: number, opts: MethodOptions = {}): Promise<MethodRun> {
  const algorithm = getAlgorithm(algorithmName);
  // Bad hyperparameters or missing attributes fail here, before minutes of XRM.
  const hparams = checkRunRequest(algorithm, ds, opts.hparams);
  let heldOut = opts.heldOut;
  if (algorithm.needsHeldOut && !heldOut) heldOut = await xrmFor(ds, preset, seed, opts);
  const result = await runAlgorithm(algorithm, {
    dataset: ds,
    hparams,
    heldOut,
    settings: {
      ...preset.train,
      seed,
      threads: opts.threads,
      valInferredGroups: heldOut ? { groups: heldOut.valInferredGroups, numGroups: 2 * ds.numClasses } : undefined,
      onStep: (t) => opts.onStep?.(t, preset.train.steps, algorithm.name),
    },
  });
  const curve = result.curve;
  return { algorithm: algorithm.name, seed, hparams, curve, final: curve[curve.length - 1], heldOut, result };
}
