// The XRM twin training step: two networks of the same architecture in one graph. Each example
// belongs to one twin (assign = 1: twin A); "held-in" logits come from its own twin, "held-out"
// logits from the other. The loss is on held-in logits; one optimizer updates both twins.
import { Graph } from '../engine/graph.js';
import type { ExecutionOptions } from '../engine/index.js';
import type { Predictor } from '../engine/predictor.js';
import { TrainStep } from '../engine/trainStep.js';
import { compilePredictor } from '../nn/classifier.js';
import { classBalancedMean, perExampleCrossEntropy, weightedMean } from '../nn/losses.js';
import type { Model } from '../nn/models.js';
import { makeOptimizer, type OptimizerConfig } from '../nn/optimizers.js';

export interface TwinOptions {
  optimizer: OptimizerConfig;
  /** Initial parameters of twin A and twin B. */
  initialParams: [Float32Array[], Float32Array[]];
  /** XRM uses the class-balanced loss; the paper's toy uses plain cross-entropy. */
  loss?: 'balanced_ce' | 'ce';
  /** Bake a full batch (x, assignment) into the graph; labels stay fed since they flip. */
  fullBatch?: { x: Float32Array; assign: Float32Array; n: number };
  execution?: ExecutionOptions;
}

export interface CompiledTwins {
  /** Inputs: x [batch, d], y [batch] int32 (the dynamic labels), assign [batch] float32. Outputs: heldInLogits, heldOutLogits. */
  step: TrainStep;
  predictors: [Predictor, Predictor];
  dispose(): Promise<void>;
}

export async function compileTwins(model: Model, opts: TwinOptions): Promise<CompiledTwins> {
  const g = new Graph();
  const batch = opts.fullBatch ? opts.fullBatch.n : 'batch';
  const x = g.input('x', 'float32', [batch, model.inputDim]);
  const y = g.input('y', 'int32', [batch]);
  const assign = g.input('assign', 'float32', [batch]);
  const paramsA = model.params.map((p) => g.input(`a.${p.name}`, 'float32', p.shape));
  const paramsB = model.params.map((p) => g.input(`b.${p.name}`, 'float32', p.shape));
  const logitsA = model.forward(g, x, paramsA, { featureMajor: true });
  const logitsB = model.forward(g, x, paramsB, { featureMajor: true });
  // held-in = B + m·(A − B), held-out = A − m·(A − B), with m = 1 for twin A's examples.
  const picked = g.mul(g.unsqueeze(assign, 1), g.sub(logitsA, logitsB));
  const heldIn = g.add(logitsB, picked);
  const heldOut = g.sub(logitsA, picked);
  const perExample = perExampleCrossEntropy(g, heldIn, y);
  const loss = (opts.loss ?? 'balanced_ce') === 'balanced_ce'
    ? classBalancedMean(g, perExample, g.oneHot(y, model.outputDim))
    : weightedMean(g, perExample);
  const bake = new Map<typeof x, Float32Array>();
  if (opts.fullBatch) {
    bake.set(x, opts.fullBatch.x);
    bake.set(assign, opts.fullBatch.assign);
  }
  const step = await TrainStep.compile({
    graph: g,
    params: [...paramsA, ...paramsB],
    initialParams: [...opts.initialParams[0], ...opts.initialParams[1]],
    loss,
    outputs: { heldInLogits: heldIn, heldOutLogits: heldOut },
    update: makeOptimizer(opts.optimizer),
    bake,
    execution: opts.execution,
  });
  const np = model.params.length;
  const predictors: [Predictor, Predictor] = [
    await compilePredictor(model, () => step.parameterTensors().slice(0, np), step.execution),
    await compilePredictor(model, () => step.parameterTensors().slice(np), step.execution),
  ];
  return {
    step,
    predictors,
    async dispose() {
      await step.dispose();
      await Promise.all(predictors.map((p) => p.dispose()));
    },
  };
}
