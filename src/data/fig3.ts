// The paper's Figure 3 problem ("good, bad and ugly memorization"): 1-D regression of
// f(x) = tanh(x) + 0.5·tanh(−5x) on [−1.5, 1.5] from 20 noisy points, each carrying extra
// example-specific coordinates of scale σ through which a network can memorize its label noise.
import { Rng } from '../util/random.js';

export interface Figure3Options {
  seed: number;
  /** Scale of the example-specific coordinates (the paper: 1e-4 good, 1e-3 bad, 0 ugly). */
  sigma: number;
  /** Training points (default 20). */
  n?: number;
  /** Example-specific coordinates per point (default 30). */
  extraDims?: number;
  /** Points on the plotting grid over [−1.5, 1.5] (default 1000). */
  gridSize?: number;
  /** Standard deviation of the label noise (default 0.08). */
  labelNoise?: number;
}

/** Regression data: float targets, so not a classification `Dataset`. */
export interface Figure3Data {
  /** Training inputs, n × dim row-major: [x*, ε_1..ε_extraDims]. */
  x: Float32Array;
  /** Training targets f(x*) + N(0, labelNoise²), n values. */
  y: Float32Array;
  n: number;
  /** 1 + extraDims. */
  dim: number;
  /**
   * Grid inputs, gridSize × dim: the core coordinate on the grid, zeros elsewhere, except that the rows
   * of the training points carry those points' extra coordinates (as in the official code, which writes
   * the noise into the grid before taking the training rows). Feed it to a model to draw its prediction.
   */
  xGrid: Float32Array;
  /** The grid's core coordinate alone (gridSize values, for the plot's x axis). */
  xGridCore: Float32Array;
  /** The true function on the grid (gridSize values, noise-free). */
  yGrid: Float32Array;
  /** Row of the grid each training point sits on. */
  trainIndices: Int32Array;
}

export function figure3TrueFunction(x: number): number {
  return Math.tanh(x) + 0.5 * Math.tanh(-5 * x);
}

/** numpy.linspace(0, gridSize − 1, n).astype(int): k·step truncated, the last index exactly gridSize − 1. */
export function figure3TrainIndices(gridSize: number, n: number): Int32Array {
  const idx = new Int32Array(n);
  if (n === 1) return idx;
  const step = (gridSize - 1) / (n - 1);
  for (let k = 0; k < n; k++) idx[k] = Math.trunc(k * step);
  idx[n - 1] = gridSize - 1;
  return idx;
}

export function makeFigure3(options: Figure3Options): Figure3Data {
  const n = options.n ?? 20;
  const extraDims = options.extraDims ?? 30;
  const gridSize = options.gridSize ?? 1000;
  const labelNoise = options.labelNoise ?? 0.08;
  const { seed, sigma } = options;
  if (!Number.isFinite(seed)) throw new Error(`fig3: seed must be a finite number, got ${seed}`);
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw new Error(`fig3: sigma must be a finite number ≥ 0, got ${sigma}`);
  if (!(Number.isFinite(labelNoise) && labelNoise >= 0)) throw new Error(`fig3: labelNoise must be ≥ 0, got ${labelNoise}`);
  if (!(Number.isInteger(gridSize) && gridSize >= 2)) throw new Error(`fig3: gridSize must be an integer ≥ 2, got ${gridSize}`);
  if (!(Number.isInteger(n) && n >= 1 && n <= gridSize)) throw new Error(`fig3: n must be an integer in 1..gridSize (${gridSize}), got ${n}`);
  if (!(Number.isInteger(extraDims) && extraDims >= 0)) throw new Error(`fig3: extraDims must be an integer ≥ 0, got ${extraDims}`);

  const dim = 1 + extraDims;
  const lo = -1.5;
  const hi = 1.5;
  const xGridCore = new Float32Array(gridSize);
  const yGrid = new Float32Array(gridSize);
  const xGrid = new Float32Array(gridSize * dim);
  const step = (hi - lo) / (gridSize - 1);
  for (let g = 0; g < gridSize; g++) {
    const v = g === gridSize - 1 ? hi : lo + g * step;
    xGridCore[g] = v;
    yGrid[g] = figure3TrueFunction(Math.fround(v));
    xGrid[g * dim] = v;
  }

  const trainIndices = figure3TrainIndices(gridSize, n);
  const featureRng = Rng.derive(seed, 'fig3/features');
  const labelRng = Rng.derive(seed, 'fig3/labels');
  const x = new Float32Array(n * dim);
  const y = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const g = trainIndices[k];
    for (let j = 1; j < dim; j++) {
      if (sigma > 0) xGrid[g * dim + j] = sigma * featureRng.normal();
    }
    x.set(xGrid.subarray(g * dim, (g + 1) * dim), k * dim);
  }
  for (let k = 0; k < n; k++) y[k] = yGrid[trainIndices[k]] + labelNoise * labelRng.normal();
  return { x, y, n, dim, xGrid, xGridCore, yGrid, trainIndices };
}
