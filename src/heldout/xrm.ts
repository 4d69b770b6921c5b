// XRM twins (design.md 2.1): held-out logits for every training example, by label flipping.
import type { Dataset } from '../data/dataset.js';
import { tensor, type ort } from '../engine/index.js';
import { predictionsFromLogits } from '../eval/metrics.js';
import { epochSampler, fullBatchSampler } from '../train/batches.js';
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
  const d = ds.dim;
  const k = ds.numClasses;
  if (!(Number.isInteger(s.steps) && s.steps > 0)) throw new Error(`XRM: steps must be a positive integer, got ${s.steps}`);
  const rng = Rng.derive(s.seed, 'xrm');
  // Each example belongs to one twin, drawn once: assign = 1 → twin A.
  const assign = new Float32Array(n);
  for (let i = 0; i < n; i++) assign[i] = rng.bernoulli(0.5) ? 1 : 0;
  const full = s.batchSize === 'full' || s.batchSize >= n;
  const initRng = Rng.derive(s.seed, 'xrm-init');
  const twins = await compileTwins(s.model, {
    optimizer: s.optimizer,
    initialParams: [s.model.init(initRng), s.model.init(initRng)],
    loss: s.loss,
    fullBatch: full ? { x, assign, n } : undefined,
    execution: s.execution,
  });
  try {
    const dynamicLabels = Int32Array.from(y);
    const sampler = full ? fullBatchSampler(n) : epochSampler(n, s.batchSize as number, Rng.derive(s.seed, 'xrm-batches'));
    const flipRng = Rng.derive(s.seed, 'xrm-flips');
    // Two buffer sets per batch size: the next batch's features are copied on a worker thread
    // while the current step runs; its labels are filled just before it runs, after the flips.
    const buffers = new Map<string, { feeds: Record<string, ort.Tensor>; x: Float32Array; y: Int32Array; a: Float32Array }>();
    const bufferFor = (b: number, slot: number) => {
      const key = `${b}/${slot}`;
      let buf = buffers.get(key);
      if (!buf) {
        const xb = new Float32Array(full ? 0 : b * d);
        const yb = new Int32Array(b);
        const ab = new Float32Array(full ? 0 : b);
        const f: Record<string, ort.Tensor> = { y: tensor('int32', yb, [b]) };
        if (!full) {
          f.x = tensor('float32', xb, [b, d]);
          f.assign = tensor('float32', ab, [b]);
        }
        buf = { feeds: f, x: xb, y: yb, a: ab };
        buffers.set(key, buf);
      }
      return buf;
    };
    const prepare = (slot: number) => {
      const rows = Int32Array.from(sampler.next());
      const buf = bufferFor(rows.length, slot);
      return { rows, buf, ready: full ? Promise.resolve() : twins.step.gatherRowsAsync(x, d, rows, buf.x) };
    };
    let flipped = 0;
    let slot = 0;
    let next = prepare(slot);
    for (let t = 1; t <= s.steps; t++) {
      const { rows, buf, ready } = next;
      await ready;
      for (let r = 0; r < rows.length; r++) {
        const i = rows[r];
        buf.y[r] = dynamicLabels[i];
        if (!full) buf.a[r] = assign[i];
      }
      const pending = twins.step.run(buf.feeds, { lr: s.lr, fetch: ['heldOutLogits'] });
      if (t < s.steps) {
        slot = 1 - slot;
        next = prepare(slot);
      }
      const out = await pending;
      if (!Number.isFinite(out.loss)) throw new Error(`XRM diverged: the loss is ${out.loss} at step ${t} (learning rate ${s.lr})`);
      flipped += flipLabels(out.outputs.heldOutLogits.data as Float32Array, rows, dynamicLabels, y, k, flipRng);
      s.onStep?.(t, flipped / n);
    }

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
