// What an algorithm's run is given, and how it reads a hyperparameter: shared by the registry and
// the algorithms that live in files of their own (DFR, AFR), which so do not import the registry.
import type { Dataset } from '../data/dataset.js';
import type { HeldOutResult } from '../heldout/types.js';
import type { TrainSettings } from '../train/loop.js';
import { InputError } from '../util/errors.js';

export type HParamValue = number | string;

export interface RunContext {
  dataset: Dataset;
  settings: TrainSettings;
  hparams: Record<string, HParamValue>;
  heldOut?: HeldOutResult;
}

/** A numeric hyperparameter of a run (resolved against the defaults), or an InputError naming it. */
export function hparamNumber(ctx: RunContext, name: string): number {
  const v = Number(ctx.hparams[name]);
  if (!Number.isFinite(v)) throw new InputError(`hyperparameter ${name} must be a number, got ${ctx.hparams[name]}`);
  return v;
}
