// Models: a list of parameter shapes plus a forward function over the graph builder.
// Weights use PyTorch's [out, in] layout, so logits = x·Wᵀ + b and the weight gradient dzᵀ·x
// reads x in its own row-major layout.
import type { Graph, Value } from '../engine/graph.js';
import type { Rng } from '../util/random.js';
import { initBias, initWeight, type InitName } from './init.js';

export interface ParamShape {
  name: string;
  shape: number[];
}

export interface Model {
  readonly kind: string;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly params: readonly ParamShape[];
  /** Fresh initial parameters from a seeded generator. */
  init(rng: Rng): Float32Array[];
  /**
   * logits = f(x) given the parameter values (in the order of `params`). `featureMajor` computes
   * biased layers on [features, batch] activations: faster for the small batches of a training
   * step, slower for the large chunks of prediction (same result either way).
   */
  forward(g: Graph, x: Value, params: readonly Value[], opts?: { featureMajor?: boolean }): Value;
  /** A JSON description that rebuilds the model with `modelFromJSON`. */
  toJSON(): ModelDescription;
}

export type Activation = 'relu' | 'tanh';

export interface ModelDescription {
  kind: 'mlp';
  dims: number[];
  bias: boolean;
  activation: Activation;
  init: InitName;
  /** Standardisation of the raw input, part of the model (see InputScaling). */
  inputScaling?: { mean: number[]; scale: number[] };
}

/**
 * A fixed affine map of the raw input, x' = (x − mean)·scale per column (scale = 1/σ), applied inside
 * the model: training, evaluation and the exported ONNX model all take raw features. With a bias it
 * is folded into the first layer (W' = W·diag(scale), b' = b − W'·mean), costing K·d per step
 * rather than B·d, and no standardised copy of the data exists.
 */
export interface InputScaling {
  mean: Float32Array;
  scale: Float32Array;
}

function checkDims(dims: readonly number[]): void {
  if (dims.length < 2) throw new Error(`model: need at least input and output sizes, got [${dims.join(', ')}]`);
  for (const d of dims) {
    if (!(Number.isInteger(d) && d > 0)) throw new Error(`model: layer sizes must be positive integers, got [${dims.join(', ')}]`);
  }
}

/** A multilayer perceptron; with two dims it is a linear model. */
export function mlp(dims: readonly number[], opts: { bias?: boolean; activation?: Activation; init?: InitName; inputScaling?: InputScaling } = {}): Model {
  checkDims(dims);
  const bias = opts.bias ?? true;
  const scaling = opts.inputScaling;
  if (scaling && (scaling.mean.length !== dims[0] || scaling.scale.length !== dims[0])) {
    throw new Error(`model: input scaling has ${scaling.mean.length} means and ${scaling.scale.length} scales for ${dims[0]} inputs`);
  }
  const activation = opts.activation ?? 'relu';
  const init = opts.init ?? 'torch';
  if (activation !== 'relu' && activation !== 'tanh') throw new Error(`model: unknown activation "${activation as string}"; expected relu or tanh`);
  const params: ParamShape[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    params.push({ name: `layer${l}.weight`, shape: [dims[l + 1], dims[l]] });
    if (bias) params.push({ name: `layer${l}.bias`, shape: [dims[l + 1]] });
  }
  return {
    kind: dims.length === 2 ? 'linear' : 'mlp',
    inputDim: dims[0],
    outputDim: dims[dims.length - 1],
    params,
    init(rng) {
      const out: Float32Array[] = [];
      for (let l = 0; l + 1 < dims.length; l++) {
        out.push(initWeight(init, rng, dims[l + 1], dims[l]));
        if (bias) out.push(initBias(init, rng, dims[l + 1], dims[l]));
      }
      return out;
    },
    forward(g, x, params, opts = {}) {
      const p = [...params];
      let input = x;
      if (scaling) {
        const scale = g.constant(scaling.scale, [dims[0]], 'float32');
        const mean = g.constant(scaling.mean, [dims[0]], 'float32');
        if (bias) {
          p[0] = g.mul(params[0], scale);
          p[1] = g.sub(params[1], g.reduceSum(g.mul(p[0], mean), 1));
        } else {
          input = g.mul(g.sub(x, mean), scale);
        }
      }
      // Feature-major: activations [features, batch], one transpose of the logits at the end;
      // MLAS is faster with M = features than with M = a small batch.
      if (bias && opts.featureMajor) {
        let h = input;
        for (let l = 0; l + 1 < dims.length; l++) {
          h = g.linearT(p[2 * l], h, p[2 * l + 1], { inputBatchMajor: l === 0 });
          if (l + 2 < dims.length) h = activation === 'relu' ? g.relu(h) : g.tanh(h);
        }
        return g.transpose(h);
      }
      let h = input;
      let k = 0;
      for (let l = 0; l + 1 < dims.length; l++) {
        if (bias) {
          h = g.linear(h, p[k], p[k + 1]);
          k += 2;
        } else {
          h = g.matmul(h, p[k++], { transB: true });
        }
        if (l + 2 < dims.length) h = activation === 'relu' ? g.relu(h) : g.tanh(h);
      }
      return h;
    },
    toJSON: () => ({
      kind: 'mlp', dims: [...dims], bias, activation, init,
      ...(scaling ? { inputScaling: { mean: Array.from(scaling.mean), scale: Array.from(scaling.scale) } } : {}),
    }),
  };
}

export function linear(inputDim: number, outputDim: number, opts: { bias?: boolean; init?: InitName; inputScaling?: InputScaling } = {}): Model {
  return mlp([inputDim, outputDim], opts);
}

export function modelFromJSON(desc: ModelDescription): Model {
  if (desc?.kind !== 'mlp') throw new Error(`model description: unknown kind ${JSON.stringify(desc?.kind)}`);
  const s = desc.inputScaling;
  return mlp(desc.dims, { ...desc, inputScaling: s ? { mean: Float32Array.from(s.mean), scale: Float32Array.from(s.scale) } : undefined });
}
