// Model selection (design.md 2.4): pick a step within each run, then a hyperparameter combination across runs,
// then summarise the chosen combination's test metrics over seeds.

import type { Evaluation } from './metrics.js';

/** One point of a training curve: metrics on validation and test at `step`. */
export interface EvalRecord {
  step: number;
  val: Evaluation;
  test: Evaluation;
  /** Validation metrics computed with XRM-inferred groups (cross-mistake), needed by va_gi_wga. */
  valInferred?: Evaluation;
}

/**
 * va_wga: worst-group accuracy with true validation groups; va_gi_wga: with XRM-inferred validation groups
 * (no group labels anywhere); va_wca: worst-class accuracy (no groups needed); va_avg: average accuracy.
 */
export type SelectionCriterion = 'va_wga' | 'va_gi_wga' | 'va_wca' | 'va_avg';
export const SELECTION_CRITERIA: readonly SelectionCriterion[] = ['va_wga', 'va_gi_wga', 'va_wca', 'va_avg'];

/** The value of `criterion` for one record; higher is better. */
export function criterionValue(record: EvalRecord, criterion: SelectionCriterion): number {
  switch (criterion) {
    case 'va_wga':
      return record.val.worstGroupAcc;
    case 'va_gi_wga':
      if (!record.valInferred) {
        throw new Error(
          `criterion va_gi_wga needs validation metrics with XRM-inferred groups, but the record at step ${record.step} has no valInferred`,
        );
      }
      return record.valInferred.worstGroupAcc;
    case 'va_wca':
      return record.val.worstClassAcc;
    case 'va_avg':
      return record.val.avgAcc;
    default:
      throw new Error(`unknown selection criterion ${JSON.stringify(criterion)}; expected one of ${SELECTION_CRITERIA.join(', ')}`);
  }
}

/** Three-way comparison where NaN ranks below every number, so a broken evaluation is never selected over a real one. */
function compareHigherBetter(a: number, b: number): number {
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? -1 : 1;
  return a === b ? 0 : a > b ? 1 : -1;
}

/** The record with the best criterion; ties go to the later step (more training, same validation score). */
export function selectStep(curve: readonly EvalRecord[], criterion: SelectionCriterion): EvalRecord {
  if (curve.length === 0) throw new Error('selectStep: the curve has no evaluations');
  let best = curve[0];
  let bestValue = criterionValue(best, criterion);
  for (let i = 1; i < curve.length; i++) {
    const value = criterionValue(curve[i], criterion);
    const order = compareHigherBetter(value, bestValue);
    // Compare step numbers rather than array positions, so an unsorted curve selects the same step.
    if (order > 0 || (order === 0 && curve[i].step > best.step)) {
      best = curve[i];
      bestValue = value;
    }
  }
  return best;
}

/** One hyperparameter combination with the record selected within its run. */
export interface CombinationRun {
  combo: number | string;
  selected: EvalRecord;
}

// Numbers numerically, anything else by code units: deterministic, independent of the locale.
function compareCombos(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * The combination with the best criterion at its selected step; ties go to the higher validation average
 * accuracy, then to the lower combo id so that the choice never depends on the order runs finished in.
 */
export function selectCombination<R extends CombinationRun>(runs: readonly R[], criterion: SelectionCriterion): R {
  if (runs.length === 0) throw new Error('selectCombination: no runs to choose from');
  let best = runs[0];
  for (let i = 1; i < runs.length; i++) {
    const run = runs[i];
    let order = compareHigherBetter(criterionValue(run.selected, criterion), criterionValue(best.selected, criterion));
    if (order === 0) order = compareHigherBetter(run.selected.val.avgAcc, best.selected.val.avgAcc);
    if (order === 0) order = -compareCombos(run.combo, best.combo);
    if (order > 0) best = run;
  }
  return best;
}

export interface SeedSummary {
  mean: number;
  /** Sample standard deviation (divides by n − 1); 0 when n = 1. */
  std: number;
  min: number;
  max: number;
  n: number;
}

/**
 * Mean ± std over seeds. The std is the sample one (n − 1), the usual choice for "mean ± std over seeds"
 * in papers and what numpy gives with ddof=1 / torch.std by default; with a single seed it is 0, not NaN.
 */
export function summarizeSeeds(values: readonly number[]): SeedSummary {
  const n = values.length;
  if (n === 0) throw new Error('summarizeSeeds: no values to summarise');
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const squares = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return {
    mean,
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    min: Math.min(...values),
    max: Math.max(...values),
    n,
  };
}
