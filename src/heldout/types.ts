// What a held-out source produces (design.md 3.1), and the training recipe both sources take.
import type { ExecutionOptions } from '../engine/index.js';
import type { Model } from '../nn/models.js';
import type { OptimizerConfig } from '../nn/optimizers.js';

/** How a held-out source trains its models. */
export interface HeldOutTraining {
  model: Model;
  optimizer: OptimizerConfig;
  lr: number;
  steps: number;
  batchSize: number | 'full';
  seed: number;
  execution?: ExecutionOptions;
}

export interface HeldOutResult {
  /** The name of the held-out source that produced it ('xrm', 'kfold'). */
  source: string;
  numClasses: number;
  /** n × K logits for every training example from a model that did not train on it. */
  heldOutLogits: Float32Array;
  /** n × K logits from a model that did train on it (for memorization scores). */
  heldInLogits: Float32Array;
  /** Inferred groups of the training examples: y·2 + (held-out prediction is wrong). */
  trainInferredGroups: Int32Array;
  /** Inferred groups of the validation examples: y·2 + cross-mistake. */
  valInferredGroups: Int32Array;
  /** Fraction of training labels flipped by XRM (0 for K-fold). */
  flipRate: number;
  /** True when some class has a single inferred group: the run found no environments. */
  degenerate: boolean;
}

/** Inferred groups y·2 + mistake, from two predictions (equal for a single model). */
export function mistakeGroups(y: ArrayLike<number>, predA: ArrayLike<number>, predB: ArrayLike<number>): Int32Array {
  const g = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) g[i] = y[i] * 2 + (predA[i] !== y[i] || predB[i] !== y[i] ? 1 : 0);
  return g;
}

/** Some class present in `y` has only one of its two inferred groups. */
export function isDegenerate(y: ArrayLike<number>, groups: ArrayLike<number>, k: number): boolean {
  const seen = new Uint8Array(2 * k);
  for (let i = 0; i < y.length; i++) seen[groups[i]] = 1;
  for (let c = 0; c < k; c++) {
    const present = seen[2 * c] + seen[2 * c + 1];
    if (present === 1) return true;
  }
  return false;
}
