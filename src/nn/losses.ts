// Losses over the graph builder. All are stable for logits and shifts of any magnitude:
// they go through LogSoftmax, which subtracts the row maximum.
import type { Graph, Value } from '../engine/graph.js';

/**
 * Per-example cross-entropy of (logits + shift) against integer labels:
 * −log softmax(logits + shift)[y]. The shift carries no gradient.
 */
export function perExampleCrossEntropy(g: Graph, logits: Value, labels: Value, shift?: Value): Value {
  const z = shift ? g.add(logits, g.stopGradient(shift)) : logits;
  return g.softmaxCrossEntropy(z, labels);
}

/** Batch loss (1/B)·Σ w_i·ℓ_i (w_i = 1 without weights), PyTorch's mean reduction. */
export function weightedMean(g: Graph, perExample: Value, weights?: Value): Value {
  return g.reduceMean(weights ? g.mul(perExample, weights) : perExample, 0);
}

/**
 * XRM's class-balanced loss: Σ over classes present in the batch of the mean loss of that class.
 * Absent classes contribute 0 (their sum is 0 and the count is clamped to 1).
 */
export function classBalancedMean(g: Graph, perExample: Value, onehot: Value): Value {
  const perClassSum = g.reduceSum(g.mul(onehot, g.unsqueeze(perExample, 1)), 0);
  const counts = g.max(g.reduceSum(onehot, 0), g.scalar(1, onehot.dtype));
  return g.reduceSum(g.div(perClassSum, counts), 0);
}

/** Mean squared error over every element. */
export function meanSquaredError(g: Graph, prediction: Value, target: Value): Value {
  const diff = g.sub(prediction, target);
  return g.reduceMean(g.reduceMean(g.mul(diff, diff), 1), 0);
}
