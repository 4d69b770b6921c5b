// K-fold cross-fitting (design.md 2.1): K models, each trained on all folds but one, predict the
// fold they did not see. Held-in logits come from a model trained on every fold.
import { takeRows, type Dataset } from '../data/dataset.js';
import { predictionsFromLogits } from '../eval/metrics.js';
import { trainLoop } from '../train/loop.js';
import { Rng } from '../util/random.js';
import { isDegenerate, mistakeGroups, type HeldOutResult, type HeldOutTraining } from './types.js';

export interface KFoldSettings extends HeldOutTraining {
  folds?: number;
  onStep?(step: number, total: number): void;
}

export async function runKFold(ds: Dataset, s: KFoldSettings): Promise<HeldOutResult> {
  const folds = s.folds ?? 2;
  const n = ds.train.y.length;
  const k = ds.numClasses;
  if (!(Number.isInteger(folds) && folds >= 2 && folds <= n)) throw new Error(`K-fold: folds must be an integer in 2..${n}, got ${folds}`);
  const order = Rng.derive(s.seed, 'kfold').permutation(n);
  const foldOf = new Int32Array(n);
  order.forEach((row, j) => { foldOf[row] = j % folds; });
  const heldOutLogits = new Float32Array(n * k);
  const valPreds: Int32Array[] = [];
  const totalSteps = s.steps * (folds + 1);
  const fit = async (rows: Int32Array, part: number) => {
    const sub: Dataset = { ...ds, train: takeRows(ds.train, rows, ds.dim) };
    const settings = { ...s, evalEvery: 0, seed: s.seed * 1000 + part, onStep: (t: number) => s.onStep?.(part * s.steps + t, totalSteps) };
    return trainLoop(sub, settings);
  };
  for (let f = 0; f < folds; f++) {
    const trainRows = Int32Array.from(order.filter((row) => foldOf[row] !== f)).sort();
    const heldRows = Int32Array.from(order.filter((row) => foldOf[row] === f)).sort();
    const { classifier } = await fit(trainRows, f);
    const held = takeRows(ds.train, heldRows, ds.dim);
    const logits = await classifier.predictor.run(held.x, heldRows.length);
    heldRows.forEach((row, r) => heldOutLogits.set(logits.subarray(r * k, (r + 1) * k), row * k));
    if (valPreds.length < 2) valPreds.push(predictionsFromLogits(await classifier.predictor.run(ds.val.x, ds.val.y.length), ds.val.y.length, k));
    await classifier.dispose();
  }
  const all = await fit(Int32Array.from({ length: n }, (_, i) => i), folds);
  const heldInLogits = await all.classifier.predictor.run(ds.train.x, n);
  await all.classifier.dispose();
  const heldOutPred = predictionsFromLogits(heldOutLogits, n, k);
  const valInferredGroups = mistakeGroups(ds.val.y, valPreds[0], valPreds[1] ?? valPreds[0]);
  return {
    source: 'kfold',
    numClasses: k,
    heldOutLogits,
    heldInLogits,
    trainInferredGroups: mistakeGroups(ds.train.y, heldOutPred, heldOutPred),
    valInferredGroups,
    flipRate: 0,
    degenerate: isDegenerate(ds.val.y, valInferredGroups, k),
  };
}
