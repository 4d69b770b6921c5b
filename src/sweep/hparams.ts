// The random-search registry of design.md 2.4: the training hyperparameters of a model family
// (learning rate, batch size, weight decay) plus each algorithm's own (from the algorithm registry).
//
// Every draw is seeded by (combination, hyperparameter name) alone, as DomainBed does: adding a
// hyperparameter to a space does not change the draws of the others, and combination c gets the same
// learning rate under every algorithm (paired comparisons). Combination 0 is the defaults: the
// dataset preset's values and the algorithms' defaults.
import { getAlgorithm, type HParamSpec, type HParamValue } from '../algorithms/registry.js';
import type { ModelFamily } from '../experiments/presets.js';
import { isHeldOutSource } from '../heldout/registry.js';
import type { OptimizerConfig } from '../nn/optimizers.js';
import { hashSeed, Rng } from '../util/random.js';

export type HParams = Record<string, HParamValue>;
export type HParamSpace = Record<string, HParamSpec>;

export type { ModelFamily };

/** The preset values that combination 0 uses. */
export interface TrainingDefaults {
  lr: number;
  batchSize: number | 'full';
  optimizer: OptimizerConfig;
}

const logUniform = (lo: number, hi: number) => (rng: Rng) => 10 ** rng.uniformIn(lo, hi);
const powerOfTwoInt = (lo: number, hi: number) => (rng: Rng) => Math.floor(2 ** rng.uniformIn(lo, hi));

/** Names of the training hyperparameters (the ones the loop's settings take, not the algorithm's). */
export const TRAINING_HPARAMS = ['lr', 'batch_size', 'weight_decay'] as const;

/**
 * Linear/feature heads: lr = 10^U(−5,−3), batch = int(2^U(5,7)), weight decay = 10^U(−6,−3).
 * ColorMNIST MLP (Adam): lr = 10^U(−5,−3), batch = int(2^U(3,6)); no weight decay in the search.
 */
export function trainingSpace(family: ModelFamily, defaults: TrainingDefaults): HParamSpace {
  const space: HParamSpace = {
    lr: { default: defaults.lr, sample: logUniform(-5, -3), description: 'learning rate, 10^U(−5, −3)' },
    batch_size: family === 'mlp'
      ? { default: defaults.batchSize, sample: powerOfTwoInt(3, 6), description: 'batch size, int(2^U(3, 6))' }
      : { default: defaults.batchSize, sample: powerOfTwoInt(5, 7), description: 'batch size, int(2^U(5, 7))' },
  };
  if (family === 'linear') {
    space.weight_decay = { default: defaults.optimizer.weightDecay ?? 0, sample: logUniform(-6, -3), description: 'weight decay, 10^U(−6, −3)' };
  }
  return space;
}

/** The whole space of one algorithm (a held-out source, such as the XRM twins: training hyperparameters only). */
export function searchSpace(algorithm: string, family: ModelFamily, defaults: TrainingDefaults): HParamSpace {
  const space = trainingSpace(family, defaults);
  if (isHeldOutSource(algorithm)) return space;
  for (const [name, spec] of Object.entries(getAlgorithm(algorithm).hparams)) {
    if (name in space) throw new Error(`algorithm ${algorithm}: hyperparameter "${name}" clashes with a training hyperparameter`);
    space[name] = spec;
  }
  return space;
}

/** The generator of one draw: seeded by the combination and the hyperparameter's name only. */
export function hparamRng(combo: number, name: string): Rng {
  return Rng.derive(hashSeed(combo, 'hparam-search'), name);
}

/** Combination `combo` of a space: 0 → every default; otherwise one seeded draw per hyperparameter. */
export function drawHParams(space: HParamSpace, combo: number): HParams {
  if (!(Number.isInteger(combo) && combo >= 0)) throw new Error(`combination must be an integer ≥ 0, got ${combo}`);
  const out: HParams = {};
  for (const name of Object.keys(space).sort()) {
    out[name] = combo === 0 ? space[name].default : space[name].sample(hparamRng(combo, name));
  }
  return out;
}

/** Training settings with a combination's lr, batch size and weight decay applied (a copy). */
export function applyTrainingHParams<T extends TrainingDefaults>(settings: T, hp: HParams): T {
  const out: T = { ...settings, optimizer: { ...settings.optimizer } };
  if (hp.lr !== undefined) out.lr = Number(hp.lr);
  if (hp.batch_size !== undefined) out.batchSize = hp.batch_size === 'full' ? 'full' : Number(hp.batch_size);
  if (hp.weight_decay !== undefined) out.optimizer.weightDecay = Number(hp.weight_decay);
  return out;
}

/** The algorithm's own hyperparameters out of a combination (what the registry's `run` takes). */
export function algorithmHParams(hp: HParams): HParams {
  const out: HParams = {};
  for (const [name, value] of Object.entries(hp)) {
    if (!(TRAINING_HPARAMS as readonly string[]).includes(name)) out[name] = value;
  }
  return out;
}
