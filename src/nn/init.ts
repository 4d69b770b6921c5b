// Parameter initialisers, drawn from a seeded generator on the TypeScript side.
import type { Rng } from '../util/random.js';

export type InitName = 'torch' | 'xavier' | 'zeros';

/** U(−b, b) into a new array. */
function uniform(rng: Rng, size: number, bound: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (2 * rng.uniform() - 1) * bound;
  return out;
}

/**
 * PyTorch's nn.Linear default: kaiming_uniform(a=√5) on the weight, which is U(±1/√fan_in),
 * and U(±1/√fan_in) on the bias.
 */
export function torchLinearWeight(rng: Rng, fanOut: number, fanIn: number): Float32Array {
  return uniform(rng, fanOut * fanIn, 1 / Math.sqrt(fanIn));
}

export function torchLinearBias(rng: Rng, fanOut: number, fanIn: number): Float32Array {
  return uniform(rng, fanOut, 1 / Math.sqrt(fanIn));
}

/** Xavier (Glorot) uniform: U(±√(6 / (fan_in + fan_out))). */
export function xavierUniform(rng: Rng, fanOut: number, fanIn: number): Float32Array {
  return uniform(rng, fanOut * fanIn, Math.sqrt(6 / (fanIn + fanOut)));
}

export function zeros(size: number): Float32Array {
  return new Float32Array(size);
}

/** A weight matrix [fanOut, fanIn] by the named scheme. */
export function initWeight(name: InitName, rng: Rng, fanOut: number, fanIn: number): Float32Array {
  switch (name) {
    case 'torch': return torchLinearWeight(rng, fanOut, fanIn);
    case 'xavier': return xavierUniform(rng, fanOut, fanIn);
    case 'zeros': return zeros(fanOut * fanIn);
    default: throw new Error(`unknown initialiser "${name as string}"; expected torch, xavier or zeros`);
  }
}

/** A bias: PyTorch's default uniform for 'torch', zeros for the others (as XRM's MLP does). */
export function initBias(name: InitName, rng: Rng, fanOut: number, fanIn: number): Float32Array {
  return name === 'torch' ? torchLinearBias(rng, fanOut, fanIn) : zeros(fanOut);
}
