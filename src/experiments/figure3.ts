// The paper's Figure 3 experiment: an MLP 31-300-300-1 (tanh) fitted to the 20 noisy points of the
// Figure 3 regression by full-batch Adam (lr 1e-3) on the mean squared error until it is below 1e-6,
// then evaluated on the plotting grid (whose training rows carry the points' extra coordinates).
import { makeFigure3, type Figure3Data } from '../data/fig3.js';
import type { ExecutionOptions } from '../engine/index.js';
import { compileClassifier } from '../nn/classifier.js';
import { mlp } from '../nn/models.js';
import { Rng } from '../util/random.js';

export interface Figure3FitOptions {
  seed: number;
  sigma: number;
  /** Stop once the training MSE is below this (default 1e-6). */
  tolerance?: number;
  /** Give up after this many steps (default 20,000). */
  maxSteps?: number;
  execution?: ExecutionOptions;
}

export interface Figure3FitResult {
  data: Figure3Data;
  /** The network's output on the grid. */
  prediction: Float32Array;
  steps: number;
  finalLoss: number;
}

export async function fitFigure3(opts: Figure3FitOptions): Promise<Figure3FitResult> {
  const data = makeFigure3({ seed: opts.seed, sigma: opts.sigma });
  const tolerance = opts.tolerance ?? 1e-6;
  const maxSteps = opts.maxSteps ?? 20000;
  const model = mlp([data.dim, 300, 300, 1], { activation: 'tanh' });
  const compiled = await compileClassifier(model, {
    loss: 'mse',
    optimizer: { kind: 'adam' },
    initialParams: model.init(Rng.derive(opts.seed, 'fig3/init')),
    fullBatch: { x: data.x, targets: data.y, n: data.n },
    execution: opts.execution,
  });
  try {
    let loss = Infinity;
    let steps = 0;
    while (steps < maxSteps && !(loss < tolerance)) {
      loss = (await compiled.step.run({}, { lr: 1e-3 })).loss;
      steps++;
    }
    const prediction = await compiled.predictor.run(data.xGrid, data.xGridCore.length);
    return { data, prediction, steps, finalLoss: loss };
  } finally {
    await compiled.dispose();
  }
}
