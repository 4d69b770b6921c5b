// Messages between the page and its training workers.
import type { ColumnChoice, FileSummary } from './userData.js';

export type Method = 'erm' | 'mat';

/** The split choice that asks for a seeded random 60 / 20 / 20 split. */
export const RANDOM_SPLIT = 'split (random 60/20/20)';

/** Figure 1's problem and schedule (the paper's defaults unless the page's URL overrides them). */
export interface Figure1Job {
  noise: number;
  tau: number;
  seed: number;
  n?: number;
  dim?: number;
  steps?: number;
}

export type Request =
  | { type: 'fig1'; method: Method; job: Figure1Job }
  | { type: 'inspect'; name: string; bytes: Uint8Array }
  | { type: 'data'; method: Method; name: string; bytes: Uint8Array; choice: ColumnChoice; tau: number; steps?: number };

/** Accuracy of one split at one evaluation. */
export interface SplitScore {
  avgAcc: number;
  worstGroupAcc: number;
  groupAcc: (number | null)[];
  groupCounts: number[];
}

export interface EvalMessage {
  type: 'eval';
  method: Method;
  step: number;
  train?: SplitScore;
  /** Validation accuracy: the page keeps, per method, the step with the best worst group (as `mat train`). */
  val: SplitScore;
  test: SplitScore;
  /** Linear models: the logit difference's weights on the first two features (Figure 1's core and spurious coordinates). */
  boundary?: [number, number];
}

export type Reply =
  | { type: 'ready' }
  | { type: 'progress'; method: Method; phase: string; step: number; total: number }
  | EvalMessage
  | { type: 'points'; x0: Float32Array; x1: Float32Array; groups: Int32Array }
  | { type: 'summary'; summary: FileSummary }
  | { type: 'dataset'; classNames: string[]; attributeNames: string[]; rows: [number, number, number]; dim: number }
  | { type: 'done'; method: Method; seconds: number; params: Float32Array[]; flipRate?: number; heldOutReading?: string }
  | { type: 'error'; message: string };
