// Deep Feature Reweighting (Kirichenko, Izmailov & Wilson, ICLR 2023), "DFR on validation": train
// ERM, then refit its last layer on group-balanced subsets of the *validation* set.
//
// As in the paper and the authors' code (dfr_evaluate_spurious.py): features standardised with
// the training split's mean and standard deviation; ℓ1-regularised logistic regression; the
// strength C chosen from {1, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01} by fitting on a group-balanced subset
// of a random half of the validation set and measuring worst-group accuracy on the other half; then
// the final layer is the average of `retrains` fits (default 20) with that C on group-balanced
// subsets of the whole validation set. Class weights are not searched: on a group-balanced subset
// the authors' code uses 1:1 too. Differences: the solver is our FISTA (the same optimum as
// liblinear's, up to tolerance) and the intercept is not penalised (liblinear penalises it);
// `refit: 'half'` refits on the fitting half only, leaving the other half untouched.
//
// DFR trains on validation groups, so its validation accuracy is not a held-out estimate: reports
// list it apart and select its runs by the score of its own tuning (the selection half).
import { groupsOf, numGroups, type Dataset } from '../data/dataset.js';
import { evaluateLogits, type Evaluation } from '../eval/metrics.js';
import { trainLoop, type CurvePoint, type TrainResult, type TrainSettings } from '../train/loop.js';
import type { CompiledClassifier } from '../nn/classifier.js';
import { ColumnMoments } from '../data/standardize.js';
import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { penultimateDim, penultimateFeatures, refittedResult } from './lastLayer.js';
import { fitLogistic } from './logistic.js';
import { groupBalancedSubset } from '../data/dataset.js';
import { hparamNumber, type RunContext } from './context.js';

/** The authors' grid of inverse ℓ1 strengths C (Waterbirds). */
export const DFR_C_GRID: readonly number[] = [1, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01];

export interface DfrRecord {
  C: number;
  /** Worst-group accuracy on the selection half for each C tried (empty when C was given). */
  tuning: { C: number; worstGroupAcc: number }[];
  /** The chosen C fitted on the fitting half, evaluated on the other half: DFR's own selection score. */
  selection: Evaluation;
  retrains: number;
  /** Rows of each group-balanced subset of the final refit. */
  subsetRows: number;
  refit: 'full' | 'half';
  /** The ERM model before its last layer was refitted. */
  base: { val: Evaluation; test: Evaluation };
}

export interface DfrPoint extends CurvePoint {
  dfr: DfrRecord;
}

/** The validation attribute DFR balances on; a clear error when the data has none. */
export function requireValAttributes(ds: Dataset, algorithm: string): Int32Array {
  if (!ds.val.a) {
    throw new InputError(`${algorithm} refits the last layer on group-balanced validation data and needs the validation attribute (group labels), which this dataset does not have (give --attr COLUMN for a data file, with values on the validation rows)`);
  }
  return ds.val.a;
}

type Scaler = { mean: Float64Array; std: Float64Array };

/** DFR's scaler from column moments: population σ, as sklearn's StandardScaler; 1 where constant. */
function scalerOf(moments: ColumnMoments): Scaler {
  const { mean, sd } = moments.result();
  return { mean, std: sd.map((s) => s || 1) };
}

/** Per-feature mean and standard deviation of x (n × d). */
export function featureScaler(x: Float32Array, n: number, d: number): Scaler {
  return scalerOf(new ColumnMoments(d).add(x, n));
}

/** featureScaler of the training split's penultimate features, computed a chunk of rows at a time (no copy of the split). */
async function trainingScaler(clf: CompiledClassifier, ds: Dataset, d: number, settings: TrainSettings): Promise<Scaler> {
  const n = ds.train.y.length;
  const moments = new ColumnMoments(d);
  const CHUNK = 4096;
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    moments.add(await penultimateFeatures(clf, ds.train.x.subarray(start * ds.dim, (start + m) * ds.dim), m, settings), m);
  }
  return scalerOf(moments);
}

/** Rows `rows` of x, standardised. */
function standardRows(x: Float32Array, rows: ArrayLike<number>, d: number, s: Scaler): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    for (let j = 0; j < d; j++) out[r * d + j] = (x[i * d + j] - s.mean[j]) / s.std[j];
  }
  return out;
}

function logitsOf(w: Float64Array, b: Float64Array, x: Float64Array, n: number, d: number, k: number): Float32Array {
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = b[c];
      for (let j = 0; j < d; j++) s += w[c * d + j] * x[i * d + j];
      out[i * k + c] = s;
    }
  }
  return out;
}

export interface DfrInput {
  /** Validation features (n × d) the last layer reads, raw; the scaler standardises them. */
  features: Float32Array;
  y: Int32Array;
  groups: Int32Array;
  numGroups: number;
  d: number;
  k: number;
  scaler: Scaler;
  /** A fixed C, or undefined to choose it from DFR_C_GRID on the halves. */
  C?: number;
  retrains: number;
  refit: 'full' | 'half';
  intercept: boolean;
  rng: Rng;
}

/** DFR's last layer, in the raw feature space (standardisation folded in), and what it chose. */
export function dfrLastLayer(input: DfrInput): { w: Float64Array; b: Float64Array; record: Omit<DfrRecord, 'base'> } {
  const { features, y, groups, d, k, scaler } = input;
  const n = y.length;
  const fitOn = (rows: Int32Array, C: number, init?: { w: Float64Array; b: Float64Array }) => {
    const x = standardRows(features, rows, d, scaler);
    // tol 1e-4: the objective is then within ~1e-6 of its optimum, and predictions do not change.
    return fitLogistic({ x, y: Int32Array.from(rows, (i) => y[i]), n: rows.length, d, k, l1: 1 / C, intercept: input.intercept, init, tol: 1e-4, maxIter: 3000 });
  };
  const balanced = (rows: Int32Array) => {
    const sub = groupBalancedSubset(Int32Array.from(rows, (i) => groups[i]), input.numGroups, input.rng);
    return Int32Array.from(sub, (r) => rows[r]);
  };
  // The two halves: fit on one (group-balanced), select on the other.
  const order = input.rng.permutation(n);
  const half = Math.floor(n / 2);
  const selectRows = Int32Array.from(order.subarray(0, half)).sort();
  const fitRows = Int32Array.from(order.subarray(half)).sort();
  const fitSubset = balanced(fitRows);
  const xSelect = standardRows(features, selectRows, d, scaler);
  const ySelect = Int32Array.from(selectRows, (i) => y[i]);
  const gSelect = Int32Array.from(selectRows, (i) => groups[i]);
  const evaluateOnSelection = (w: Float64Array, b: Float64Array) =>
    evaluateLogits(logitsOf(w, b, xSelect, selectRows.length, d, k), ySelect, gSelect, input.numGroups, k);
  const tuning: { C: number; worstGroupAcc: number }[] = [];
  let C = input.C;
  let selection: Evaluation | undefined;
  if (C === undefined) {
    let best: { C: number; ev: Evaluation } | undefined;
    let warm: { w: Float64Array; b: Float64Array } | undefined;
    for (const c of DFR_C_GRID) {
      const fit = fitOn(fitSubset, c, warm);
      warm = fit;
      const ev = evaluateOnSelection(fit.w, fit.b);
      tuning.push({ C: c, worstGroupAcc: ev.worstGroupAcc });
      // Ties keep the earlier C of the grid (numpy's argmax in the authors' code).
      if (!best || ev.worstGroupAcc > best.ev.worstGroupAcc) best = { C: c, ev };
    }
    C = best!.C;
    selection = best!.ev;
  } else {
    const fit = fitOn(fitSubset, C);
    selection = evaluateOnSelection(fit.w, fit.b);
  }
  // Each refit starts from the previous one (same C, similar data): fewer iterations, same optimum.
  let warm: { w: Float64Array; b: Float64Array } | undefined;
  // The final layer: the mean of fits on group-balanced subsets of the refit rows.
  const refitRows = input.refit === 'half' ? fitRows : Int32Array.from({ length: n }, (_, i) => i);
  const w = new Float64Array(k * d);
  const b = new Float64Array(k);
  let subsetRows = 0;
  for (let r = 0; r < input.retrains; r++) {
    const rows = balanced(refitRows);
    subsetRows = rows.length;
    const fit = fitOn(rows, C, warm);
    warm = fit;
    for (let j = 0; j < w.length; j++) w[j] += fit.w[j] / input.retrains;
    for (let c = 0; c < k; c++) b[c] += fit.b[c] / input.retrains;
  }
  // Fold the standardisation into the layer: w·(x − μ)/σ + b = (w/σ)·x + (b − Σ w μ/σ).
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) {
      w[c * d + j] /= scaler.std[j];
      b[c] -= w[c * d + j] * scaler.mean[j];
    }
  }
  return { w, b, record: { C, tuning, selection, retrains: input.retrains, subsetRows, refit: input.refit } };
}

/** The registry's DFR: ERM with the run's settings (checkpointed like ERM), then the refit. */
export async function runDfr(ctx: RunContext): Promise<TrainResult> {
  const ds = ctx.dataset;
  requireValAttributes(ds, 'DFR');
  const settings = ctx.settings;
  // Stage 1 is ERM; its curve is not DFR's (only its final point is kept, as DFR's `base`).
  const base = await trainLoop(ds, { ...settings, evalEvery: 0, keepBest: undefined, onEval: undefined });
  const clf = base.classifier;
  try {
    const last = base.curve[base.curve.length - 1];
    const d = penultimateDim(clf);
    const valFeatures = await penultimateFeatures(clf, ds.val.x, ds.val.y.length, settings);
    const cValue = ctx.hparams.C ?? 'tune';
    const { w, b, record } = dfrLastLayer({
      features: valFeatures,
      y: ds.val.y,
      groups: groupsOf(ds.val, ds.numAttributes),
      numGroups: numGroups(ds),
      d,
      k: ds.numClasses,
      scaler: await trainingScaler(clf, ds, d, settings),
      C: cValue === 'tune' ? undefined : hparamNumber(ctx, 'C'),
      retrains: hparamNumber(ctx, 'retrains'),
      refit: ctx.hparams.refit === 'half' ? 'half' : 'full',
      intercept: clf.model.toJSON().bias,
      rng: Rng.derive(settings.seed, 'dfr'),
    });
    return await refittedResult(clf, ds, settings, last, { w, b }, { dfr: { ...record, base: { val: last.val, test: last.test } } });
  } catch (error) {
    await clf.dispose();
    throw error;
  }
}
