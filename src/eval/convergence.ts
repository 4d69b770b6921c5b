// Convergence diagnostics of a run, in words a user understands: did it fit the training data,
// and is the step that selection picks the first or the last one (then the curve says more).
import type { Evaluation } from './metrics.js';
import { criterionValue, selectStep, type EvalRecord, type SelectionCriterion } from './selection.js';

/** What a run's curve needs for these checks (CurvePoint fits). */
export interface ConvergencePoint extends EvalRecord {
  train?: Evaluation;
  trainLoss?: number;
}

export interface Convergence {
  /** The last step's training loss (mean cross-entropy over the training split) and accuracies. */
  finalTrainLoss?: number;
  finalTrainAccuracy?: number;
  finalTrainWorstGroup?: number;
  /** Loss of always predicting the training class frequencies: what "learned nothing" scores. */
  priorLoss: number;
  selectedStep?: number;
  lastStep: number;
  warnings: string[];
}

/** A training loss above this fraction of the prior's loss counts as having learned (almost) nothing. */
export const BARELY_TRAINED_LOSS_RATIO = 0.9;
/** Training worst-group accuracy under this counts as not having fitted a group. */
export const UNFITTED_GROUP_ACCURACY = 0.5;

/** Entropy of the class frequencies (nats): the training loss of predicting them everywhere. */
export function priorLoss(classCounts: readonly number[]): number {
  const n = classCounts.reduce((s, c) => s + c, 0);
  let h = 0;
  for (const c of classCounts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/**
 * Warnings for a run: underfitting (training loss near the class-prior loss; a training group not
 * fitted, which overparameterised heads normally do, and which the paper's memorization premise
 * assumes), the selected step being the last evaluation (still improving: train longer) or step 0
 * (nothing beat the initial model).
 */
export function convergenceOf(curve: readonly ConvergencePoint[], criterion?: SelectionCriterion): Convergence {
  const last = curve[curve.length - 1];
  const selectedStep = criterion && curve.length ? selectStep(curve, criterion).step : undefined;
  const lastTrained = [...curve].reverse().find((p) => p.train);
  const warnings: string[] = [];
  const counts = lastTrained?.train?.classCounts ?? [];
  const prior = priorLoss(counts);
  const out: Convergence = { priorLoss: prior, selectedStep, lastStep: last?.step ?? 0, warnings };
  if (lastTrained?.train) {
    out.finalTrainAccuracy = lastTrained.train.avgAcc;
    out.finalTrainWorstGroup = lastTrained.train.worstGroupAcc;
    out.finalTrainLoss = lastTrained.trainLoss;
    const loss = lastTrained.trainLoss;
    if (loss !== undefined && prior > 0 && loss > BARELY_TRAINED_LOSS_RATIO * prior) {
      warnings.push(`underfit: the training loss ended at ${loss.toFixed(3)}, close to the ${prior.toFixed(3)} of always predicting the class frequencies; the model learned almost nothing. Raise the learning rate or the steps, or check the features' scale (--scale).`);
    } else if (lastTrained.train.worstGroupAcc < UNFITTED_GROUP_ACCURACY && lastTrained.train.groupCounts.filter((c) => c > 0).length > 1) {
      warnings.push(`underfit: training accuracy ${lastTrained.train.avgAcc.toFixed(3)}, but only ${lastTrained.train.worstGroupAcc.toFixed(3)} on the worst training group: the model has not fitted part of its own training data (a linear head on features normally can). Train longer or with a larger learning rate.`);
    }
  }
  if (criterion && selectedStep !== undefined && curve.length >= 3) {
    // Ties go to the later step, so a flat curve also selects the last one: only a rise counts.
    const rising = criterionValue(last, criterion) > criterionValue(curve[curve.length - 2], criterion);
    if (selectedStep === out.lastStep && rising) {
      warnings.push(`the selected step (by ${criterion}) is the last one, ${selectedStep}: validation was still improving when training stopped. Train longer (--steps).`);
    } else if (selectedStep === 0) {
      warnings.push(`the selected step (by ${criterion}) is step 0, the initial model: no step of training beat it. The learning rate may be too large, or the method does not help on this data.`);
    }
  }
  return out;
}
