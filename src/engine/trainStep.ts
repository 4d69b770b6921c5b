// A compiled training step: forward, backward and optimizer update in one ONNX session.
// Parameters and optimizer state live in two preallocated buffer sets that swap every step:
// one is fed, the other receives the update, so a step allocates nothing for them.
import type { ConstantData, DType, Graph, Value } from './graph.js';
import { gradients } from './autodiff.js';
import { emitOnnx } from './onnx.js';
import { checkFeed, createSession, ort, tensor } from './session.js';

/** How an optimizer plugs into the step graph (see src/nn/optimizers.ts). */
export interface UpdateRule {
  readonly stateSlots: readonly string[];
  readonly scalarNames: readonly string[];
  update(g: Graph, param: Value, grad: Value, state: readonly Value[], scalars: Readonly<Record<string, Value>>): { param: Value; state: Value[] };
  scalars(t: number, lr: number): Record<string, number>;
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
  threads?: number;
}

export interface StepResult {
  loss: number;
  outputs: Record<string, ort.Tensor>;
}

export interface TrainState {
  step: number;
  params: Float32Array[];
  optimizerState: Float32Array[];
}

type FloatArray = Float32Array;

const STATE_SEP = '__';

export class TrainStep {
  private current = 0;
  private stepCount = 0;
  private readonly feeds: Record<string, ort.Tensor> = {};
  private readonly fetchBuffers: Record<string, ort.Tensor | null>[] = [{}, {}];
  private readonly scalarArrays = new Map<string, FloatArray>();
  private readonly bound = new Map<string, number>();

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly spec: TrainStepSpec,
    /** [buffer set][slot] where slots are params followed by optimizer state. */
    private readonly buffers: ort.Tensor[][],
    private readonly slotNames: string[],
    private readonly dataInputs: readonly Value[],
    readonly outputNames: readonly string[],
  ) {
    for (const name of spec.update.scalarNames) {
      const arr = new Float32Array(1);
      this.scalarArrays.set(name, arr);
      this.feeds[`opt_${name}`] = tensor('float32', arr, []);
    }
    for (let set = 0; set < 2; set++) {
      slotNames.forEach((name, k) => { this.fetchBuffers[set][`${name}${STATE_SEP}next`] = buffers[1 - set][k]; });
    }
    this.bindCurrent();
  }

  static async compile(spec: TrainStepSpec): Promise<TrainStep> {
    const { graph: g, params, initialParams, update } = spec;
    if (params.length !== initialParams.length) {
      throw new Error(`TrainStep: ${params.length} parameters but ${initialParams.length} initial values`);
    }
    params.forEach((p, i) => {
      const size = fixedSize(p);
      if (p.dtype !== 'float32') throw new Error(`TrainStep: parameter ${p} must be float32`);
      if (initialParams[i].length !== size) {
        throw new Error(`TrainStep: parameter ${p.name} needs ${size} values, got ${initialParams[i].length}`);
      }
      if (spec.bake?.has(p)) throw new Error(`TrainStep: parameter ${p.name} cannot be baked`);
    });
    if (spec.loss.rank !== 0) throw new Error(`TrainStep: the loss must be a scalar, got ${spec.loss}`);

    const grads = gradients(g, spec.loss, params);
    const scalars: Record<string, Value> = {};
    for (const name of update.scalarNames) scalars[name] = g.input(`opt_${name}`, 'float32', []);
    const slotNames: string[] = [];
    const slotValues: Value[] = [];
    const outputs: { name: string; value: Value }[] = [{ name: 'loss', value: spec.loss }];
    const stateInputs: Value[] = [];
    params.forEach((p, i) => {
      const state = update.stateSlots.map((slot) => g.input(`${p.name}${STATE_SEP}${slot}`, p.dtype, p.shape));
      const next = update.update(g, p, grads[i], state, scalars);
      slotNames.push(p.name);
      slotValues.push(p);
      outputs.push({ name: `${p.name}${STATE_SEP}next`, value: next.param });
      state.forEach((s, k) => {
        slotNames.push(s.name);
        slotValues.push(s);
        stateInputs.push(s);
        outputs.push({ name: `${s.name}${STATE_SEP}next`, value: next.state[k] });
      });
    });
    const extra = Object.entries(spec.outputs ?? {});
    for (const [name, value] of extra) {
      if (outputs.some((o) => o.name === name)) throw new Error(`TrainStep: output name "${name}" is reserved`);
      outputs.push({ name, value });
    }
    const paramSet = new Set<Value>(params);
    const stateSet = new Set<Value>(stateInputs);
    const scalarSet = new Set<Value>(Object.values(scalars));
    const dataInputs = g.inputs.filter((v) => !paramSet.has(v) && !stateSet.has(v) && !scalarSet.has(v) && !spec.bake?.has(v));
    const bytes = emitOnnx(g, { inputs: g.inputs, outputs, bake: spec.bake, graphName: 'train_step' });
    const session = await createSession(bytes, { threads: spec.threads });

    // Both buffer sets start with the initial values (state: zeros).
    const buffers = [0, 1].map(() => slotValues.map((v) => {
      const k = params.indexOf(v);
      const data = k >= 0 ? Float32Array.from(initialParams[k]) : new Float32Array(fixedSize(v));
      return tensor('float32', data, v.shape as number[]);
    }));
    // Only data inputs that the session actually reads must be fed.
    const used = new Set(session.inputNames);
    return new TrainStep(session, spec, buffers, slotNames, dataInputs.filter((v) => used.has(v.name)), extra.map(([n]) => n));
  }

  /** Number of steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Names and declared shapes of the data inputs each step needs. */
  get inputs(): readonly { name: string; dtype: DType; shape: readonly (number | string)[] }[] {
    return this.dataInputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
  }

  /** One optimizer step on the fed batch. `fetch` names extra outputs to return. */
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
    const t = this.stepCount + 1;
    const scalars = this.spec.update.scalars(t, lr);
    for (const [name, value] of Object.entries(scalars)) this.scalarArrays.get(name)![0] = value;

    const fetches: Record<string, ort.Tensor | null> = { ...this.fetchBuffers[this.current], loss: null };
    for (const name of opts.fetch ?? []) {
      if (!this.outputNames.includes(name)) throw new Error(`TrainStep.run: unknown output "${name}"; outputs: ${this.outputNames.join(', ')}`);
      fetches[name] = null;
    }
    const result = await this.session.run(this.feeds, fetches);
    this.current = 1 - this.current;
    this.stepCount = t;
    this.bindCurrent();
    const outputs: Record<string, ort.Tensor> = {};
    for (const name of opts.fetch ?? []) outputs[name] = result[name] as ort.Tensor;
    return { loss: (result.loss as ort.Tensor).data[0] as number, outputs };
  }

  /** Current parameter tensors (live views: they change after the next step). */
  parameterTensors(): ort.Tensor[] {
    return this.spec.params.map((p) => this.buffers[this.current][this.slotNames.indexOf(p.name)]);
  }

  /** Copies of the current parameters. */
  parameters(): Float32Array[] {
    return this.parameterTensors().map((t) => Float32Array.from(t.data as Float32Array));
  }

  /** Everything needed to resume: step count, parameters and optimizer state (copies). */
  saveState(): TrainState {
    const params: Float32Array[] = [];
    const optimizerState: Float32Array[] = [];
    this.slotNames.forEach((name, k) => {
      const copy = Float32Array.from(this.buffers[this.current][k].data as Float32Array);
      (this.spec.params.some((p) => p.name === name) ? params : optimizerState).push(copy);
    });
    return { step: this.stepCount, params, optimizerState };
  }

  loadState(state: TrainState): void {
    let pi = 0;
    let si = 0;
    this.slotNames.forEach((name, k) => {
      const src = this.spec.params.some((p) => p.name === name) ? state.params[pi++] : state.optimizerState[si++];
      const dst = this.buffers[this.current][k].data as Float32Array;
      if (!src || src.length !== dst.length) throw new Error(`loadState: slot ${name} needs ${dst.length} values, got ${src?.length}`);
      dst.set(src);
    });
    this.stepCount = state.step;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  private bindCurrent(): void {
    this.slotNames.forEach((name, k) => { this.feeds[name] = this.buffers[this.current][k]; });
  }
}

export function fixedSize(v: Value): number {
  let size = 1;
  for (const d of v.shape) {
    if (typeof d !== 'number') throw new Error(`${v.name}: shape [${v.shape.join(', ')}] must be fully known`);
    size *= d;
  }
  return size;
}
