// ONNX Runtime sessions: created once per graph and reused for every call.
import ort from 'onnxruntime-node';
import type { DType, Shape, Value } from './graph.js';
import { parseDimInput } from './onnx.js';

export { ort };

export interface SessionOptions {
  threads: number;
  /** Let the session's worker threads spin between ops (see ExecutionOptions.spin). */
  spin?: boolean;
}

/** An onnxruntime-node session (see runtime.ts for the engine's sessions). */
export async function createSession(modelBytes: Uint8Array, opts: SessionOptions = { threads: 1 }): Promise<ort.InferenceSession> {
  const threads = opts.threads;
  if (!(Number.isInteger(threads) && threads > 0)) throw new Error(`threads must be a positive integer, got ${threads}`);
  return ort.InferenceSession.create(modelBytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // Each session has its own intra-op thread pool: spinning workers of one pool (the training
    // step) steal the cores of another (the predictor that evaluates beside it).
    // Denormal floats (gradients and moments decaying towards zero) run 10–100× slower on x86;
    // flushing them to zero changes nothing at the precision that training uses.
    extra: { session: { intra_op: { allow_spinning: opts.spin ? '1' : '0' }, set_denormal_as_zero: '1' } },
  });
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

const ORT_TYPES: Record<DType, ort.Tensor.Type> = {
  float32: 'float32', float64: 'float64', int32: 'int32', int64: 'int64', bool: 'bool',
};

/** Wrap a typed array as a tensor without copying (a subarray view is fine). */
export function tensor(dtype: DType, data: TensorData, dims: readonly number[]): ort.Tensor {
  const size = dims.reduce((s, d) => s * d, 1);
  if (data.length !== size) throw new Error(`tensor: dims [${dims.join(', ')}] need ${size} values, got ${data.length}`);
  return new ort.Tensor(ORT_TYPES[dtype], data as never, dims);
}

/** Check a fed tensor against the declared input: dtype, rank, fixed dims and named dims bound so far. */
export function checkFeed(name: string, t: ort.Tensor, dtype: DType, shape: Shape, bound: Map<string, number>): void {
  if (t.type !== ORT_TYPES[dtype]) throw new Error(`input ${name}: expected ${dtype}, got ${t.type}`);
  if (t.dims.length !== shape.length) {
    throw new Error(`input ${name}: expected shape [${shape.join(', ')}], got [${t.dims.join(', ')}]`);
  }
  shape.forEach((d, i) => {
    const got = t.dims[i];
    if (typeof d === 'number') {
      if (got !== d) throw new Error(`input ${name}: axis ${i} must be ${d}, got ${got} (shape [${t.dims.join(', ')}])`);
    } else {
      const prev = bound.get(d);
      if (prev !== undefined && prev !== got) {
        throw new Error(`input ${name}: axis ${i} ("${d}") is ${got} but another input has ${d} = ${prev}`);
      }
      bound.set(d, got);
    }
  });
}

/**
 * Feed the scalar inputs that carry sizes of named dims (see dimInputName in onnx.ts), read from
 * the shapes of the tensors fed for `inputs`. Adds them to `feeds`.
 */
export function bindDimInputs(inputNames: readonly string[], inputs: readonly Value[], feeds: Record<string, ort.Tensor>): void {
  for (const name of inputNames) {
    const parsed = parseDimInput(name);
    if (!parsed) continue;
    let size: number | undefined;
    for (const v of inputs) {
      const axis = v.shape.indexOf(parsed.dim);
      if (axis >= 0 && feeds[v.name]) {
        size = feeds[v.name].dims[axis];
        break;
      }
    }
    if (size === undefined) throw new Error(`no fed input has the dim "${parsed.dim}"`);
    feeds[name] = scalarTensor(parsed.dtype, size);
  }
}

export function scalarTensor(dtype: DType, value: number): ort.Tensor {
  return tensor(dtype, dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value), []);
}
