// Classification metrics per group and per class (design.md 2.4), and XRM's inferred validation groups (2.1).
// Worst-group accuracy is the metric the method is judged on, so empty groups get special care:
// a group with no examples has no accuracy, and must neither drag the minimum to 0 nor poison it with NaN.

import { groupOf } from '../data/dataset.js';

/** Metrics of one split at one evaluation. Plain numbers and nulls only, so it round-trips through JSON. */
export interface Evaluation {
  /** Number of examples evaluated. */
  n: number;
  /** Plain mean of correct predictions over examples. */
  avgAcc: number;
  /** Minimum accuracy over groups that have at least one example. */
  worstGroupAcc: number;
  /** Accuracy per group; null for groups with no examples. */
  groupAcc: (number | null)[];
  /** Number of examples per group. */
  groupCounts: number[];
  /** Minimum recall over classes that have at least one example. */
  worstClassAcc: number;
  /** Mean recall over classes that have at least one example. */
  balancedAcc: number;
  /** Recall per class; null for classes with no examples. */
  classAcc: (number | null)[];
  /** Number of examples per class. */
  classCounts: number[];
}

function checkSameLength(fn: string, arrays: Record<string, ArrayLike<number>>): number {
  const entries = Object.entries(arrays);
  const n = entries[0][1].length;
  if (entries.some(([, a]) => a.length !== n)) {
    const lengths = entries.map(([name, a]) => `${name}: ${a.length}`).join(', ');
    throw new Error(`${fn}: arrays must have one entry per example, got different lengths (${lengths})`);
  }
  return n;
}

function checkIndex(fn: string, name: string, i: number, value: number, count: number): void {
  if (!(Number.isInteger(value) && value >= 0 && value < count)) {
    throw new Error(`${fn}: ${name}[${i}] = ${value}, expected an integer in 0..${count - 1}`);
  }
}

/** Argmax of each row of an n × k row-major logits matrix; ties go to the lowest index (like numpy/torch). */
export function predictionsFromLogits(logits: Float32Array, n: number, k: number): Int32Array {
  if (logits.length !== n * k) {
    throw new Error(`predictionsFromLogits: logits has ${logits.length} values, expected n × k = ${n} × ${k} = ${n * k}`);
  }
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let best = 0;
    // Strict > keeps the first maximum on ties.
    for (let c = 1; c < k; c++) if (logits[row + c] > logits[row + best]) best = c;
    pred[i] = best;
  }
  return pred;
}

/** Accuracy and example count of each group; accuracy is NaN for a group with no examples. */
export function groupAccuracies(
  pred: ArrayLike<number>,
  y: ArrayLike<number>,
  groups: Int32Array,
  numGroups: number,
): { accuracy: number[]; counts: number[] } {
  const n = checkSameLength('groupAccuracies', { pred, y, groups });
  const counts = new Array<number>(numGroups).fill(0);
  const correct = new Array<number>(numGroups).fill(0);
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    checkIndex('groupAccuracies', 'groups', i, g, numGroups);
    counts[g]++;
    if (pred[i] === y[i]) correct[g]++;
  }
  const accuracy = counts.map((c, g) => (c > 0 ? correct[g] / c : NaN));
  return { accuracy, counts };
}

/** Minimum and mean over the entries of `values` whose count is positive. */
function minAndMeanOverPresent(values: number[], counts: number[]): { min: number; mean: number } {
  let min = Infinity;
  let sum = 0;
  let present = 0;
  for (let i = 0; i < values.length; i++) {
    if (counts[i] === 0) continue;
    min = Math.min(min, values[i]);
    sum += values[i];
    present++;
  }
  return { min, mean: sum / present };
}

/** All metrics of design.md 2.4 for one split. Throws on mismatched lengths, out-of-range labels or groups, or n = 0. */
export function evaluatePredictions(
  pred: ArrayLike<number>,
  y: ArrayLike<number>,
  groups: Int32Array,
  numGroups: number,
  numClasses: number,
): Evaluation {
  const n = checkSameLength('evaluatePredictions', { pred, y, groups });
  // With no examples every metric is undefined; failing here beats a NaN that surfaces in a table later.
  if (n === 0) throw new Error('evaluatePredictions: no examples to evaluate');

  const classCounts = new Array<number>(numClasses).fill(0);
  const classCorrect = new Array<number>(numClasses).fill(0);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    checkIndex('evaluatePredictions', 'y', i, y[i], numClasses);
    classCounts[y[i]]++;
    if (pred[i] === y[i]) {
      correct++;
      classCorrect[y[i]]++;
    }
  }
  const classRecall = classCounts.map((c, k) => (c > 0 ? classCorrect[k] / c : NaN));
  const byClass = minAndMeanOverPresent(classRecall, classCounts);

  const { accuracy: groupAccuracy, counts: groupCounts } = groupAccuracies(pred, y, groups, numGroups);
  const byGroup = minAndMeanOverPresent(groupAccuracy, groupCounts);

  return {
    n,
    avgAcc: correct / n,
    worstGroupAcc: byGroup.min,
    groupAcc: groupAccuracy.map((v, g) => (groupCounts[g] > 0 ? v : null)),
    groupCounts,
    worstClassAcc: byClass.min,
    balancedAcc: byClass.mean,
    classAcc: classRecall.map((v, k) => (classCounts[k] > 0 ? v : null)),
    classCounts,
  };
}

/** evaluatePredictions on the argmax of n × numClasses logits. */
export function evaluateLogits(
  logits: Float32Array,
  y: ArrayLike<number>,
  groups: Int32Array,
  numGroups: number,
  numClasses: number,
): Evaluation {
  return evaluatePredictions(predictionsFromLogits(logits, y.length, numClasses), y, groups, numGroups, numClasses);
}

/** Number of XRM-inferred groups: (class, cross-mistake) pairs. */
export function crossMistakeNumGroups(numClasses: number): number {
  return numClasses * 2;
}

/**
 * XRM's inferred validation groups (design.md 2.1): group = y·2 + crossMistake, where crossMistake = 1
 * when either twin misclassifies the example. Needs no attribute labels, which is the point of va_gi_wga.
 */
export function crossMistakeGroups(y: ArrayLike<number>, predA: ArrayLike<number>, predB: ArrayLike<number>): Int32Array {
  const n = checkSameLength('crossMistakeGroups', { y, predA, predB });
  const groups = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const crossMistake = predA[i] !== y[i] || predB[i] !== y[i] ? 1 : 0;
    groups[i] = groupOf(y[i], crossMistake, 2);
  }
  return groups;
}
