// Held-out predictions from any source of the registry (design.md 2.1).
import type { Dataset } from '../data/dataset.js';
import type { KFoldSettings } from './kfold.js';
import { DEFAULT_HELD_OUT_SOURCE, getHeldOutSource } from './registry.js';
import type { HeldOutResult } from './types.js';
import type { XrmSettings } from './xrm.js';

export type HeldOutSettings = ({ source?: 'xrm' } & XrmSettings) | ({ source: 'kfold' } & KFoldSettings);

/** Held-out logits for every training example, by XRM twins (default) or K-fold cross-fitting. */
export async function heldOut(ds: Dataset, settings: HeldOutSettings): Promise<HeldOutResult> {
  return getHeldOutSource(settings.source ?? DEFAULT_HELD_OUT_SOURCE).run(ds, settings);
}

export type { HeldOutResult } from './types.js';
export { runXrm } from './xrm.js';
export { runKFold } from './kfold.js';
export { HELD_OUT_SOURCES, getHeldOutSource, isHeldOutSource, type HeldOutSource } from './registry.js';
