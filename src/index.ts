// Public API of memorization-aware-training.
export type { Dataset, Split } from './data/dataset.js';
export { validateDataset, groupOf, groupsOf, numGroups } from './data/dataset.js';
export { makeFigure1 } from './data/fig1.js';
export { makeColorMnist } from './data/cmnist.js';
export { loadBuiltin, builtinDatasets } from './data/builtin.js';
export { makeSpuriousEmbeddings } from './data/embeddings.js';
export { loadDatasetFile } from './data/files/load.js';
export { loadBenchmark } from './data/benchmarks/index.js';

export { Graph, Value } from './engine/graph.js';
export { gradients } from './engine/autodiff.js';
export { emitOnnx } from './engine/onnx.js';
export { TrainStep } from './engine/trainStep.js';
export { Predictor } from './engine/predictor.js';
export { mlp, linear, modelFromJSON, type Model } from './nn/models.js';
export { makeOptimizer, type OptimizerConfig } from './nn/optimizers.js';
export { compileClassifier, compilePredictor } from './nn/classifier.js';

export { heldOut, runXrm, runKFold, type HeldOutSettings } from './heldout/index.js';
export type { XrmSettings } from './heldout/xrm.js';
export type { HeldOutResult } from './heldout/types.js';
export { saveHeldOut, loadHeldOut } from './heldout/store.js';
export { ALGORITHMS, getAlgorithm, runAlgorithm, resolveHParams, type Algorithm } from './algorithms/registry.js';
export { matShift, attributeShift, calibrationTable, heldOutProbabilities } from './algorithms/shift.js';
export { trainLoop as train, evaluate, type TrainSettings, type LoopHooks, type CurvePoint } from './train/loop.js';
export { presetFor } from './train/presets.js';
export { runMethod } from './train/experiment.js';

export * from './eval/index.js';
export { Rng } from './util/random.js';
export { InputError, isUserError } from './util/errors.js';
