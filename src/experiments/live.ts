// One method trained as `mat train` trains it (runMethod: XRM held-out predictions first for MAT),
// reporting every evaluation with the parameters it evaluated as it comes: what the browser page
// draws while it trains, and what the test that compares the browser with Node runs on both sides.
import type { Dataset } from '../data/dataset.js';
import { makeFigure1 } from '../data/fig1.js';
import type { ExecutionOptions } from '../engine/index.js';
import type { HeldOutResult } from '../heldout/types.js';
import type { CurvePoint } from '../train/loop.js';
import { runMethod } from './method.js';
import { presetFor, type Preset } from './presets.js';

export interface LiveOptions {
  /** MAT's temperature τ (ignored by ERM). */
  tau?: number;
  execution?: ExecutionOptions;
  onEval?(point: CurvePoint, params: readonly Float32Array[]): void;
  /** `step` of `total` in `phase` ('xrm', then the method's name). */
  onProgress?(phase: string, step: number, total: number): void;
}

export interface LiveRun {
  method: 'erm' | 'mat';
  curve: CurvePoint[];
  /** The parameters after the last step. */
  params: Float32Array[];
  heldOut?: HeldOutResult;
}

export async function runLive(ds: Dataset, preset: Preset, method: 'erm' | 'mat', seed: number, opts: LiveOptions = {}): Promise<LiveRun> {
  const run = await runMethod(ds, { ...preset, train: { ...preset.train, onEval: opts.onEval } }, method, seed, {
    hparams: method === 'mat' ? { tau: opts.tau ?? 0.1 } : {},
    execution: opts.execution,
    onStep: (step, total, phase) => opts.onProgress?.(phase, step, total),
  });
  const classifier = run.result.classifier;
  try {
    return { method, curve: run.curve, params: classifier.step.parameters(), heldOut: run.heldOut };
  } finally {
    await classifier.dispose();
  }
}

/** Figure 1 as the browser page runs it: the paper's problem and preset, smaller on request. */
export interface Figure1LiveOptions {
  noise: number;
  seed: number;
  /** Examples per split (default 1000). */
  n?: number;
  /** Feature dimension (default 1800). */
  dim?: number;
  /** Epochs for the twins and the final models (default the preset's 1000), evaluated 20 times. */
  steps?: number;
}

export function figure1Live(opts: Figure1LiveOptions): { ds: Dataset; preset: Preset } {
  const ds = makeFigure1({ noise: opts.noise, seed: opts.seed, n: opts.n, dim: opts.dim });
  const preset = presetFor(ds, { noise: opts.noise });
  if (opts.steps) {
    preset.train = { ...preset.train, steps: opts.steps, evalEvery: Math.max(1, Math.round(opts.steps / 20)) };
    preset.xrm = { ...preset.xrm, steps: opts.steps };
  }
  return { ds, preset };
}
