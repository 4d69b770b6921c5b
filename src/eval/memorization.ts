// Memorization scores (design.md 2.5): how much a model needs to have seen an example to get it right.
// score_i = p_held-in(y_i | x_i) − p_held-out(y_i | x_i), in [−1, 1].

/** The quantiles reported per group; the paper's Figure 2 compares these distributions for ERM and MAT. */
export const MEMORIZATION_QUANTILES: readonly number[] = [0.1, 0.25, 0.5, 0.75, 0.9];

/** Softmax probability of each example's label, from n × k row-major logits. */
export function labelProbabilities(logits: Float32Array, y: ArrayLike<number>, k: number): Float64Array {
  const n = y.length;
  if (logits.length !== n * k) {
    throw new Error(`labelProbabilities: logits has ${logits.length} values, expected n × k = ${n} × ${k} = ${n * k}`);
  }
  const probs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const label = y[i];
    if (!(Number.isInteger(label) && label >= 0 && label < k)) {
      throw new Error(`labelProbabilities: y[${i}] = ${label}, expected an integer in 0..${k - 1}`);
    }
    const row = i * k;
    // Subtract the row max so exp never overflows (logits of memorizing models reach the hundreds).
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[row + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logits[row + c] - max);
    probs[i] = Math.exp(logits[row + label] - max) / sum;
  }
  return probs;
}

/** Per example: held-in probability of the label minus held-out probability of the label. */
export function memorizationScores(
  heldInLogits: Float32Array,
  heldOutLogits: Float32Array,
  y: ArrayLike<number>,
  k: number,
): Float64Array {
  if (heldInLogits.length !== heldOutLogits.length) {
    throw new Error(
      `memorizationScores: heldInLogits has ${heldInLogits.length} values but heldOutLogits has ${heldOutLogits.length}; expected n × k = ${y.length} × ${k} each`,
    );
  }
  const heldIn = labelProbabilities(heldInLogits, y, k);
  const heldOut = labelProbabilities(heldOutLogits, y, k);
  return heldIn.map((p, i) => p - heldOut[i]);
}

/** Summary of one group's scores; the statistics are null when the group has no examples. */
export interface GroupScoreSummary {
  group: number;
  count: number;
  mean: number | null;
  median: number | null;
  /** Values at MEMORIZATION_QUANTILES, in that order. */
  quantiles: (number | null)[];
}

/** Quantile of sorted values by linear interpolation between order statistics (numpy's default, "type 7"). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new Error('quantileOfSorted: no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantileOfSorted: q = ${q}, expected a number in [0, 1]`);
  const position = q * (n - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
}

/** Count, mean, median and MEMORIZATION_QUANTILES of the scores of each group. */
export function scoresByGroup(scores: ArrayLike<number>, groups: Int32Array, numGroups: number): GroupScoreSummary[] {
  if (scores.length !== groups.length) {
    throw new Error(`scoresByGroup: scores has ${scores.length} values but groups has ${groups.length}; expected one per example`);
  }
  const members: number[][] = Array.from({ length: numGroups }, () => []);
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (!(g >= 0 && g < numGroups)) throw new Error(`scoresByGroup: groups[${i}] = ${g}, expected an integer in 0..${numGroups - 1}`);
    members[g].push(scores[i]);
  }
  return members.map((values, group) => {
    if (values.length === 0) {
      return { group, count: 0, mean: null, median: null, quantiles: MEMORIZATION_QUANTILES.map(() => null) };
    }
    const sorted = Float64Array.from(values).sort();
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    return {
      group,
      count: values.length,
      mean,
      median: quantileOfSorted(sorted, 0.5),
      quantiles: MEMORIZATION_QUANTILES.map((q) => quantileOfSorted(sorted, q)),
    };
  });
}
