// Public API of memorization-aware-training. fit() first; the stages it strings together after it.
export { fit, FittedClassifier, type FitOptions, type HeldOutSummary } from './experiments/fit.js';
export { toDataset, type DatasetArrays, type SplitArrays } from './data/arrays.js';
export type { Dataset, Split } from './data/dataset.js';
export { validateDataset, groupOf, groupsOf, numGroups } from './data/dataset.js';
export { makeFigure1 } from './data/fig1.js';
export { makeColorMnist } from './data/cmnist.js';
export { loadBuiltin, builtinDatasets } from './data/builtin.js';
export { makeSpuriousEmbeddings } from './data/embeddings.js';
export { loadDatasetFile, loadRows, type LoadOptions, type Rows } from './data/files/load.js';
export { loadBenchmark, embedBenchmark } from './data/benchmarks/index.js';

export { setExecutionDefaults, resolveExecution, type ExecutionOptions, type Execution } from './engine/execution.js';
export { executionFromEnvironment } from './environment.js';
export { Graph, Value } from './engine/graph.js';
export { gradients } from './engine/autodiff.js';
export { emitOnnx } from './engine/onnx.js';
export { TrainStep } from './engine/trainStep.js';
export { Predictor } from './engine/predictor.js';
export { mlp, linear, modelFromJSON, type Model } from './nn/models.js';
export { makeOptimizer, type OptimizerConfig } from './nn/optimizers.js';
export { compileClassifier, compilePredictor } from './nn/classifier.js';

export { heldOut, runXrm, runKFold, type HeldOutSettings } from './heldout/index.js';
export { HELD_OUT_SOURCES, getHeldOutSource, isHeldOutSource, type HeldOutSource } from './heldout/registry.js';
export type { XrmSettings } from './heldout/xrm.js';
export type { HeldOutResult } from './heldout/types.js';
export { saveHeldOut, loadHeldOut } from './heldout/store.js';
export { heldOutDiagnostics, formatDiagnostics, type HeldOutDiagnostics } from './heldout/diagnostics.js';
export { convergenceOf, type Convergence } from './eval/convergence.js';
export { trainingStatistics, type FeatureScaling } from './data/standardize.js';
export { ALGORITHMS, getAlgorithm, runAlgorithm, resolveHParams, type Algorithm } from './algorithms/registry.js';
export { matShift, attributeShift, calibrationTable, heldOutProbabilities } from './algorithms/shift.js';
export { dfrLastLayer, type DfrPoint, type DfrRecord } from './algorithms/dfr.js';
export { afrWeights, type AfrPoint, type AfrRecord } from './algorithms/afr.js';
export { fitLogistic, type LogisticProblem, type LogisticFit } from './algorithms/logistic.js';
export { trainLoop as train, evaluate, type TrainSettings, type LoopHooks, type CurvePoint, type CompiledStep } from './train/loop.js';
export { presetFor, linearHeadPreset, standardScaling, BUILTIN_EXPERIMENTS, type Preset } from './experiments/presets.js';
export { runMethod, heldOutFor } from './experiments/method.js';
export { methodMemorization, summarizeMemorization, type MemorizationRun, type MemorizationOptions, type GroupMemorization } from './experiments/memorization.js';
export { fitFigure3 } from './experiments/figure3.js';
export { renderHtml, type HtmlReport } from './report/html.js';
export { renderFigure, type Figure } from './report/figures/render.js';

export * from './eval/index.js';
export { Rng } from './util/random.js';
export { InputError, isUserError } from './util/errors.js';
