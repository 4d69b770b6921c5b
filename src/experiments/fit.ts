// The library's one-call entry point, in the style of scikit-learn's fit/predict: a dataset (or
// plain arrays) and named options in, a fitted classifier out. Input is validated here, once.
import { writeFile } from 'node:fs/promises';
import { getAlgorithm, type HParamValue } from '../algorithms/registry.js';
import { heldOutProbabilities } from '../algorithms/shift.js';
import { flatRows, toDataset, type DatasetArrays, type SplitArrays } from '../data/arrays.js';
import type { Dataset, SplitName } from '../data/dataset.js';
import { resolveExecution, type ExecutionOptions } from '../engine/index.js';
import { predictionsFromLogits, type Evaluation } from '../eval/metrics.js';
import { getHeldOutSource } from '../heldout/registry.js';
import { heldOutDiagnostics, type HeldOutDiagnostics } from '../heldout/diagnostics.js';
import type { HeldOutResult } from '../heldout/types.js';
import type { Model } from '../nn/models.js';
import type { OptimizerConfig } from '../nn/optimizers.js';
import type { CompiledClassifier } from '../nn/classifier.js';
import type { SelectionCriterion } from '../eval/selection.js';
import { evaluate, type CurvePoint, type TrainResult, type TrainSettings } from '../train/loop.js';
import { InputError } from '../util/errors.js';
import { heldOutFor, runMethod } from './method.js';
import { presetFor, type PresetOptions } from './presets.js';

export interface FitOptions {
  /** A method of the registry (erm, mat, groupdro, xrm+groupdro, rwg, subg, jtt, la, dfr, afr). Default 'mat'. */
  method?: string;
  /** The method's hyperparameters by name (e.g. { tau: 0.1 }); the rest take their defaults. */
  hparams?: Record<string, HParamValue>;
  /**
   * Where held-out predictions come from, for methods that use them: a source name ('xrm', the
   * default, or 'kfold'), a source with its settings ({ source: 'kfold', folds: 5 }), or
   * predictions computed before (a HeldOutResult, e.g. shared between methods).
   */
  heldOut?: string | { source: string; [setting: string]: number | string } | HeldOutResult;
  seed?: number;
  /** Options of a built-in dataset's preset (Figure 1's noise level). */
  preset?: PresetOptions;
  /**
   * Training settings over the dataset's preset (built-in data) or the linear-head defaults, for
   * the method and for the models that give held-out predictions.
   */
  steps?: number;
  lr?: number;
  batchSize?: number | 'full';
  optimizer?: OptimizerConfig;
  model?: Model;
  /** Evaluate on val and test every this many steps (the curve); 0: only at the end. */
  evalEvery?: number;
  /** Also evaluate on the training split. */
  evalTrain?: boolean;
  /** Keep the parameters of the step this criterion selects (`best`; exportOnnx can write them). */
  keepBest?: SelectionCriterion;
  /** Save held-out predictions here, keyed by data and settings, and reuse them. */
  cacheDir?: string;
  execution?: ExecutionOptions;
  /** Progress: `step` of `total` in `phase` (the held-out source's name, then the method's). */
  onProgress?(step: number, total: number, phase: string): void;
}

/** What the held-out predictions a method trained on look like, to judge whether to trust them. */
export interface HeldOutSummary {
  source: string;
  /** Accuracy of the held-out predictions on the training labels. */
  accuracy: number;
  /** Fraction of training labels XRM flipped (0 for K-fold). */
  flipRate: number;
  /** True when some class got a single inferred group: the source found no minority. */
  degenerate: boolean;
  /** Flip rate, held-out error per class and the match of mistakes with the true minority groups. */
  diagnostics: HeldOutDiagnostics;
  result: HeldOutResult;
}

export class FittedClassifier {
  private disposed = false;

  constructor(
    /** The dataset it was fitted on. */
    readonly dataset: Dataset,
    readonly method: string,
    readonly hparams: Readonly<Record<string, HParamValue>>,
    /** Evaluations on val and test along training. */
    readonly curve: readonly CurvePoint[],
    /** The method's training settings (the preset with the options over it). */
    readonly settings: Readonly<Omit<TrainSettings, 'seed'>>,
    /** With options.keepBest: the selected step and its parameters. */
    readonly best: TrainResult['best'],
    /** The held-out predictions the method used, when it used any. */
    readonly heldOut: HeldOutSummary | undefined,
    private readonly compiled: CompiledClassifier,
  ) {}

  /** Class probabilities (softmax of the logits), n × K row-major. */
  async predictProba(x: SplitArrays['x']): Promise<Float32Array> {
    const rows = flatRows(x, this.dataset.dim, 'x');
    const logits = await this.predictor().run(rows.x, rows.n);
    // Softmax at temperature 1.
    return Float32Array.from(heldOutProbabilities(logits, rows.n, this.dataset.numClasses, 1));
  }

  /** The most probable class of each row. */
  async predict(x: SplitArrays['x']): Promise<Int32Array> {
    const rows = flatRows(x, this.dataset.dim, 'x');
    return predictionsFromLogits(await this.predictor().run(rows.x, rows.n), rows.n, this.dataset.numClasses);
  }

  /** Accuracy overall, per group and worst-group, on a split of the dataset (default test). */
  async evaluate(split: SplitName = 'test'): Promise<Evaluation> {
    if (!this.dataset[split]) throw new InputError(`evaluate: no split "${split}"; expected train, val or test`);
    return evaluate(this.predictor(), this.dataset, split);
  }

  /**
   * A standalone ONNX model (input "x" [n, d], output "logits" [n, K]) with the final parameters,
   * or given ones (e.g. `best.params`).
   */
  exportBytes(params?: readonly Float32Array[]): Uint8Array {
    return this.predictor().exportBytes(params);
  }

  async exportOnnx(path: string, params?: readonly Float32Array[]): Promise<void> {
    await writeFile(path, this.exportBytes(params));
  }

  /** A copy of the final parameters (in the model's order: weight, bias per layer). */
  parameters(): Float32Array[] {
    this.predictor();
    return this.compiled.step.parameterTensors().map((t) => Float32Array.from(t.data as Float32Array));
  }

  /** Free the ONNX Runtime sessions. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.compiled.dispose();
  }

  private predictor() {
    if (this.disposed) throw new Error('this classifier has been disposed');
    return this.compiled.predictor;
  }
}

/** Train `options.method` (default MAT) on the dataset; the held-out stage runs first when the method needs it. */
export async function fit(data: Dataset | DatasetArrays, options: FitOptions = {}): Promise<FittedClassifier> {
  const ds = toDataset(data);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new InputError(`seed must be an integer, got ${seed}`);
  const algorithm = getAlgorithm(options.method ?? 'mat');
  const execution = resolveExecution(options.execution);
  const preset = presetFor(ds, options.preset);
  const overrides = { steps: options.steps, lr: options.lr, batchSize: options.batchSize, optimizer: options.optimizer, model: options.model };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    (preset.train as unknown as Record<string, unknown>)[key] = value;
    (preset.xrm as unknown as Record<string, unknown>)[key] = value;
  }
  if (options.evalEvery !== undefined) preset.train.evalEvery = options.evalEvery;
  if (options.evalTrain !== undefined) preset.train.evalTrain = options.evalTrain;
  if (options.keepBest !== undefined) preset.train.keepBest = options.keepBest;
  const common = { hparams: options.hparams, execution, cacheDir: options.cacheDir, onStep: options.onProgress };
  let heldOut: HeldOutResult | undefined;
  if (algorithm.needsHeldOut) {
    const given = options.heldOut;
    if (given && typeof given === 'object' && 'heldOutLogits' in given) heldOut = given as HeldOutResult;
    else {
      const { source, ...settings } = typeof given === 'object' ? (given as { source: string }) : { source: given ?? 'xrm' };
      getHeldOutSource(source);
      heldOut = await heldOutFor(ds, { ...preset, xrm: { ...preset.xrm, ...settings } }, seed, { ...common, heldOutSource: source });
    }
  }
  const run = await runMethod(ds, preset, algorithm.name, seed, { ...common, heldOut });
  return new FittedClassifier(ds, run.algorithm, run.hparams, run.curve, preset.train, run.result.best, heldOut && summarize(heldOut, ds), run.result.classifier);
}

function summarize(heldOut: HeldOutResult, ds: Dataset): HeldOutSummary {
  const diagnostics = heldOutDiagnostics(heldOut, ds);
  return { source: heldOut.source, accuracy: diagnostics.heldOutAccuracy, flipRate: heldOut.flipRate, degenerate: heldOut.degenerate, diagnostics, result: heldOut };
}
