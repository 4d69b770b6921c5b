// What last-layer retraining methods (DFR, AFR) share: the penultimate features of a trained model
// (the input itself for a linear model), writing a refitted last layer back into the model, and
// evaluating the result as one point of a training curve.
import { groupsOf, numGroups, type Dataset } from '../data/dataset.js';
import { tensor } from '../engine/index.js';
import { evaluateLogits } from '../eval/metrics.js';
import type { CompiledClassifier } from '../nn/classifier.js';
import { compilePredictor } from '../nn/classifier.js';
import { mlp } from '../nn/models.js';
import type { CurvePoint, TrainResult, TrainSettings } from '../train/loop.js';

/** The model's parameters split into the layers before the last one and the last layer. */
function layout(clf: CompiledClassifier) {
  const desc = clf.model.toJSON();
  const perLayer = desc.bias ? 2 : 1;
  const all = clf.step.parameters();
  return { desc, perLayer, hidden: all.slice(0, all.length - perLayer), last: all.slice(all.length - perLayer), all };
}

/** Dimension of the features the last layer reads. */
export function penultimateDim(clf: CompiledClassifier): number {
  const dims = clf.model.toJSON().dims;
  return dims[dims.length - 2];
}

/** The features the last layer reads, n × penultimateDim, for rows x (n × d) of the model's input. */
export async function penultimateFeatures(clf: CompiledClassifier, x: Float32Array, n: number, settings: Pick<TrainSettings, 'execution'>): Promise<Float32Array> {
  const { desc, hidden } = layout(clf);
  if (desc.dims.length === 2) {
    // A linear head that standardises its input reads (x − μ)·s: its weights live in that space.
    const scaling = desc.inputScaling;
    if (!scaling) return x;
    const d = desc.dims[0];
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j] - scaling.mean[j]) * scaling.scale[j];
    return out;
  }
  // The same network without its last layer; the activation after its (new) last layer is applied here.
  const body = mlp(desc.dims.slice(0, -1), { bias: desc.bias, activation: desc.activation, init: desc.init });
  const params = hidden.map((p, i) => tensor('float32', p, body.params[i].shape));
  const predictor = await compilePredictor(body, () => params, settings.execution);
  try {
    const out = await predictor.run(x, n);
    if (desc.activation === 'relu') for (let j = 0; j < out.length; j++) out[j] = out[j] > 0 ? out[j] : 0;
    else for (let j = 0; j < out.length; j++) out[j] = Math.tanh(out[j]);
    return out;
  } finally {
    await predictor.dispose();
  }
}

/** The last layer's weight (K × h, row-major) and bias (zeros for a model without biases). */
export function lastLayer(clf: CompiledClassifier): { w: Float32Array; b: Float32Array } {
  const { last } = layout(clf);
  return { w: last[0], b: last[1] ?? new Float32Array(clf.model.outputDim) };
}

/** Replace the last layer's weight and bias in place (the predictor reads them from the step). */
export function setLastLayer(clf: CompiledClassifier, w: ArrayLike<number>, b: ArrayLike<number>): Float32Array[] {
  const { perLayer, all } = layout(clf);
  const params = all.map((p) => Float32Array.from(p));
  params[params.length - perLayer] = Float32Array.from(w);
  if (perLayer === 2) params[params.length - 1] = Float32Array.from(b);
  clf.step.loadState({ ...clf.step.saveState(), params });
  return params;
}

/** One curve point of the classifier as it is now: val and test (train, XRM-inferred val groups when asked). */
export async function evaluatePoint(clf: CompiledClassifier, ds: Dataset, settings: TrainSettings, step: number, loss: number): Promise<CurvePoint> {
  const G = numGroups(ds);
  const k = ds.numClasses;
  const logits = (s: Dataset['val']) => clf.predictor.run(s.x, s.y.length);
  const valLogits = await logits(ds.val);
  const point: CurvePoint = {
    step,
    loss,
    val: evaluateLogits(valLogits, ds.val.y, groupsOf(ds.val, ds.numAttributes), G, k),
    test: evaluateLogits(await logits(ds.test), ds.test.y, groupsOf(ds.test, ds.numAttributes), G, k),
  };
  const inferred = settings.valInferredGroups;
  if (inferred) point.valInferred = evaluateLogits(valLogits, ds.val.y, inferred.groups, inferred.numGroups, k);
  if (settings.evalTrain) point.train = evaluateLogits(await logits(ds.train), ds.train.y, groupsOf(ds.train, ds.numAttributes), G, k);
  return point;
}

/**
 * A last-layer method's result: the refitted layer written into the classifier, evaluated as the run's
 * one curve point (with what the refit chose under `extra`), kept as the best when asked.
 */
export async function refittedResult(
  clf: CompiledClassifier, ds: Dataset, settings: TrainSettings, last: CurvePoint,
  layer: { w: ArrayLike<number>; b: ArrayLike<number> }, extra: Record<string, unknown>,
): Promise<TrainResult> {
  const params = setLastLayer(clf, layer.w, layer.b);
  const point: CurvePoint = { ...(await evaluatePoint(clf, ds, settings, last.step, last.loss)), ...extra };
  settings.onEval?.(point, params);
  const best = settings.keepBest ? { step: point.step, criterion: settings.keepBest, params } : undefined;
  return { curve: [point], classifier: clf, best };
}
