// One registry of algorithms over the one training loop (design.md 2.3). Each entry says what it
// needs (held-out predictions, training attributes), its hyperparameters, and how it sets the
// loop's hooks.
import { groupBalancedSubset, groupBalancedWeights, groupsOf, numGroups, type Dataset } from '../data/dataset.js';
import { predictionsFromLogits } from '../eval/metrics.js';
import type { HeldOutResult } from '../heldout/types.js';
import { epochSampler } from '../train/batches.js';
import { trainLoop, type TrainResult } from '../train/loop.js';
import { Rng } from '../util/random.js';
import { InputError } from '../util/errors.js';
import { hparamNumber, type HParamValue, type RunContext } from './context.js';
import { attributeShift, calibrationTable, heldOutProbabilities, matShift, shiftRows } from './shift.js';
import { runAfr } from './afr.js';
import { requireValAttributes, runDfr } from './dfr.js';

export type { HParamValue, RunContext } from './context.js';

export interface HParamSpec {
  default: HParamValue;
  /** A random draw for hyperparameter search. */
  sample(rng: Rng): HParamValue;
  description: string;
}

export interface Algorithm {
  name: string;
  summary: string;
  needsHeldOut: boolean;
  needsTrainAttributes: boolean;
  /**
   * Whether its whole training state is the TrainState the loop checkpoints (parameters, optimizer
   * state, step, GroupDRO's group weights), so that a resumed run ends exactly where an
   * uninterrupted one would. Others restart from step 0 when interrupted.
   */
  resumable: boolean;
  hparams: Record<string, HParamSpec>;
  /** Values a hyperparameter must satisfy: checked before any training (and before XRM). */
  valid?: Record<string, (v: HParamValue) => boolean>;
  /**
   * Fits on validation group labels (DFR): its validation accuracy is not a held-out estimate, so
   * reports list it apart instead of selecting it by validation criteria.
   */
  usesValidationGroups?: boolean;
  /** What the data must hold beyond training attributes (DFR: validation attributes); throws InputError. */
  checkData?(ds: Dataset): void;
  run(ctx: RunContext): Promise<TrainResult>;
}

const logUniform = (lo: number, hi: number) => (rng: Rng) => 10 ** rng.uniformIn(lo, hi);
const choice = <T extends HParamValue>(values: readonly T[]) => (rng: Rng) => values[rng.int(values.length)];

function requireHeldOut(ctx: RunContext, algorithm: string): HeldOutResult {
  if (!ctx.heldOut) throw new InputError(`${algorithm} needs held-out predictions (run XRM or K-fold first)`);
  if (ctx.heldOut.heldOutLogits.length !== ctx.dataset.train.y.length * ctx.dataset.numClasses) {
    throw new InputError(`${algorithm}: held-out logits have ${ctx.heldOut.heldOutLogits.length} values, expected ${ctx.dataset.train.y.length} × ${ctx.dataset.numClasses}`);
  }
  return ctx.heldOut;
}

function requireAttributes(ds: Dataset, algorithm: string): Int32Array {
  if (!ds.train.a) throw new InputError(`${algorithm} needs the training attribute (group labels), which this dataset does not have (give --attr for a data file)`);
  return ds.train.a;
}

const tau: HParamSpec = { default: 0.1, sample: choice([0.001, 0.01, 0.1]), description: 'MAT temperature τ' };
const positive = (v: HParamValue) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const eta: HParamSpec = { default: 0.01, sample: logUniform(-3, -1), description: 'GroupDRO step size η' };

export const ALGORITHMS: Algorithm[] = [
  {
    name: 'erm',
    summary: 'Empirical risk minimisation: plain cross-entropy.',
    needsHeldOut: false,
    needsTrainAttributes: false,
    resumable: true,
    hparams: {},
    run: (ctx) => trainLoop(ctx.dataset, ctx.settings),
  },
  {
    name: 'mat',
    summary: 'Memorization-Aware Training: cross-entropy on logits shifted by log p_ho(y|x) from held-out predictions, calibrated; no shift at test time.',
    needsHeldOut: true,
    needsTrainAttributes: false,
    resumable: true,
    hparams: {
      tau,
      calibration: { default: 'full', sample: () => 'full', description: "'full' (Algorithm 1: calibrate over the training set) or 'batch' (per minibatch, as the official code)" },
    },
    valid: { tau: positive, calibration: (v) => v === 'full' || v === 'batch' },
    run(ctx) {
      const ho = requireHeldOut(ctx, 'MAT');
      const { y } = ctx.dataset.train;
      const k = ctx.dataset.numClasses;
      const t = hparamNumber(ctx, 'tau');
      const calibration = String(ctx.hparams.calibration ?? 'full');
      if (calibration === 'full') return trainLoop(ctx.dataset, ctx.settings, { shift: matShift(ho.heldOutLogits, y, k, t) });
      if (calibration !== 'batch') throw new InputError(`MAT calibration must be 'full' or 'batch', got '${calibration}'`);
      const q = heldOutProbabilities(ho.heldOutLogits, y.length, k, t);
      return trainLoop(ctx.dataset, ctx.settings, {
        batchShift: (rows, out) => shiftRows(q, calibrationTable(q, y, k, rows), k, rows, out),
      });
    },
  },
  {
    name: 'groupdro',
    summary: 'GroupDRO with the true training groups (oracle): minimise the worst group loss by exponentiated-gradient group weights.',
    needsHeldOut: false,
    needsTrainAttributes: true,
    resumable: true,
    hparams: { eta },
    valid: { eta: positive },
    run(ctx) {
      requireAttributes(ctx.dataset, 'GroupDRO');
      const ds = ctx.dataset;
      return trainLoop(ds, ctx.settings, {
        loss: 'groupdro',
        groupDro: { groups: groupsOf(ds.train, ds.numAttributes), numGroups: numGroups(ds), eta: hparamNumber(ctx, 'eta') },
      });
    },
  },
  {
    name: 'xrm+groupdro',
    summary: 'GroupDRO on groups inferred by XRM (class × held-out mistake): no group labels needed.',
    needsHeldOut: true,
    needsTrainAttributes: false,
    resumable: true,
    hparams: { eta },
    valid: { eta: positive },
    run(ctx) {
      const ho = requireHeldOut(ctx, 'XRM+GroupDRO');
      return trainLoop(ctx.dataset, ctx.settings, {
        loss: 'groupdro',
        groupDro: { groups: ho.trainInferredGroups, numGroups: 2 * ctx.dataset.numClasses, eta: hparamNumber(ctx, 'eta') },
      });
    },
  },
  {
    name: 'rwg',
    summary: 'Group-balanced reweighting: each true group gets the same total loss weight.',
    needsHeldOut: false,
    needsTrainAttributes: true,
    resumable: true,
    hparams: {},
    run(ctx) {
      requireAttributes(ctx.dataset, 'RWG');
      const ds = ctx.dataset;
      return trainLoop(ds, ctx.settings, { weights: groupBalancedWeights(groupsOf(ds.train, ds.numAttributes), numGroups(ds)) });
    },
  },
  {
    name: 'subg',
    summary: 'Group-balanced subsampling: train on a subset with every true group cut to the smallest group size.',
    needsHeldOut: false,
    needsTrainAttributes: true,
    resumable: true,
    hparams: {},
    run(ctx) {
      requireAttributes(ctx.dataset, 'SUBG');
      const ds = ctx.dataset;
      const rows = groupBalancedSubset(groupsOf(ds.train, ds.numAttributes), numGroups(ds), Rng.derive(ctx.settings.seed, 'subg'));
      const batch = ctx.settings.batchSize === 'full' ? rows.length : ctx.settings.batchSize;
      return trainLoop(ds, ctx.settings, { sampler: (rng) => epochSampler(rows.length, batch, rng, { rows }) });
    },
  },
  {
    name: 'jtt',
    summary: 'Just Train Twice: train ERM briefly, then retrain with its training errors up-weighted by λ.',
    needsHeldOut: false,
    needsTrainAttributes: false,
    // Its first stage is not checkpointed.
    resumable: false,
    hparams: {
      lambda: { default: 20, sample: choice([5, 10, 20, 50, 100]), description: 'up-weight λ of the first model’s errors' },
      firstStageFraction: { default: 0.25, sample: choice([0.1, 0.25, 0.5]), description: 'length of the first ERM stage, as a fraction of the steps' },
    },
    async run(ctx) {
      const ds = ctx.dataset;
      const n = ds.train.y.length;
      const k = ds.numClasses;
      const firstSteps = Math.max(1, Math.round(hparamNumber(ctx, 'firstStageFraction') * ctx.settings.steps));
      const first = await trainLoop(ds, { ...ctx.settings, steps: firstSteps, evalEvery: 0, onEval: undefined, onCheckpoint: undefined, resume: undefined });
      const pred = predictionsFromLogits(await first.classifier.predictor.run(ds.train.x, n), n, k);
      await first.classifier.dispose();
      const lambda = hparamNumber(ctx, 'lambda');
      const weights = Float32Array.from(pred, (p, i) => (p !== ds.train.y[i] ? lambda : 1));
      return trainLoop(ds, ctx.settings, { weights });
    },
  },
  {
    name: 'la',
    summary: 'Oracle logit adjustment: MAT’s machinery with the known attribute, shift = log p(y | a).',
    needsHeldOut: false,
    needsTrainAttributes: true,
    resumable: true,
    hparams: {},
    run(ctx) {
      const ds = ctx.dataset;
      const a = requireAttributes(ds, 'Logit adjustment');
      return trainLoop(ds, ctx.settings, { shift: attributeShift(ds.train.y, a, ds.numClasses, ds.numAttributes) });
    },
  },
  {
    name: 'dfr',
    summary: 'Deep Feature Reweighting: ERM, then its last layer refitted (ℓ1 logistic regression on standardised features) on group-balanced subsets of the validation set.',
    needsHeldOut: false,
    needsTrainAttributes: false,
    usesValidationGroups: true,
    // Stage 1 is ERM and checkpointed; the refit is deterministic given its result and the seed.
    resumable: true,
    hparams: {
      C: { default: 'tune', sample: () => 'tune', description: "inverse ℓ1 strength: 'tune' (chosen on half of the validation set from 1, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01) or a positive number" },
      retrains: { default: 20, sample: () => 20, description: 'group-balanced subsets whose fits are averaged (a positive integer)' },
      refit: { default: 'full', sample: () => 'full', description: "'full' (the final fits use the whole validation set, as the paper) or 'half' (only the fitting half)" },
    },
    valid: {
      C: (v) => v === 'tune' || positive(v),
      retrains: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1,
      refit: (v) => v === 'full' || v === 'half',
    },
    checkData: (ds) => void requireValAttributes(ds, 'DFR'),
    run: runDfr,
  },
  {
    name: 'afr',
    summary: 'Automatic Feature Reweighting: ERM on part of the training set, then its last layer retrained on the rest with weights exp(−γ·p(y|x)) and an ℓ2 pull towards the first layer.',
    needsHeldOut: false,
    needsTrainAttributes: false,
    resumable: true,
    hparams: {
      // Defaults for standardised heads (rows of squared norm ~2048, as z-scored ResNet-50 features):
      // the best of a small grid on the built-in embeddings, ColorMNIST and the tests' pixel,
      // bag-of-words and Gaussian sets (README, "The last-layer baselines").
      gamma: { default: 20, sample: choice([2, 4, 6, 8, 10, 14, 20]), description: 'AFR weight sharpness γ (> 0)' },
      lambda: { default: 0.3, sample: choice([0, 0.01, 0.1, 1, 3, 10, 30, 100]), description: 'ℓ2 pull λ towards the first-stage last layer (≥ 0)' },
      firstStageFraction: { default: 0.8, sample: () => 0.8, description: 'fraction of the training rows for the first (ERM) stage, in (0, 1)' },
    },
    valid: {
      gamma: positive,
      lambda: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
      firstStageFraction: (v) => typeof v === 'number' && v > 0 && v < 1,
    },
    run: runAfr,
  },
];

export function getAlgorithm(name: string): Algorithm {
  const found = ALGORITHMS.find((a) => a.name === name.toLowerCase());
  if (!found) throw new InputError(`unknown algorithm "${name}"; known: ${ALGORITHMS.map((a) => a.name).join(', ')}`);
  return found;
}

/** The defaults of an algorithm's hyperparameters, overridden by `given`. */
export function resolveHParams(algorithm: Algorithm, given: Record<string, HParamValue> = {}): Record<string, HParamValue> {
  for (const key of Object.keys(given)) {
    if (!(key in algorithm.hparams)) {
      throw new InputError(`${algorithm.name} has no hyperparameter "${key}"; it has: ${Object.keys(algorithm.hparams).join(', ') || 'none'}`);
    }
  }
  const out: Record<string, HParamValue> = {};
  for (const [key, spec] of Object.entries(algorithm.hparams)) {
    out[key] = given[key] ?? spec.default;
    const ok = algorithm.valid?.[key];
    if (ok && !ok(out[key])) throw new InputError(`algorithm ${algorithm.name}: hyperparameter ${key} = ${out[key]} is not valid (${spec.description})`);
  }
  return out;
}

/** Everything about a run request that can be checked before training starts. */
export function checkRunRequest(algorithm: Algorithm, ds: Dataset, hparams: Record<string, HParamValue> = {}): Record<string, HParamValue> {
  const resolved = resolveHParams(algorithm, hparams);
  if (algorithm.needsTrainAttributes) requireAttributes(ds, algorithm.name);
  algorithm.checkData?.(ds);
  return resolved;
}

/** Run an algorithm with its hyperparameters resolved against its defaults. */
export function runAlgorithm(algorithm: Algorithm, ctx: RunContext): Promise<TrainResult> {
  return algorithm.run({ ...ctx, hparams: resolveHParams(algorithm, ctx.hparams) });
}
