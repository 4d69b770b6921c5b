// Memorization scores of a method's own training (design.md 2.5; the paper's Figure 2), by K-fold.
// The training set is cut into K folds; the method trains once on every fold (the held-in model) and
// once on each K − 1 folds (whose model has not seen the remaining fold). For example i,
//   score_i = p_all(y_i | x_i) − p_{−fold(i)}(y_i | x_i),
// an estimate of Feldman's memorization Pr[h(x_i) = y_i | h trained with i] − Pr[h(x_i) = y_i | h trained
// without i], with probabilities in place of 0/1 correctness and a fold (1/K of the data) left out
// in place of the single example. Every model starts from the same initialisation (the seed), so the
// difference comes from the data. The model scored is the one the method would deliver: by default
// stopped at the trained step with the best validation worst-group accuracy (the paper's early
// stopping, chosen on the model that sees every fold; the K other models train for as many steps),
// or the last step (`stop: 'final'`). Methods that need held-out predictions (MAT) get them once per seed,
// from the preset's held-out stage on the whole training set; each model uses the rows it trains on.
import { getAlgorithm, ALGORITHMS, checkRunRequest, runAlgorithm } from '../algorithms/registry.js';
import { groupsOf, numGroups, takeRows, type Dataset } from '../data/dataset.js';
import { selectStep } from '../eval/selection.js';
import { labelProbabilities, scoresByGroup, MEMORIZATION_QUANTILES } from '../eval/memorization.js';
import { isHeldOutSource } from '../heldout/registry.js';
import type { HeldOutResult } from '../heldout/types.js';
import { Rng } from '../util/random.js';
import { InputError } from '../util/errors.js';
import { heldOutFor, type MethodOptions } from './method.js';
import type { Preset } from './presets.js';

export type MemorizationStop = 'va_wga' | 'final';

/** A method's options (held-out predictions are computed from the preset when absent), plus the folds. */
export interface MemorizationOptions extends Pick<MethodOptions, 'hparams' | 'heldOut' | 'execution' | 'cacheDir' | 'onStep'> {
  /** Folds K ≥ 2 (default 5). */
  folds?: number;
  seed: number;
  /** Which step's model is scored: the one selected by va_wga (default) or the last. */
  stop?: MemorizationStop;
}

/** Scores of one method and seed, one entry per training example. */
export interface MemorizationRun {
  method: string;
  seed: number;
  folds: number;
  /** Training steps of every model (the selected step with stop 'va_wga'). */
  steps: number;
  /** p(y_i | x_i) from the model trained on every fold. */
  heldIn: Float64Array;
  /** p(y_i | x_i) from the model trained without example i's fold. */
  heldOut: Float64Array;
  /** heldIn − heldOut. */
  scores: Float64Array;
  /** The fold each example was left out of. */
  foldOf: Int32Array;
  /** Each example's group y·A + a. */
  groups: Int32Array;
}

/** Refuse what cannot give scores, before any training: one fold, a held-out source, an unknown name. */
export function checkMemorizationRequest(method: string, folds: number): void {
  if (isHeldOutSource(method)) {
    throw new InputError(`memorization: "${method}" is a held-out source, with no training of its own to score; give methods that train a classifier (${ALGORITHMS.map((a) => a.name).join(', ')})`);
  }
  getAlgorithm(method);
  if (!(Number.isInteger(folds) && folds >= 2)) {
    throw new InputError(`memorization: --folds must be an integer ≥ 2 (each example must be left out of some model), got ${folds}`);
  }
}

/** The fold of each of n examples: a seeded permutation dealt round-robin, so fold sizes differ by at most one. */
export function assignFolds(n: number, folds: number, seed: number): Int32Array {
  const foldOf = new Int32Array(n);
  Rng.derive(seed, 'memorization/folds').permutation(n).forEach((row, j) => { foldOf[row] = j % folds; });
  return foldOf;
}

/** The held-out predictions of some training rows, for a model trained on those rows only. */
export function heldOutRows(ho: HeldOutResult, rows: Int32Array): HeldOutResult {
  const k = ho.numClasses;
  const pick = (logits: Float32Array) => {
    const out = new Float32Array(rows.length * k);
    rows.forEach((row, r) => out.set(logits.subarray(row * k, (row + 1) * k), r * k));
    return out;
  };
  return { ...ho, heldOutLogits: pick(ho.heldOutLogits), heldInLogits: pick(ho.heldInLogits), trainInferredGroups: Int32Array.from(rows, (row) => ho.trainInferredGroups[row]) };
}

export async function methodMemorization(ds: Dataset, preset: Preset, method: string, opts: MemorizationOptions): Promise<MemorizationRun> {
  const folds = opts.folds ?? 5;
  checkMemorizationRequest(method, folds);
  const algorithm = getAlgorithm(method);
  const hparams = checkRunRequest(algorithm, ds, opts.hparams);
  const n = ds.train.y.length;
  if (folds > n) throw new InputError(`memorization: --folds ${folds} is more than the ${n} training examples`);
  const k = ds.numClasses;
  const heldOut = algorithm.needsHeldOut ? (opts.heldOut ?? await heldOutFor(ds, preset, opts.seed, { execution: opts.execution, cacheDir: opts.cacheDir })) : undefined;
  const foldOf = assignFolds(n, folds, opts.seed);
  const stop = opts.stop ?? 'va_wga';
  const all = Int32Array.from({ length: n }, (_, i) => i);

  // Train on `trainRows` for `steps`; p(y | x) on `predictRows` (with `select`: also the curve).
  const fitAndPredict = async (trainRows: Int32Array, predictRows: Int32Array, steps: number, label: string, select = false) => {
    const sub: Dataset = { ...ds, train: takeRows(ds.train, trainRows, ds.dim) };
    const result = await runAlgorithm(algorithm, {
      dataset: sub,
      hparams,
      heldOut: heldOut && heldOutRows(heldOut, trainRows),
      settings: {
        ...preset.train, steps, evalEvery: select ? preset.train.evalEvery : 0, evalTrain: false,
        seed: opts.seed, execution: opts.execution, onStep: (t) => opts.onStep?.(t, steps, `${method} ${label}`),
      },
    });
    try {
      const target = takeRows(ds.train, predictRows, ds.dim);
      const logits = await result.classifier.predictor.run(target.x, predictRows.length);
      return { probs: labelProbabilities(logits, target.y, k), curve: result.curve };
    } finally {
      await result.classifier.dispose();
    }
  };

  let full = await fitAndPredict(all, all, preset.train.steps, 'on every fold', stop === 'va_wga');
  let steps = preset.train.steps;
  if (stop === 'va_wga') {
    // Among the trained steps (an untrained network is not the method's model), as selectStep: ties go later.
    steps = selectStep(full.curve.filter((p) => p.step > 0), 'va_wga').step;
    if (steps !== preset.train.steps) full = await fitAndPredict(all, all, steps, `on every fold, ${steps} steps`);
  }
  const heldOutProb = new Float64Array(n);
  for (let f = 0; f < folds; f++) {
    const trainRows = all.filter((i) => foldOf[i] !== f);
    const leftOut = all.filter((i) => foldOf[i] === f);
    const { probs } = await fitAndPredict(trainRows, leftOut, steps, `without fold ${f + 1}/${folds}`);
    leftOut.forEach((row, r) => { heldOutProb[row] = probs[r]; });
  }
  const heldIn = full.probs;
  return { method: algorithm.name, seed: opts.seed, folds, steps, heldIn, heldOut: heldOutProb, scores: heldIn.map((p, i) => p - heldOutProb[i]), foldOf, groups: groupsOf(ds.train, ds.numAttributes) };
}

/** One group's scores pooled over seeds, in the shape `mat memorization --json` prints. */
export interface GroupMemorization {
  group: number;
  y: number;
  a: number;
  /** Training examples in the group (per seed). */
  n: number;
  /** The group is smaller than the largest group of its class. */
  minority: boolean;
  mean: number | null;
  quantiles: Record<string, number | null>;
  /** The group's mean score at each seed, in seed order. */
  seedMeans: (number | null)[];
}

/** Per-group means and quantiles of a method's runs (one per seed; each on its own training set). */
export function summarizeMemorization(ds: Pick<Dataset, 'numClasses' | 'numAttributes'>, runs: readonly MemorizationRun[]): GroupMemorization[] {
  const A = ds.numAttributes;
  const G = numGroups(ds);
  const total = runs.reduce((s, r) => s + r.scores.length, 0);
  const pooled = new Float64Array(total);
  const pooledGroups = new Int32Array(total);
  let offset = 0;
  for (const run of runs) {
    pooled.set(run.scores, offset);
    pooledGroups.set(run.groups, offset);
    offset += run.scores.length;
  }
  const summary = scoresByGroup(pooled, pooledGroups, G);
  const perSeed = runs.map((run) => scoresByGroup(run.scores, run.groups, G));
  const counts = summary.map((s) => s.count / Math.max(1, runs.length));
  return summary.map((s, g) => {
    const y = Math.floor(g / A);
    const largestInClass = Math.max(...counts.slice(y * A, (y + 1) * A));
    return {
      group: g,
      y,
      a: g % A,
      n: counts[g],
      minority: counts[g] > 0 && counts[g] < largestInClass,
      mean: s.mean,
      quantiles: Object.fromEntries(MEMORIZATION_QUANTILES.map((q, i) => [String(q), s.quantiles[i]])),
      seedMeans: perSeed.map((p) => p[g].mean),
    };
  }).filter((g) => g.n > 0);
}

/** Mean score over the examples of minority (or majority) groups, of one run. */
export function minorityMajorityMeans(run: MemorizationRun, groups: readonly GroupMemorization[]): { minority: number; majority: number } {
  const minorityGroups = new Set(groups.filter((g) => g.minority).map((g) => g.group));
  let sMin = 0, nMin = 0, sMaj = 0, nMaj = 0;
  run.scores.forEach((v, i) => {
    if (minorityGroups.has(run.groups[i])) { sMin += v; nMin++; } else { sMaj += v; nMaj++; }
  });
  return { minority: nMin ? sMin / nMin : NaN, majority: nMaj ? sMaj / nMaj : NaN };
}
