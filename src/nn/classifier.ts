// A model compiled for training as a classifier (or regressor), and its predictor.
import { Graph, type Value } from '../engine/graph.js';
import type { ExecutionOptions } from '../engine/execution.js';
import { Predictor } from '../engine/predictor.js';
import { TrainStep } from '../engine/trainStep.js';
import type { ort } from '../engine/session.js';
import { classBalancedMean, meanSquaredError, perExampleCrossEntropy, weightedMean } from './losses.js';
import type { Model } from './models.js';
import { makeOptimizer, type OptimizerConfig } from './optimizers.js';

export type LossKind = 'ce' | 'balanced_ce' | 'mse' | 'groupdro';

export interface ClassifierOptions {
  loss?: LossKind;
  optimizer: OptimizerConfig;
  initialParams: readonly Float32Array[];
  /** Feed a per-example additive shift on the logits (B × K), e.g. MAT's log p_ho. */
  shift?: boolean;
  /** Feed per-example loss weights (B). */
  weights?: boolean;
  /** Bake a fixed full batch into the graph (x, and y or targets): then run() takes no data. */
  fullBatch?: { x: Float32Array; y?: Int32Array; targets?: Float32Array; n: number };
  /** GroupDRO's group count and step size η (loss 'groupdro'). */
  groupDro?: { numGroups: number; eta: number };
  /** How to run; `threads` are the training session's. */
  execution?: ExecutionOptions;
  /** Threads of the predictor's session (default: the training session's). */
  predictorThreads?: number;
  /** Threads the native optimizer update may use (see TrainStepSpec). */
  updateThreads?: number;
}

/**
 * Input names: x [batch, d] float32; y [batch] int32 (targets [batch, K] for mse);
 * shift [batch, K]; weights [batch]. Outputs: logits, perExampleLoss.
 */
export interface CompiledClassifier {
  model: Model;
  step: TrainStep;
  predictor: Predictor;
  dispose(): Promise<void>;
}

export async function compileClassifier(model: Model, opts: ClassifierOptions): Promise<CompiledClassifier> {
  const lossKind = opts.loss ?? 'ce';
  if (!['ce', 'balanced_ce', 'mse', 'groupdro'].includes(lossKind)) {
    throw new Error(`unknown loss "${lossKind}"; expected ce, balanced_ce, mse or groupdro`);
  }
  const k = model.outputDim;
  const g = new Graph();
  const batch = opts.fullBatch ? opts.fullBatch.n : 'batch';
  const { x, params } = modelInputs(g, model, batch);
  const logits = model.forward(g, x, params, { featureMajor: true });

  const extraOutputs: Record<string, Value> = {};
  const bake = new Map<Value, Float32Array | Int32Array>();
  if (opts.fullBatch) bake.set(x, opts.fullBatch.x);
  let perExample: Value;
  let loss: Value;
  if (lossKind === 'mse') {
    const targets = g.input('targets', 'float32', [batch, k]);
    if (opts.fullBatch?.targets) bake.set(targets, opts.fullBatch.targets);
    const diff = g.sub(logits, targets);
    perExample = g.reduceMean(g.mul(diff, diff), 1);
    loss = meanSquaredError(g, logits, targets);
  } else {
    const y = g.input('y', 'int32', [batch]);
    if (opts.fullBatch?.y) bake.set(y, opts.fullBatch.y);
    const shift = opts.shift ? g.input('shift', 'float32', [batch, k]) : undefined;
    perExample = perExampleCrossEntropy(g, logits, y, shift);
    if (lossKind === 'balanced_ce') {
      if (opts.weights) throw new Error('balanced_ce does not take per-example weights');
      loss = classBalancedMean(g, perExample, g.oneHot(y, k));
    } else if (lossKind === 'groupdro') {
      if (!opts.groupDro) throw new Error('loss groupdro needs groupDro: { numGroups, eta }');
      const dro = groupDroLoss(g, perExample, g.input('groups', 'int32', [batch]), g.input('groupWeights', 'float32', [opts.groupDro.numGroups]), opts.groupDro);
      loss = dro.loss;
      extraOutputs.groupWeightsNext = dro.nextWeights;
    } else {
      loss = weightedMean(g, perExample, opts.weights ? g.input('weights', 'float32', [batch]) : undefined);
    }
  }
  const step = await TrainStep.compile({
    graph: g,
    params,
    initialParams: opts.initialParams,
    loss,
    outputs: { logits, perExampleLoss: perExample, ...extraOutputs },
    update: makeOptimizer(opts.optimizer),
    bake,
    execution: opts.execution,
    updateThreads: opts.updateThreads,
  });
  const predictorExecution = { ...step.execution, threads: opts.predictorThreads ?? step.execution.threads };
  const predictor = await compilePredictor(model, () => step.parameterTensors(), predictorExecution);
  return {
    model,
    step,
    predictor,
    async dispose() {
      await step.dispose();
      await predictor.dispose();
    },
  };
}

/**
 * GroupDRO (Sagawa et al. 2020), one step: group mean losses ℓ_g on the batch, weights
 * q_g ← q_g·exp(η·ℓ_g) normalised, loss Σ_g q_g·ℓ_g with the updated q (no gradient through q).
 * Groups absent from the batch have ℓ_g = 0, as in the reference implementation.
 */
function groupDroLoss(g: Graph, perExample: Value, groups: Value, weights: Value, opts: { numGroups: number; eta: number }) {
  if (!(opts.eta > 0 && Number.isFinite(opts.eta))) throw new Error(`GroupDRO: η must be a positive number, got ${opts.eta}`);
  const onehot = g.oneHot(groups, opts.numGroups);
  const sums = g.reduceSum(g.mul(onehot, g.unsqueeze(perExample, 1)), 0);
  const counts = g.max(g.reduceSum(onehot, 0), g.scalar(1));
  const groupLoss = g.div(sums, counts);
  const raised = g.mul(weights, g.exp(g.mul(g.scalar(opts.eta), g.stopGradient(groupLoss))));
  const nextWeights = g.div(raised, g.reduceSum(raised, 0));
  return { loss: g.reduceSum(g.mul(g.stopGradient(nextWeights), groupLoss), 0), nextWeights };
}

/** A predictor for `model` whose parameters come from `paramSource` at each call. */
export async function compilePredictor(model: Model, paramSource: () => readonly ort.Tensor[], execution?: ExecutionOptions): Promise<Predictor> {
  const g = new Graph();
  const { x, params } = modelInputs(g, model, 'batch');
  return Predictor.compile({ graph: g, x, params, output: model.forward(g, x, params), execution }, paramSource);
}

/** The graph inputs x [batch, d] and the model's parameters. */
function modelInputs(g: Graph, model: Model, batch: number | string): { x: Value; params: Value[] } {
  const x = g.input('x', 'float32', [batch, model.inputDim]);
  const params = model.params.map((p) => g.input(p.name, 'float32', p.shape));
  return { x, params };
}
