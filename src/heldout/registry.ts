// One registry of held-out sources (design.md 2.1): XRM twins and K-fold cross-fitting. heldOut(),
// the experiment layer and the sweep look sources up here by name instead of naming them.
import type { Dataset } from '../data/dataset.js';
import { InputError } from '../util/errors.js';
import { runKFold, type KFoldSettings } from './kfold.js';
import type { HeldOutResult, HeldOutTraining } from './types.js';
import { runXrm, type XrmSettings } from './xrm.js';

/** Progress of a held-out run: `step` of `total` training steps, and the flip rate so far (0 without label flipping). */
export type HeldOutProgress = (step: number, total: number, flipRate: number) => void;

export interface HeldOutSource {
  name: string;
  summary: string;
  /** The source's own settings beyond the training recipe (HeldOutTraining), with their defaults. */
  settings: Record<string, { default: number | string; description: string }>;
  /** Training steps in all (the progress total) for a recipe of `steps` steps. */
  totalSteps(settings: Omit<HeldOutTraining, 'seed'>): number;
  /** Held-out predictions for ds.train; `settings` are the recipe plus the source's own settings (and its own onStep). */
  run(ds: Dataset, settings: HeldOutTraining, onProgress?: HeldOutProgress): Promise<HeldOutResult>;
}

export const HELD_OUT_SOURCES: readonly HeldOutSource[] = [
  {
    name: 'xrm',
    summary: 'XRM twins: two networks, each trained on half of the data with label flipping; each example is predicted by the twin that did not see it.',
    settings: { loss: { default: 'balanced_ce', description: "'balanced_ce' (XRM) or 'ce' (the paper's toy)" } },
    totalSteps: (s) => s.steps,
    run(ds, settings, onProgress) {
      const s = settings as XrmSettings;
      return runXrm(ds, { ...s, onStep: (t, flipRate) => { s.onStep?.(t, flipRate); onProgress?.(t, s.steps, flipRate); } });
    },
  },
  {
    name: 'kfold',
    summary: 'K-fold cross-fitting: K models, each trained on all folds but one, predict the fold they did not see (no label flipping).',
    settings: { folds: { default: 2, description: 'number of folds K' } },
    totalSteps: (s) => s.steps * (((s as KFoldSettings).folds ?? 2) + 1),
    run(ds, settings, onProgress) {
      const s = settings as KFoldSettings;
      return runKFold(ds, { ...s, onStep: (t, total) => { s.onStep?.(t, total); onProgress?.(t, total, 0); } });
    },
  },
];

/** The source that runs when none is named. */
export const DEFAULT_HELD_OUT_SOURCE = 'xrm';

export function isHeldOutSource(name: string): boolean {
  return HELD_OUT_SOURCES.some((s) => s.name === name);
}

export function getHeldOutSource(name: string): HeldOutSource {
  const found = HELD_OUT_SOURCES.find((s) => s.name === name);
  if (!found) throw new InputError(`held-out source must be ${HELD_OUT_SOURCES.map((s) => `'${s.name}'`).join(' or ')}, got '${name}'`);
  return found;
}
