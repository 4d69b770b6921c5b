// Automatic Feature Reweighting (Qiu, Potapczynski, Izmailov & Wilson, ICML 2023): ERM on part of
// the training set, then its last layer retrained on the rest with per-example weights
//   w_i ∝ β_{y_i} · exp(−γ · p̂(y_i | x_i)),  Σ w_i = 1,
// where p̂ is the first model's softmax probability of the label and β_c = n / n_c balances the
// classes (the authors' code, rebalance_weights on by default), plus the pull
// λ · (‖W − Ŵ‖² + ‖b − b̂‖²) towards the first model's layer. No group labels anywhere.
//
// As in the authors' code: the first stage trains on 80% of the training rows, the second is
// full-batch. Difference: the second stage is solved to convergence (our FISTA in float64) where
// the authors run a fixed number of gradient-descent epochs.
import { takeRows } from '../data/dataset.js';
import { epochSampler } from '../train/batches.js';
import { trainLoop, type CurvePoint, type TrainResult } from '../train/loop.js';
import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { Evaluation } from '../eval/metrics.js';
import { lastLayer, penultimateDim, penultimateFeatures, refittedResult } from './lastLayer.js';
import { fitLogistic } from './logistic.js';
import { hparamNumber, type RunContext } from './context.js';

export interface AfrRecord {
  gamma: number;
  lambda: number;
  /** Training rows of the first stage and of the reweighted second stage. */
  firstRows: number;
  secondRows: number;
  solverIterations: number;
  /** The first-stage model before its last layer was retrained. */
  base: { val: Evaluation; test: Evaluation };
}

export interface AfrPoint extends CurvePoint {
  afr: AfrRecord;
}

/**
 * AFR's weights from the first model's logits (n × K) on the second-stage rows: exp(−γ·p̂(y|x)),
 * times n / n_c for the example's class c when `rebalance`, normalised to sum 1.
 */
export function afrWeights(logits: ArrayLike<number>, y: Int32Array, k: number, gamma: number, rebalance = true): Float64Array {
  const n = y.length;
  const w = new Float64Array(n);
  const counts = new Float64Array(k);
  for (const c of y) counts[c]++;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[i * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logits[i * k + c] - max);
    const pTrue = Math.exp(logits[i * k + y[i]] - max) / sum;
    w[i] = Math.exp(-gamma * pTrue) * (rebalance ? n / counts[y[i]] : 1);
    total += w[i];
  }
  for (let i = 0; i < n; i++) w[i] /= total;
  return w;
}

/** The first stage's rows (a seeded random fraction of the training rows) and the second stage's (the rest). */
export function afrSplit(n: number, fraction: number, seed: number): { first: Int32Array; second: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new InputError(`AFR: firstStageFraction must be in (0, 1), got ${fraction}`);
  const m = Math.round(fraction * n);
  if (m < 1 || m > n - 1) throw new InputError(`AFR: firstStageFraction ${fraction} of ${n} training rows leaves a stage with no rows`);
  const order = Rng.derive(seed, 'afr-split').permutation(n);
  return { first: Int32Array.from(order.subarray(0, m)).sort(), second: Int32Array.from(order.subarray(m)).sort() };
}

export async function runAfr(ctx: RunContext): Promise<TrainResult> {
  const ds = ctx.dataset;
  const settings = ctx.settings;
  const gamma = hparamNumber(ctx, 'gamma');
  const lambda = hparamNumber(ctx, 'lambda');
  const { first, second } = afrSplit(ds.train.y.length, hparamNumber(ctx, 'firstStageFraction'), settings.seed);
  const batch = settings.batchSize === 'full' ? first.length : settings.batchSize;
  // Stage 1: ERM on the first rows (checkpointed like ERM); only its final evaluation is kept.
  const base = await trainLoop(ds, { ...settings, evalEvery: 0, keepBest: undefined, onEval: undefined }, {
    sampler: (rng) => epochSampler(first.length, batch, rng, { rows: first }),
  });
  const clf = base.classifier;
  try {
    const last = base.curve[base.curve.length - 1];
    const k = ds.numClasses;
    const held = takeRows(ds.train, second, ds.dim);
    const logits = await clf.predictor.run(held.x, second.length);
    const weights = afrWeights(logits, held.y, k, gamma);
    const d = penultimateDim(clf);
    const features = await penultimateFeatures(clf, held.x, second.length, settings);
    const start = lastLayer(clf);
    const fit = fitLogistic({
      x: features, y: held.y, n: second.length, d, k, weights, l2: lambda,
      center: { w: start.w, b: start.b }, intercept: clf.model.toJSON().bias, tol: 1e-4, maxIter: 3000,
    });
    const record: AfrRecord = {
      gamma, lambda, firstRows: first.length, secondRows: second.length, solverIterations: fit.iterations,
      base: { val: last.val, test: last.test },
    };
    return await refittedResult(clf, ds, settings, last, fit, { afr: record });
  } catch (error) {
    await clf.dispose();
    throw error;
  }
}
