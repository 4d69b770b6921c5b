// XRM twins (design.md 2.1): held-out logits for every training example, by label flipping.
import type { Dataset } from '../data/dataset.js';
import { predictionsFromLogits } from '../eval/metrics.js';
import { epochSampler } from '../train/batches.js';
import { trainLoop } from '../train/loop.js';
import { Rng } from '../util/random.js';
import { compileTwins } from './twinStep.js';
import { isDegenerate, mistakeGroups, type HeldOutResult, type HeldOutTraining } from './types.js';

export interface XrmSettings extends HeldOutTraining {
  /** 'balanced_ce' as XRM; the paper's toy uses plain 'ce'. */
  loss?: 'balanced_ce' | 'ce';
  onStep?(step: number, flipRate: number): void;
}

export async function runXrm(ds: Dataset, s: XrmSettings): Promise<HeldOutResult> {
  const { x, y } = ds.train;
  const n = y.length;
  const k = ds.numClasses;
  if (!(Number.isInteger(s.steps) && s.steps > 0)) throw new Error(`XRM: steps must be a positive integer, got ${s.steps}`);
  const rng = Rng.derive(s.seed, 'xrm');
  // Each example belongs to one twin, drawn once: assign = 1 → twin A.
  const assign = new Float32Array(n);
  for (let i = 0; i < n; i++) assign[i] = rng.bernoulli(0.5) ? 1 : 0;
  // A batch as large as the data is the full batch, in order (baked into the graph).
  const full = s.batchSize === 'full' || s.batchSize >= n;
  const dynamicLabels = Int32Array.from(y);
  const flipRng = Rng.derive(s.seed, 'xrm-flips');
  let flipped = 0;
  // XRM's own streams ('xrm-init', 'xrm-batches', 'xrm-flips'), not the loop's: results are those
  // of earlier versions for the same seed.
  const { classifier: twins } = await trainLoop(ds, {
    model: s.model, optimizer: s.optimizer, lr: s.lr, steps: s.steps, batchSize: full ? 'full' : s.batchSize, evalEvery: 0, seed: s.seed, execution: s.execution,
    onStep: (t) => s.onStep?.(t, flipped / n),
  }, {
    compileStep: ({ fullBatch }) => {
      const initRng = Rng.derive(s.seed, 'xrm-init');
      return compileTwins(s.model, {
        optimizer: s.optimizer,
        initialParams: [s.model.init(initRng), s.model.init(initRng)],
        loss: s.loss,
        fullBatch: fullBatch ? { x, assign, n } : undefined,
        execution: s.execution,
      });
    },
    sampler: full ? undefined : () => epochSampler(n, s.batchSize as number, Rng.derive(s.seed, 'xrm-batches')),
    labels: dynamicLabels,
    rowFeeds: { assign },
    fetch: ['heldOutLogits'],
    afterStep: (rows, outputs) => {
      flipped += flipLabels(outputs.heldOutLogits, rows, dynamicLabels, y, k, flipRng);
    },
    divergenceMessage: (loss, t) => `XRM diverged: the loss is ${loss} at step ${t} (learning rate ${s.lr})`,
  });
  try {
    const [predictA, predictB] = twins.predictors;
    const logitsA = await predictA.run(x, n);
    const logitsB = await predictB.run(x, n);
    const heldOutLogits = new Float32Array(n * k);
    const heldInLogits = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      const [own, other] = assign[i] === 1 ? [logitsA, logitsB] : [logitsB, logitsA];
      heldInLogits.set(own.subarray(i * k, (i + 1) * k), i * k);
      heldOutLogits.set(other.subarray(i * k, (i + 1) * k), i * k);
    }
    const heldOutPred = predictionsFromLogits(heldOutLogits, n, k);
    const trainInferredGroups = mistakeGroups(y, heldOutPred, heldOutPred);
    const nVal = ds.val.y.length;
    const valPredA = predictionsFromLogits(await predictA.run(ds.val.x, nVal), nVal, k);
    const valPredB = predictionsFromLogits(await predictB.run(ds.val.x, nVal), nVal, k);
    const valInferredGroups = mistakeGroups(ds.val.y, valPredA, valPredB);
    let flips = 0;
    for (let i = 0; i < n; i++) if (dynamicLabels[i] !== y[i]) flips++;
    return {
      source: 'xrm',
      numClasses: k,
      heldOutLogits,
      heldInLogits,
      trainInferredGroups,
      valInferredGroups,
      flipRate: flips / n,
      degenerate: isDegenerate(ds.val.y, valInferredGroups, k),
    };
  } finally {
    await twins.dispose();
  }
}

/**
 * XRM's label flipping: p = max softmax(ho), ŷ = argmax ho; with probability (p − 1/K)·K/(K−1)
 * set ỹ ← ŷ. Returns the change in the number of labels that differ from the originals.
 */
export function flipLabels(heldOut: Float32Array, rows: Int32Array, dynamic: Int32Array, original: ArrayLike<number>, k: number, rng: Rng): number {
  let delta = 0;
  for (let r = 0; r < rows.length; r++) {
    let best = 0;
    let m = -Infinity;
    for (let c = 0; c < k; c++) {
      if (heldOut[r * k + c] > m) { m = heldOut[r * k + c]; best = c; }
    }
    let z = 0;
    for (let c = 0; c < k; c++) z += Math.exp(heldOut[r * k + c] - m);
    const p = 1 / z;
    if (rng.uniform() < flipProbability(p, k)) {
      const i = rows[r];
      const before = dynamic[i] !== original[i] ? 1 : 0;
      dynamic[i] = best;
      delta += (best !== original[i] ? 1 : 0) - before;
    }
  }
  return delta;
}

/** (p − 1/K)·K/(K−1): 0 at chance, 1 at certainty. */
export function flipProbability(maxProb: number, k: number): number {
  return ((maxProb - 1 / k) * k) / (k - 1);
}
