// A compiled training step: forward and backward in one ONNX session, then the optimizer update.
// The update runs inside the graph (parameters and optimizer state double-buffered in preallocated
// outputs that swap every step) or, when the execution uses the native addon, as one fused pass per
// tensor over buffers updated in place (the graph then outputs the gradients into preallocated
// buffers). Both paths implement the same arithmetic.
import { typedArrayFor, type ConstantData, type DType, type Graph, type Value } from './graph.js';
import { gradients } from './autodiff.js';
import { nativeAddon, resolveExecution, type Execution, type ExecutionOptions } from './execution.js';
import { gatherRows } from './gather.js';
import type { NativeAddon } from './native/addon.js';
import { emitOnnx, parseDimInput } from './onnx.js';
import { openEngineSession, type EngineSession } from './runtime.js';
import { checkFeed, ort, tensor } from './session.js';

/** How an optimizer plugs into the step (see src/nn/optimizers.ts). */
export interface UpdateRule {
  readonly stateSlots: readonly string[];
  readonly scalarNames: readonly string[];
  update(g: Graph, param: Value, grad: Value, state: readonly Value[], scalars: Readonly<Record<string, Value>>): { param: Value; state: Value[] };
  scalars(t: number, lr: number): Record<string, number>;
  nativeUpdate?(k: NativeAddon, p: Float32Array, grad: Float32Array, state: Float32Array[], scalars: Record<string, number>, threads: number): void;
}

export interface TrainStepSpec {
  graph: Graph;
  /** Graph inputs that are trained. */
  params: readonly Value[];
  initialParams: readonly Float32Array[];
  /** A scalar to minimise. */
  loss: Value;
  /** Extra values a step can return (logits, per-example losses…), fetched only when asked. */
  outputs?: Readonly<Record<string, Value>>;
  update: UpdateRule;
  /** Data inputs that never change (a full batch): baked in so that ONNX Runtime can fold work on them. */
  bake?: ReadonlyMap<Value, ConstantData>;
  /** How to run; `threads` are the training session's. */
  execution?: ExecutionOptions;
  /**
   * Threads the native optimizer update may use (default: the session's). Its helpers only take
   * work that nobody has started (native/parallel.h), so it may be offered cores that other work,
   * such as a background evaluation, holds at times: a busy core costs the update no more than a
   * wake-up.
   */
  updateThreads?: number;
}

export interface StepResult {
  loss: number;
  /** The fetched outputs, in buffers that the next step overwrites. */
  outputs: Record<string, ort.Tensor>;
}

export interface TrainState {
  step: number;
  params: Float32Array[];
  optimizerState: Float32Array[];
  /** State the training loop keeps beside the step (GroupDRO's group weights). */
  loopState?: Float32Array[];
}

const SEP = '__';

/** Where parameters and optimizer state live and how a step updates them. */
interface Placement {
  readonly kind: 'graph' | 'native';
  /** Current parameter tensors. */
  params(): ort.Tensor[];
  /** Current optimizer state arrays, per parameter. */
  states(): Float32Array[][];
  /** Feeds for parameters (and state) and the preallocated fetches for this step. */
  bind(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>): void;
  /** After session.run. */
  finish(scalars: Record<string, number>): void;
}

export class TrainStep {
  private stepCount = 0;
  private readonly feeds: Record<string, ort.Tensor> = {};
  private readonly scalarArrays = new Map<string, Float32Array>();
  private readonly bound = new Map<string, number>();
  /** Scalar inputs carrying named dim sizes, with their data arrays. */
  private readonly dimFeeds: { name: string; dim: string; data: Float32Array | Float64Array }[] = [];

  /** Preallocated buffers for the loss and the extra outputs, per output shape. */
  private readonly outputBuffers = new Map<string, ort.Tensor>();
  private readonly loss = tensor('float32', new Float32Array(1), []);

  private constructor(
    readonly execution: Execution,
    private readonly session: EngineSession,
    private readonly spec: TrainStepSpec,
    private readonly placement: Placement,
    private readonly dataInputs: readonly Value[],
    private readonly extraOutputs: ReadonlyMap<string, Value>,
  ) {
    for (const name of session.inputNames) {
      const parsed = parseDimInput(name);
      if (!parsed) continue;
      const data = parsed.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1);
      this.dimFeeds.push({ name, dim: parsed.dim, data });
      this.feeds[name] = tensor(parsed.dtype, data, []);
    }
    if (placement.kind === 'graph') {
      for (const name of spec.update.scalarNames) {
        const arr = new Float32Array(1);
        this.scalarArrays.set(name, arr);
        this.feeds[`opt_${name}`] = tensor('float32', arr, []);
      }
    }
  }

  static async compile(spec: TrainStepSpec): Promise<TrainStep> {
    const { graph: g, params, initialParams, update } = spec;
    if (params.length !== initialParams.length) {
      throw new Error(`TrainStep: ${params.length} parameters but ${initialParams.length} initial values`);
    }
    params.forEach((p, i) => {
      const size = sizeOf(fixedShape(p));
      if (p.dtype !== 'float32') throw new Error(`TrainStep: parameter ${p} must be float32`);
      if (initialParams[i].length !== size) {
        throw new Error(`TrainStep: parameter ${p.name} needs ${size} values, got ${initialParams[i].length}`);
      }
      if (spec.bake?.has(p)) throw new Error(`TrainStep: parameter ${p.name} cannot be baked`);
    });
    if (spec.loss.rank !== 0) throw new Error(`TrainStep: the loss must be a scalar, got ${spec.loss}`);
    const execution = resolveExecution(spec.execution);
    const kernels = execution.native && update.nativeUpdate ? nativeAddon(execution) : null;

    const grads = gradients(g, spec.loss, params);
    const outputs: { name: string; value: Value }[] = [{ name: 'loss', value: spec.loss }];
    const internal = new Set<Value>(params);
    let makePlacement: (() => Placement) | undefined;
    if (kernels) {
      params.forEach((p, i) => outputs.push({ name: `${p.name}${SEP}grad`, value: grads[i] }));
      makePlacement = () => nativePlacement(spec, kernels, execution);
    } else {
      const scalars: Record<string, Value> = {};
      for (const name of update.scalarNames) {
        scalars[name] = g.input(`opt_${name}`, 'float32', []);
        internal.add(scalars[name]);
      }
      const slots: Value[] = [];
      params.forEach((p, i) => {
        const state = update.stateSlots.map((slot) => g.input(`${p.name}${SEP}${slot}`, p.dtype, p.shape));
        const next = update.update(g, p, grads[i], state, scalars);
        slots.push(p, ...state);
        state.forEach((s) => internal.add(s));
        outputs.push({ name: `${p.name}${SEP}next`, value: next.param });
        state.forEach((s, k) => outputs.push({ name: `${s.name}${SEP}next`, value: next.state[k] }));
      });
      makePlacement = () => graphPlacement(spec, slots);
    }
    const extra = Object.entries(spec.outputs ?? {});
    for (const [name, value] of extra) {
      if (outputs.some((o) => o.name === name)) throw new Error(`TrainStep: output name "${name}" is reserved`);
      outputs.push({ name, value });
    }
    const dataInputs = g.inputs.filter((v) => !internal.has(v) && !spec.bake?.has(v));
    const bytes = emitOnnx(g, { inputs: g.inputs, outputs, bake: spec.bake, graphName: 'train_step' });
    const session = await openEngineSession(bytes, execution);
    // Only data inputs that the session actually reads must be fed.
    const used = new Set(session.inputNames);
    return new TrainStep(execution, session, spec, makePlacement(), dataInputs.filter((v) => used.has(v.name)), new Map(extra));
  }

  /** Names of the extra outputs a step can return. */
  get outputNames(): readonly string[] {
    return [...this.extraOutputs.keys()];
  }

  /** Number of steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Where the optimizer update runs. */
  get optimizerPlacement(): 'graph' | 'native' {
    return this.placement.kind;
  }

  /** Names and declared shapes of the data inputs each step needs. */
  get inputs(): readonly { name: string; dtype: DType; shape: readonly (number | string)[] }[] {
    return this.dataInputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
  }

  /**
   * One optimizer step on the fed batch. `fetch` names extra outputs to return.
   */
  async run(data: Readonly<Record<string, ort.Tensor>>, opts: { lr: number; fetch?: readonly string[] }): Promise<StepResult> {
    const lr = opts.lr;
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
      throw new Error(`learning rate must be a positive finite number, got ${lr}`);
    }
    this.bound.clear();
    for (const v of this.dataInputs) {
      const t = data[v.name];
      if (!t) throw new Error(`TrainStep.run: missing input "${v.name}" (expected ${v}); inputs: ${this.dataInputs.map((d) => d.name).join(', ')}`);
      checkFeed(v.name, t, v.dtype, v.shape, this.bound);
      this.feeds[v.name] = t;
    }
    for (const f of this.dimFeeds) {
      const size = this.bound.get(f.dim);
      if (size === undefined) throw new Error(`TrainStep.run: no input gives the size of dim "${f.dim}"`);
      f.data[0] = size;
    }
    const t = this.stepCount + 1;
    const scalars = this.spec.update.scalars(t, lr);
    for (const [name, value] of Object.entries(scalars)) {
      const arr = this.scalarArrays.get(name);
      if (arr) arr[0] = value;
    }
    const fetches: Record<string, ort.Tensor> = { loss: this.loss };
    this.placement.bind(this.feeds, fetches);
    const outputs: Record<string, ort.Tensor> = {};
    for (const name of opts.fetch ?? []) {
      const v = this.extraOutputs.get(name);
      if (!v) throw new Error(`TrainStep.run: unknown output "${name}"; outputs: ${this.outputNames.join(', ')}`);
      outputs[name] = fetches[name] = this.outputBuffer(name, v);
    }
    // Steps are short: they run on the main thread when the runner can (no hand-off to a worker
    // thread and back).
    if (this.session.runSync) this.session.runSync(this.feeds, fetches);
    else await this.session.run(this.feeds, fetches);
    this.placement.finish(scalars);
    this.stepCount = t;
    return { loss: this.loss.data[0] as number, outputs };
  }

  /** The buffer an extra output is written into, for the dim sizes bound by this step's inputs. */
  private outputBuffer(name: string, v: Value): ort.Tensor {
    const dims = v.shape.map((d) => {
      const size = typeof d === 'number' ? d : this.bound.get(d);
      if (size === undefined) throw new Error(`TrainStep.run: no input gives the size of dim "${d}" of output ${name}`);
      return size;
    });
    const key = `${name}[${dims.join(',')}]`;
    let t = this.outputBuffers.get(key);
    if (!t) {
      t = tensor(v.dtype, typedArrayFor(v.dtype, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0)), dims);
      this.outputBuffers.set(key, t);
    }
    return t;
  }

  /** dst[r] = src[rows[r]] for rows of `dim` floats: a batch's rows into its feed buffer. */
  gatherRows(src: Float32Array, dim: number, rows: Int32Array, dst: Float32Array): void {
    gatherRows(this.execution, src, dim, rows, dst);
  }

  /** Current parameter tensors (live views: they change after the next step). */
  parameterTensors(): ort.Tensor[] {
    return this.placement.params();
  }

  /** Copies of the current parameters. */
  parameters(): Float32Array[] {
    return this.parameterTensors().map((t) => Float32Array.from(t.data as Float32Array));
  }

  /** Everything needed to resume: step count, parameters and optimizer state (copies). */
  saveState(): TrainState {
    return {
      step: this.stepCount,
      params: this.parameters(),
      optimizerState: this.placement.states().flat().map((s) => Float32Array.from(s)),
    };
  }

  loadState(state: TrainState): void {
    const params = this.placement.params();
    const states = this.placement.states().flat();
    if (state.params.length !== params.length || state.optimizerState.length !== states.length) {
      throw new Error(`loadState: expected ${params.length} parameters and ${states.length} state arrays, got ${state.params.length} and ${state.optimizerState.length}`);
    }
    const copy = (dst: Float32Array, src: Float32Array, what: string) => {
      if (src.length !== dst.length) throw new Error(`loadState: ${what} needs ${dst.length} values, got ${src.length}`);
      dst.set(src);
    };
    params.forEach((p, i) => copy(p.data as Float32Array, state.params[i], this.spec.params[i].name));
    states.forEach((s, i) => copy(s, state.optimizerState[i], `optimizer state ${i}`));
    this.stepCount = state.step;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Parameters and state double-buffered: fed from one set, fetched into the other, then swapped. */
function graphPlacement(spec: TrainStepSpec, slots: Value[]): Placement {
  const buffers = [0, 1].map(() => slots.map((v) => {
    const k = spec.params.indexOf(v);
    const data = k >= 0 ? Float32Array.from(spec.initialParams[k]) : new Float32Array(sizeOf(fixedShape(v)));
    return tensor('float32', data, fixedShape(v));
  }));
  const paramIndex = spec.params.map((p) => slots.indexOf(p));
  const perParam = spec.update.stateSlots.length;
  let current = 0;
  return {
    kind: 'graph',
    params: () => paramIndex.map((k) => buffers[current][k]),
    states: () => paramIndex.map((k) => buffers[current].slice(k + 1, k + 1 + perParam).map((t) => t.data as Float32Array)),
    bind(feeds, fetches) {
      slots.forEach((v, k) => {
        feeds[v.name] = buffers[current][k];
        fetches[`${v.name}${SEP}next`] = buffers[1 - current][k];
      });
    },
    finish() {
      current = 1 - current;
    },
  };
}

/** Parameters and state in single buffers updated in place by the fused kernels after the graph gives the gradients. */
function nativePlacement(spec: TrainStepSpec, kernels: NativeAddon, execution: Execution): Placement {
  const params = spec.params.map((p, i) => tensor('float32', Float32Array.from(spec.initialParams[i]), fixedShape(p)));
  const grads = spec.params.map((p) => tensor('float32', new Float32Array(sizeOf(fixedShape(p))), fixedShape(p)));
  const states = spec.params.map((p) => spec.update.stateSlots.map(() => new Float32Array(sizeOf(fixedShape(p)))));
  const update = spec.update.nativeUpdate!.bind(spec.update);
  const threads = spec.updateThreads ?? execution.threads;
  return {
    kind: 'native',
    params: () => params,
    states: () => states,
    bind(feeds, fetches) {
      spec.params.forEach((p, i) => {
        feeds[p.name] = params[i];
        fetches[`${p.name}${SEP}grad`] = grads[i];
      });
    },
    finish(scalars) {
      params.forEach((p, i) => update(kernels, p.data as Float32Array, grads[i].data as Float32Array, states[i], scalars, threads));
    },
  };
}

/** Every dim of a parameter or state value as a number. */
function fixedShape(v: Value): number[] {
  return v.shape.map((d) => {
    if (typeof d !== 'number') throw new Error(`${v.name}: shape [${v.shape.join(', ')}] must be fully known`);
    return d;
  });
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
