// Held-out predictions from either source (design.md 2.1).
import type { Dataset } from '../data/dataset.js';
import { runKFold, type KFoldSettings } from './kfold.js';
import type { HeldOutResult } from './types.js';
import { runXrm, type XrmSettings } from './xrm.js';

export type HeldOutSettings = ({ source?: 'xrm' } & XrmSettings) | ({ source: 'kfold' } & KFoldSettings);

/** Held-out logits for every training example, by XRM twins (default) or K-fold cross-fitting. */
export async function heldOut(ds: Dataset, settings: HeldOutSettings): Promise<HeldOutResult> {
  if (settings.source === 'kfold') return runKFold(ds, settings);
  if (settings.source !== undefined && settings.source !== 'xrm') {
    throw new Error(`held-out source must be 'xrm' or 'kfold', got '${(settings as { source: string }).source}'`);
  }
  return runXrm(ds, settings);
}

export type { HeldOutResult } from './types.js';
export { runXrm, runKFold };
