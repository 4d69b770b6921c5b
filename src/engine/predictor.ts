// Prediction sessions: x → outputs, with parameters fed as inputs (so they follow training)
// or baked in (for a standalone exported model).
import { writeFile } from 'node:fs/promises';
import type { Graph, Value } from './graph.js';
import { emitOnnx } from './onnx.js';
import { resolveExecution, type ExecutionOptions } from './execution.js';
import { openEngineSession, type EngineSession } from './runtime.js';
import { bindDimInputs, ort, tensor } from './session.js';

export interface PredictorSpec {
  graph: Graph;
  x: Value;
  params: readonly Value[];
  output: Value;
  execution?: ExecutionOptions;
}

export class Predictor {
  /** Ordinary memory that chunks of shared x are copied into (ONNX Runtime rejects SharedArrayBuffers). */
  private staging?: Float32Array;

  private constructor(
    private readonly session: EngineSession,
    private readonly spec: PredictorSpec,
    private readonly paramSource: () => readonly ort.Tensor[],
  ) {}

  /** `paramSource` gives the current parameter tensors on each call (e.g. from a TrainStep). */
  static async compile(spec: PredictorSpec, paramSource: () => readonly ort.Tensor[]): Promise<Predictor> {
    const dim = spec.x.shape[1];
    if (typeof dim !== 'number') throw new Error(`predictor: x's feature dim must be a number, got "${dim}"`);
    const bytes = emitOnnx(spec.graph, {
      inputs: [spec.x, ...spec.params],
      outputs: [{ name: 'output', value: spec.output }],
      graphName: 'predict',
    });
    return new Predictor(await openEngineSession(bytes, resolveExecution(spec.execution)), spec, paramSource);
  }

  get inputDim(): number {
    return this.spec.x.shape[1] as number;
  }

  get outputDim(): number {
    return this.spec.output.shape[1] as number;
  }

  /**
   * Outputs for n rows of x, streamed in chunks of views over x (no copy of the input). When x lives
   * in a SharedArrayBuffer each chunk is copied into one reusable buffer instead.
   * Memory beyond x is the n × K result plus one chunk's intermediates (and that buffer).
   * `params` replaces the parameter source for this call (e.g. a snapshot taken during training).
   */
  async run(x: Float32Array, n: number, opts: { chunk?: number; out?: Float32Array; params?: readonly ort.Tensor[] } = {}): Promise<Float32Array> {
    const d = this.inputDim;
    const k = this.outputDim;
    if (x.length !== n * d) throw new Error(`predict: x has ${x.length} values, expected ${n} rows × ${d} features`);
    const chunk = opts.chunk ?? 8192;
    if (!(Number.isInteger(chunk) && chunk > 0)) throw new Error(`predict: chunk must be a positive integer, got ${chunk}`);
    const out = opts.out ?? new Float32Array(n * k);
    if (out.length !== n * k) throw new Error(`predict: out has ${out.length} values, expected ${n * k}`);
    const params = opts.params ?? this.paramSource();
    if (params.length !== this.spec.params.length) throw new Error(`predict: ${params.length} parameter tensors given, the model has ${this.spec.params.length}`);
    // Calls may overlap (each has its own feeds; the staging buffer goes to one call at a time).
    const feeds: Record<string, ort.Tensor> = {};
    this.spec.params.forEach((p, i) => { feeds[p.name] = params[i]; });
    const shared = typeof SharedArrayBuffer !== 'undefined' && x.buffer instanceof SharedArrayBuffer;
    let staging: Float32Array | undefined;
    if (shared) {
      staging = this.staging && this.staging.length >= Math.min(chunk, n) * d ? this.staging : new Float32Array(Math.min(chunk, n) * d);
      this.staging = undefined;
    }
    try {
      for (let start = 0; start < n; start += chunk) {
        const rows = Math.min(chunk, n - start);
        let xs = x.subarray(start * d, (start + rows) * d);
        if (staging) {
          const copy = staging.subarray(0, rows * d);
          copy.set(xs);
          xs = copy;
        }
        feeds[this.spec.x.name] = tensor('float32', xs, [rows, d]);
        bindDimInputs(this.session.inputNames, [this.spec.x], feeds);
        const target = tensor('float32', out.subarray(start * k, (start + rows) * k), [rows, k]);
        await this.session.run(feeds, { output: target });
      }
    } finally {
      if (staging) this.staging = staging;
    }
    return out;
  }

  /**
   * Whether a run of this predictor may have finished and be waiting for the main thread to return
   * to the event loop (true whenever the runner cannot tell).
   */
  finishedRunWaiting(): boolean {
    return this.session.finishedRunWaiting?.() ?? true;
  }

  /**
   * Bytes of a standalone ONNX model (input "x", output "logits") with the current parameters, or
   * the given ones (a kept snapshot, say), baked in.
   */
  exportBytes(params?: readonly Float32Array[]): Uint8Array {
    const values = params ?? this.paramSource().map((t) => t.data as Float32Array);
    if (values.length !== this.spec.params.length) throw new Error(`exportBytes: ${values.length} parameter arrays given, the model has ${this.spec.params.length}`);
    const bake = new Map(this.spec.params.map((p, i) => {
      const size = p.shape.reduce<number>((a, d) => a * (d as number), 1);
      if (values[i].length !== size) throw new Error(`exportBytes: parameter ${p.name} needs ${size} values, got ${values[i].length}`);
      return [p, Float32Array.from(values[i])];
    }));
    return emitOnnx(this.spec.graph, {
      inputs: [this.spec.x],
      outputs: [{ name: 'logits', value: this.spec.output }],
      bake,
      graphName: 'predictor',
    });
  }

  async exportOnnx(path: string, params?: readonly Float32Array[]): Promise<void> {
    await writeFile(path, this.exportBytes(params));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
