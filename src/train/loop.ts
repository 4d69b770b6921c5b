// The one training loop: every algorithm is this loop plus a few hooks.
import { groupsOf, numGroups, validateDataset, type Dataset, type Split } from '../data/dataset.js';
import { resolveExecution, tensor, type ExecutionOptions, type ort, type Predictor, type TrainState, type TrainStep } from '../engine/index.js';
import { evaluateLogits, type Evaluation } from '../eval/metrics.js';
import { selectStep, type EvalRecord, type SelectionCriterion } from '../eval/selection.js';
import { compileClassifier, type CompiledClassifier } from '../nn/classifier.js';
import type { Model } from '../nn/models.js';
import type { OptimizerConfig } from '../nn/optimizers.js';
import { Rng } from '../util/random.js';
import { epochSampler, fullBatchSampler, type BatchSampler } from './batches.js';

/** What an algorithm adds to the loop (ERM adds nothing). */
export interface LoopHooks {
  loss?: 'ce' | 'balanced_ce' | 'groupdro';
  /** GroupDRO over these training groups (with loss 'groupdro'). */
  groupDro?: { groups: Int32Array; numGroups: number; eta: number };
  /** Per-batch logit shift (MAT with per-minibatch calibration): fill out (rows × K). */
  batchShift?(rows: Int32Array, out: Float32Array): void;
  /** Per-example logit shift for the training rows (n × K), fixed during training (MAT, logit adjustment). */
  shift?: Float32Array;
  /** Per-example loss weights for the training rows, fixed during training (JTT, RWG). */
  weights?: Float32Array;
  /** Per-batch loss weights (GroupDRO): fill out[0..rows.length). */
  batchWeights?(rows: Int32Array, out: Float32Array): void;
  /** Step outputs fetched for afterStep (default: perExampleLoss). */
  fetch?: readonly string[];
  /** Called after each step with the fetched outputs of the batch (XRM: held-out logits, for its label flips). */
  afterStep?(rows: Int32Array, outputs: Record<string, Float32Array>): void;
  /** Replaces the default shuffled-epoch sampler (SUBG, weighted sampling, XRM's own seeded stream). */
  sampler?(rng: Rng): BatchSampler;
  /**
   * Labels fed instead of the split's, read just before each step runs, so that changes made by
   * afterStep reach the very next batch (XRM's dynamic labels). Fed even when a full batch is baked.
   */
  labels?: Int32Array;
  /** More per-row inputs, gathered per batch like the features (XRM's twin assignment); baked with a full batch. */
  rowFeeds?: Record<string, Float32Array>;
  /**
   * Compiles the step instead of compileClassifier, initialising its parameters itself (XRM: both
   * twins in one graph). The loop then only steps: no evaluations (evalEvery must be 0), and the
   * result's `classifier` is what this returns. `fullBatch`: every row, in order, each step (bake it).
   */
  compileStep?(opts: { fullBatch: boolean }): Promise<CompiledStep>;
  /** The message of the DivergenceError a non-finite loss raises (default: "training diverged: …"). */
  divergenceMessage?(loss: number, step: number): string;
}

/** A non-finite loss: training stopped at `step` (a sweep records the run as diverged). */
export class DivergenceError extends Error {
  constructor(message: string, readonly step: number, readonly loss: number) {
    super(message);
    this.name = 'DivergenceError';
  }
}

/** What a compileStep hook returns: a training step, and how to release it (and what else it holds). */
export interface CompiledStep {
  step: TrainStep;
  dispose(): Promise<void>;
}

export interface TrainSettings {
  model: Model;
  optimizer: OptimizerConfig;
  lr: number;
  steps: number;
  /** Rows per step, or 'full' for full-batch gradient descent. */
  batchSize: number | 'full';
  /** Evaluate every this many steps (and after the last step); 0: only after the last step. */
  evalEvery: number;
  seed: number;
  /** How to run (threads, native addon…); see ExecutionOptions. */
  execution?: ExecutionOptions;
  /** Also evaluate on the training split (costs a pass over it). */
  evalTrain?: boolean;
  /**
   * Keep the parameters of the evaluation that this criterion selects (as selectStep does: ties go
   * to the later step) in TrainResult.best. Evaluations run on snapshots, so this costs one copy.
   */
  keepBest?: SelectionCriterion;
  /** XRM-inferred validation groups, for the va_gi_wga criterion. */
  valInferredGroups?: { groups: Int32Array; numGroups: number };
  /** Each evaluation as it is delivered, with the parameters it evaluated (a snapshot: keep it if needed). */
  onEval?(record: CurvePoint, params: readonly Float32Array[]): void;
  onStep?(step: number): void;
  /** Start from these parameters instead of a fresh initialisation. */
  initialParams?: Float32Array[];
  /** Resume: parameters, optimizer state and step count saved by an earlier run. */
  resume?: TrainState;
  /** Called every `checkpointEvery` steps with the state to save. */
  onCheckpoint?(state: TrainState, curve: readonly CurvePoint[]): Promise<void> | void;
  checkpointEvery?: number;
}

export interface CurvePoint extends EvalRecord {
  /** Metrics on the training split (every evaluation with evalTrain; always at the last step). */
  train?: Evaluation;
  /** Mean cross-entropy over the whole training split, where `train` is measured. */
  trainLoss?: number;
  /** The loss of the step's batch. */
  loss: number;
}

/** Mean cross-entropy of logits (n × K) against labels, in float64. */
export function meanCrossEntropy(logits: Float32Array, y: Int32Array, k: number): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, logits[i * k + c]);
    let z = 0;
    for (let c = 0; c < k; c++) z += Math.exp(logits[i * k + c] - m);
    total += m + Math.log(z) - logits[i * k + y[i]];
  }
  return y.length ? total / y.length : NaN;
}

export interface TrainResult<C extends CompiledStep = CompiledClassifier> {
  curve: CurvePoint[];
  classifier: C;
  /** With settings.keepBest: the selected evaluation's step and parameters (of this call's evaluations). */
  best?: { step: number; criterion: SelectionCriterion; params: Float32Array[] };
}

/**
 * Threads for the training step and for the predictor that evaluates in the background. When
 * evaluation costs a large share of the run (ColorMNIST: 5,000 rows every 50 steps of 35, about as
 * much as the training), the cores are split between the two in proportion, so that evaluation
 * proceeds beside training instead of taking turns with it; otherwise both use every thread.
 */
export function splitThreads(s: Pick<TrainSettings, 'evalEvery' | 'evalTrain'>, threads: number, ds: Dataset, batch: number): { threads: number; predictorThreads: number } {
  if (threads < 2 || s.evalEvery <= 0) return { threads, predictorThreads: threads };
  const evalRows = ds.val.y.length + ds.test.y.length + (s.evalTrain ? ds.train.y.length : 0);
  // A training step is a forward and a backward pass: about three forward passes.
  const share = evalRows / (evalRows + 3 * batch * s.evalEvery);
  if (share < 0.25) return { threads, predictorThreads: threads };
  const predictorThreads = Math.min(threads - 1, Math.max(1, Math.round(threads * share)));
  return { threads: threads - predictorThreads, predictorThreads };
}

export function checkSettings(s: TrainSettings, nTrain: number): void {
  if (!(Number.isInteger(s.steps) && s.steps >= 0)) throw new Error(`steps must be a non-negative integer, got ${s.steps}`);
  if (s.batchSize !== 'full' && !(Number.isInteger(s.batchSize) && s.batchSize > 0)) {
    throw new Error(`batch size must be a positive integer or "full", got ${s.batchSize}`);
  }
  if (!(typeof s.lr === 'number' && Number.isFinite(s.lr) && s.lr > 0)) throw new Error(`learning rate must be a positive finite number, got ${s.lr}`);
  if (!(Number.isInteger(s.evalEvery) && s.evalEvery >= 0)) throw new Error(`evalEvery must be a non-negative integer, got ${s.evalEvery}`);
  if (nTrain === 0) throw new Error('the training split has no examples');
}

/** Train `settings.model` on ds.train with the hooks; evaluate val/test along the way. */
export async function trainLoop(ds: Dataset, settings: TrainSettings, hooks?: LoopHooks & { compileStep?: undefined }): Promise<TrainResult>;
/** Run the steps of a step that the hook compiles (no evaluations). */
export async function trainLoop<C extends CompiledStep>(ds: Dataset, settings: TrainSettings, hooks: LoopHooks & { compileStep(opts: { fullBatch: boolean }): Promise<C> }): Promise<TrainResult<C>>;
export async function trainLoop(ds: Dataset, settings: TrainSettings, hooks: LoopHooks = {}): Promise<TrainResult<CompiledStep>> {
  validateDataset(ds);
  const train = ds.train;
  const n = train.y.length;
  const d = ds.dim;
  const k = ds.numClasses;
  checkSettings(settings, n);
  if (settings.model.inputDim !== d || settings.model.outputDim !== k) {
    throw new Error(`model maps ${settings.model.inputDim} → ${settings.model.outputDim}, but the data has ${d} features and ${k} classes`);
  }
  if (settings.keepBest === 'va_gi_wga' && !settings.valInferredGroups) throw new Error('keepBest va_gi_wga needs valInferredGroups (XRM-inferred validation groups)');
  if (hooks.shift && hooks.shift.length !== n * k) throw new Error(`shift: expected ${n} × ${k} values, got ${hooks.shift.length}`);
  if (hooks.weights && hooks.weights.length !== n) throw new Error(`weights: expected ${n} values, got ${hooks.weights.length}`);
  if (hooks.labels && hooks.labels.length !== n) throw new Error(`labels: expected ${n} values, got ${hooks.labels.length}`);
  for (const [name, v] of Object.entries(hooks.rowFeeds ?? {})) if (v.length !== n) throw new Error(`${name}: expected ${n} values, got ${v.length}`);
  if (hooks.compileStep && settings.evalEvery !== 0) throw new Error('a step compiled by a hook is not evaluated: set evalEvery to 0');

  const full = settings.batchSize === 'full' && !hooks.sampler;
  const useWeights = !!(hooks.weights || hooks.batchWeights);
  const useShift = !!(hooks.shift || hooks.batchShift);
  const dro = hooks.loss === 'groupdro' ? hooks.groupDro : undefined;
  if (hooks.loss === 'groupdro' && !dro) throw new Error('GroupDRO needs training groups');
  if (dro && dro.groups.length !== n) throw new Error(`GroupDRO groups: expected ${n} values, got ${dro.groups.length}`);
  // compileClassifier bakes the labels of a full batch into the graph: they could not change.
  if (hooks.labels && full && !hooks.compileStep) throw new Error('labels with a full batch need a compileStep hook that feeds them');
  const execution = resolveExecution(settings.execution);
  const totalThreads = execution.threads;
  const threadSplit = splitThreads(settings, totalThreads, ds, settings.batchSize === 'full' ? n : settings.batchSize);
  const classifier = hooks.compileStep ? await hooks.compileStep({ fullBatch: full }) : await compileClassifier(settings.model, {
    loss: hooks.loss ?? 'ce',
    optimizer: settings.optimizer,
    initialParams: settings.initialParams ?? settings.model.init(Rng.derive(settings.seed, 'init')),
    shift: useShift,
    weights: useWeights,
    groupDro: dro ? { numGroups: dro.numGroups, eta: dro.eta } : undefined,
    fullBatch: full ? { x: train.x, y: train.y, n } : undefined,
    execution: { ...execution, threads: threadSplit.threads },
    predictorThreads: threadSplit.predictorThreads,
    // The update's helpers take only work not yet started, so it can use the evaluation's cores
    // whenever they are idle.
    updateThreads: totalThreads,
  });
  const step = classifier.step;
  if (settings.resume) step.loadState(settings.resume);

  const batchRng = Rng.derive(settings.seed, 'batches');
  const sampler = hooks.sampler ? hooks.sampler(batchRng)
    : full || settings.batchSize === 'full' ? fullBatchSampler(n)
    : epochSampler(n, settings.batchSize as number, batchRng);
  const feeder = new BatchFeeder(step, train, d, k, full, hooks, useWeights);
  const fetch = hooks.afterStep ? [...(hooks.fetch ?? ['perExampleLoss'])] : [];
  // GroupDRO's group weights q live here and are updated by the step graph.
  const droWeights = dro ? tensor('float32', new Float32Array(dro.numGroups).fill(1 / dro.numGroups), [dro.numGroups]) : undefined;
  if (dro) fetch.push('groupWeightsNext');
  const droResume = settings.resume?.loopState?.[0];
  if (dro && droResume) {
    if (droResume.length !== dro.numGroups) throw new Error(`resume: GroupDRO weights have ${droResume.length} values, expected ${dro.numGroups}`);
    (droWeights!.data as Float32Array).set(droResume);
  }
  // A step compiled by a hook has no predictor to evaluate with.
  const evaluator = hooks.compileStep ? undefined : new Evaluator(ds, classifier as CompiledClassifier, settings);
  const curve: CurvePoint[] = [];

  // A resumed run replays the sampler so that later batches match an uninterrupted run.
  for (let s = 0; s < step.steps; s++) sampler.next();
  let lastLoss = NaN;
  // Evaluations run in the background, in order, on snapshots of the parameters, while training
  // goes on; the curve is complete once they have settled (before a checkpoint and at the end).
  const criterion = settings.keepBest;
  let best: { point: CurvePoint; params: Float32Array[] } | undefined;
  const evaluate = (t: number, loss: number) => evaluator?.schedule(t, loss, (point, params) => {
    curve.push(point);
    // Points arrive in step order, so keeping the better of two gives selectStep's choice.
    if (criterion && (!best || selectStep([best.point, point], criterion) === point)) best = { point, params };
    settings.onEval?.(point, params);
  });
  if (step.steps === 0 && settings.evalEvery > 0) evaluate(0, NaN);
  const prepare = (rows: Int32Array) => {
    const batch = feeder.fill(rows);
    if (dro) {
      batch.feeds.groupWeights = droWeights!;
      batch.feeds.groups = feeder.groupsFor(rows, dro.groups);
    }
    return batch;
  };
  try {
    await runSteps();
  } catch (error) {
    // Nothing runs on after a failure: queued evaluations are dropped, the sessions released.
    await evaluator?.stop();
    await classifier.dispose();
    throw error;
  }
  return { curve, classifier, best: best && criterion ? { step: best.point.step, criterion, params: best.params } : undefined };

  async function runSteps(): Promise<void> {
    while (step.steps < settings.steps) {
      const rows = Int32Array.from(sampler.next());
      const t = step.steps + 1;
      const current = prepare(rows);
      const result = await step.run(current.feeds, { lr: settings.lr, fetch });
      if (dro) (droWeights!.data as Float32Array).set(result.outputs.groupWeightsNext.data as Float32Array);
      lastLoss = result.loss;
      if (!Number.isFinite(lastLoss)) {
        const message = hooks.divergenceMessage?.(lastLoss, t)
          ?? `training diverged: the loss is ${lastLoss} at step ${t} (learning rate ${settings.lr}); try a smaller learning rate`;
        throw new DivergenceError(message, t, lastLoss);
      }
      if (hooks.afterStep) hooks.afterStep(rows, Object.fromEntries(fetch.map((name) => [name, result.outputs[name].data as Float32Array])));
      settings.onStep?.(t);
      if ((settings.evalEvery > 0 && t % settings.evalEvery === 0) || t === settings.steps) evaluate(t, lastLoss);
      // Steps can run without ever returning to the event loop; background evaluations need it.
      if (evaluator?.waitsForEventLoop) await new Promise((resolve) => setImmediate(resolve));
      if (settings.onCheckpoint && settings.checkpointEvery && t % settings.checkpointEvery === 0 && t < settings.steps) {
        await evaluator?.settled();
        const state = step.saveState();
        if (dro) state.loopState = [Float32Array.from(droWeights!.data as Float32Array)];
        await settings.onCheckpoint(state, curve);
      }
    }
    if (!evaluator) return;
    if (evaluator.lastScheduled !== step.steps) evaluate(step.steps, lastLoss);
    // The training threads are free now: the last evaluations share the cores.
    evaluator.widen(Math.floor(totalThreads / threadSplit.predictorThreads));
    await evaluator.settled();
  }
}

/** Copies the rows of a batch into preallocated feed buffers (one set per batch size seen). */
class BatchFeeder {
  private readonly cache = new Map<number, { feeds: Record<string, ort.Tensor>; x: Float32Array; y: Int32Array; shift?: Float32Array; weights?: Float32Array; rowFeeds: [string, Float32Array][] }>();

  constructor(
    private readonly step: TrainStep,
    private readonly split: Split,
    private readonly d: number,
    private readonly k: number,
    private readonly baked: boolean,
    private readonly hooks: LoopHooks,
    private readonly useWeights: boolean,
  ) {}

  /** Fill the buffers for `rows`. */
  fill(rows: Int32Array): { feeds: Record<string, ort.Tensor> } {
    const b = rows.length;
    const buf = this.buffers(b);
    const { d, k, split, hooks, step } = this;
    // A batch is filled just before its step runs, so hook labels carry the last step's changes.
    const labels = hooks.labels ?? (this.baked ? undefined : split.y);
    if (labels) for (let r = 0; r < b; r++) buf.y[r] = labels[rows[r]];
    if (!this.baked) {
      step.gatherRows(split.x, d, rows, buf.x);
      for (const [name, out] of buf.rowFeeds) {
        const from = hooks.rowFeeds![name];
        for (let r = 0; r < b; r++) out[r] = from[rows[r]];
      }
    }
    if (buf.shift) {
      if (hooks.batchShift) hooks.batchShift(rows, buf.shift);
      else step.gatherRows(hooks.shift!, k, rows, buf.shift);
    }
    if (buf.weights) {
      if (hooks.batchWeights) hooks.batchWeights(rows, buf.weights);
      else for (let r = 0; r < b; r++) buf.weights[r] = hooks.weights![rows[r]];
    }
    return { feeds: buf.feeds };
  }

  /** The groups of a batch's rows, as a tensor reused per batch size. */
  groupsFor(rows: Int32Array, groups: Int32Array): ort.Tensor {
    const key = rows.length;
    let t = this.groupTensors.get(key);
    if (!t) {
      t = tensor('int32', new Int32Array(rows.length), [rows.length]);
      this.groupTensors.set(key, t);
    }
    const data = t.data as Int32Array;
    for (let r = 0; r < rows.length; r++) data[r] = groups[rows[r]];
    return t;
  }

  private readonly groupTensors = new Map<number, ort.Tensor>();

  private buffers(b: number) {
    let buf = this.cache.get(b);
    if (!buf) {
      // A baked full batch feeds nothing per row but hook labels, which change.
      const feedLabels = !this.baked || !!this.hooks.labels;
      const x = new Float32Array(this.baked ? 0 : b * this.d);
      const y = new Int32Array(feedLabels ? b : 0);
      const feeds: Record<string, ort.Tensor> = {};
      if (!this.baked) feeds.x = tensor('float32', x, [b, this.d]);
      if (feedLabels) feeds.y = tensor('int32', y, [b]);
      const rowFeeds: [string, Float32Array][] = this.baked ? [] : Object.keys(this.hooks.rowFeeds ?? {}).map((name) => [name, new Float32Array(b)]);
      for (const [name, data] of rowFeeds) feeds[name] = tensor('float32', data, [b]);
      const shift = this.hooks.shift || this.hooks.batchShift ? new Float32Array(b * this.k) : undefined;
      if (shift) feeds.shift = tensor('float32', shift, [b, this.k]);
      const weights = this.useWeights ? new Float32Array(b) : undefined;
      if (weights) feeds.weights = tensor('float32', weights, [b]);
      buf = { feeds, x, y, shift, weights, rowFeeds };
      this.cache.set(b, buf);
    }
    return buf;
  }
}

/**
 * Metrics on val and test (and train when asked) from snapshots of the parameters, computed in the
 * background and delivered in the order scheduled. One evaluation runs at a time while training
 * goes on beside it; once training is over, the ones still queued may run side by side.
 */
class Evaluator {
  private readonly groups: Record<'train' | 'val' | 'test', Int32Array>;
  private readonly G: number;

  constructor(private readonly ds: Dataset, private readonly classifier: CompiledClassifier, private readonly settings: TrainSettings) {
    this.G = numGroups(ds);
    this.groups = { train: groupsOf(ds.train, ds.numAttributes), val: groupsOf(ds.val, ds.numAttributes), test: groupsOf(ds.test, ds.numAttributes) };
  }

  private logits(split: Split, params: readonly ort.Tensor[]): Promise<Float32Array> {
    return this.classifier.predictor.run(split.x, split.y.length, { params });
  }

  /** Starters of the evaluations scheduled but not started, oldest first. */
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private limit = 1;
  /** Settles once every scheduled evaluation has been delivered. */
  private delivered: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  /** Evaluations scheduled and not yet delivered. */
  private pending = 0;

  /** The step of the last evaluation scheduled (−1: none). */
  lastScheduled = -1;

  /**
   * Whether an evaluation's run may have finished and be waiting for the main thread to return to
   * the event loop (training steps can run for long without returning to it).
   */
  get waitsForEventLoop(): boolean {
    return this.pending > 0 && this.classifier.predictor.finishedRunWaiting();
  }

  /** Evaluate the current parameters; `done` gets the point after the points scheduled before it. */
  schedule(step: number, loss: number, done: (point: CurvePoint, params: Float32Array[]) => void): void {
    this.lastScheduled = step;
    this.pending++;
    const snapshot = this.classifier.step.parameterTensors().map((t) => tensor('float32', Float32Array.from(t.data as Float32Array), t.dims));
    const point = new Promise<CurvePoint>((resolve, reject) => {
      this.waiting.push(() => {
        if (this.failure) return reject(this.failure.error);
        this.running++;
        this.run(step, loss, snapshot)
          .then(resolve, (error: unknown) => {
            this.failure ??= { error };
            reject(error);
          })
          .finally(() => {
            this.running--;
            this.pump();
          });
      });
    });
    point.catch(() => {}); // handled in order below
    this.delivered = this.delivered.then(async () => {
      const p = await point;
      if (!this.failure) done(p, snapshot.map((t) => t.data as Float32Array));
    }).catch((error: unknown) => {
      this.failure ??= { error };
    }).finally(() => {
      this.pending--;
    });
    this.pump();
  }

  /** Training is over: let up to `limit` of the queued evaluations run side by side. */
  widen(limit: number): void {
    this.limit = Math.max(1, limit);
    this.pump();
  }

  /** Drop the evaluations not yet started and wait for the running ones (their failures ignored). */
  async stop(): Promise<void> {
    this.failure ??= { error: new Error('stopped') };
    for (const start of this.waiting.splice(0)) start();
    await this.delivered;
  }

  /** Wait for every scheduled evaluation; rethrows the first failure. */
  async settled(): Promise<void> {
    await this.delivered;
    if (this.failure) throw this.failure.error;
  }

  private pump(): void {
    while (this.running < this.limit && this.waiting.length > 0) this.waiting.shift()!();
  }

  private async run(step: number, loss: number, params: readonly ort.Tensor[]): Promise<CurvePoint> {
    const { ds, G } = this;
    const k = ds.numClasses;
    const logits = (split: Split) => this.logits(split, params);
    const valLogits = await logits(ds.val);
    const point: CurvePoint = {
      step,
      loss,
      val: evaluateLogits(valLogits, ds.val.y, this.groups.val, G, k),
      test: evaluateLogits(await logits(ds.test), ds.test.y, this.groups.test, G, k),
    };
    const inferred = this.settings.valInferredGroups;
    if (inferred) point.valInferred = evaluateLogits(valLogits, ds.val.y, inferred.groups, inferred.numGroups, k);
    // The last step always measures the training split: how well the run fitted it (convergence diagnostics).
    if (this.settings.evalTrain || step === this.settings.steps) {
      const trainLogits = await logits(ds.train);
      point.train = evaluateLogits(trainLogits, ds.train.y, this.groups.train, G, k);
      point.trainLoss = meanCrossEntropy(trainLogits, ds.train.y, k);
    }
    return point;
  }
}

/** Metrics of a predictor on one split of a dataset (true groups). */
export async function evaluate(predictor: Predictor, ds: Dataset, split: 'train' | 'val' | 'test' = 'test'): Promise<Evaluation> {
  const s = ds[split];
  const logits = await predictor.run(s.x, s.y.length);
  return evaluateLogits(logits, s.y, groupsOf(s, ds.numAttributes), numGroups(ds), ds.numClasses);
}
