// One method trained as `mat train` trains it (runMethod: XRM held-out predictions first for MAT),
// reporting every evaluation with the parameters it evaluated as it comes: what the browser page
// draws while it trains, and what the test that compares the browser with Node runs on both sides.
import type { Dataset } from '../data/dataset.js';
import type { ExecutionOptions } from '../engine/index.js';
import type { HeldOutResult } from '../heldout/types.js';
import type { CurvePoint } from '../train/loop.js';
import { runMethod } from './method.js';
import type { Preset } from './presets.js';

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
