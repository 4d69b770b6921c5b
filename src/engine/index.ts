// The engine as the layers above see it: execution options, a compiled training step, a predictor,
// and tensors to feed them. The native addon and ONNX Runtime's sessions stay behind this seam.
export { resolveExecution, setExecutionDefaults, type Execution, type ExecutionOptions } from './execution.js';
export { TrainStep, type StepResult, type TrainState, type TrainStepSpec, type UpdateRule } from './trainStep.js';
export { Predictor, type PredictorSpec } from './predictor.js';
export { tensor, ort } from './session.js';
