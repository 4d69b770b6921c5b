// Optimizers as update rules built into the training-step graph (PyTorch semantics).
import type { Graph, Value } from '../engine/graph.js';
import type { NativeAddon } from '../engine/native/addon.js';

export interface OptimizerConfig {
  kind: 'sgd' | 'adam' | 'adamw';
  /** L2 penalty (SGD, Adam) or decoupled decay (AdamW). */
  weightDecay?: number;
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** The graph side and the per-step scalar side of an optimizer. */
export interface Optimizer {
  readonly config: Required<OptimizerConfig>;
  /** Names of per-parameter state slots (e.g. momentum buffer). */
  readonly stateSlots: readonly string[];
  /** Names of scalars fed each step. */
  readonly scalarNames: readonly string[];
  /** Nodes computing the next parameter and state from the gradient. */
  update(g: Graph, param: Value, grad: Value, state: readonly Value[], scalars: Readonly<Record<string, Value>>): { param: Value; state: Value[] };
  /** Values of the per-step scalars at step t (1-based) with learning rate lr, in float64. */
  scalars(t: number, lr: number): Record<string, number>;
  /** The same update as one fused pass (native/kernels.cc), in place. */
  nativeUpdate(k: NativeAddon, p: Float32Array, grad: Float32Array, state: Float32Array[], scalars: Record<string, number>, threads: number): void;
}

export function makeOptimizer(config: OptimizerConfig): Optimizer {
  const full: Required<OptimizerConfig> = {
    kind: config.kind,
    weightDecay: config.weightDecay ?? 0,
    momentum: config.momentum ?? 0,
    nesterov: config.nesterov ?? false,
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.999,
    eps: config.eps ?? 1e-8,
  };
  checkOptimizerConfig(full);
  return full.kind === 'sgd' ? sgd(full) : adam(full);
}

function checkOptimizerConfig(c: Required<OptimizerConfig>): void {
  if (!['sgd', 'adam', 'adamw'].includes(c.kind)) throw new Error(`optimizer: unknown kind "${c.kind}"; expected sgd, adam or adamw`);
  const nonNegative: [string, number][] = [['weightDecay', c.weightDecay], ['momentum', c.momentum], ['eps', c.eps]];
  for (const [name, v] of nonNegative) {
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`optimizer: ${name} must be a non-negative number, got ${v}`);
  }
  for (const [name, v] of [['beta1', c.beta1], ['beta2', c.beta2]] as const) {
    if (!(v >= 0 && v < 1)) throw new Error(`optimizer: ${name} must be in [0, 1), got ${v}`);
  }
  if (c.nesterov && c.momentum === 0) throw new Error('optimizer: nesterov needs a positive momentum');
}

/** torch.optim.SGD: g += wd·p; buf = μ·buf + g; p -= lr·(nesterov ? g + μ·buf : buf). */
function sgd(c: Required<OptimizerConfig>): Optimizer {
  const useMomentum = c.momentum > 0;
  return {
    config: c,
    stateSlots: useMomentum ? ['momentum'] : [],
    scalarNames: ['lr'],
    update(g, p, grad, state, s) {
      const dt = p.dtype;
      let d = c.weightDecay > 0 ? g.add(grad, g.mul(g.scalar(c.weightDecay, dt), p)) : grad;
      const next: Value[] = [];
      if (useMomentum) {
        // The buffer starts at zero, so μ·0 + g equals PyTorch's first-step buf = g.
        const buf = g.add(g.mul(g.scalar(c.momentum, dt), state[0]), d);
        next.push(buf);
        d = c.nesterov ? g.add(d, g.mul(g.scalar(c.momentum, dt), buf)) : buf;
      }
      return { param: g.sub(p, g.mul(s.lr, d)), state: next };
    },
    scalars: (_t, lr) => ({ lr }),
    nativeUpdate(k, p, grad, state, s, threads) {
      k.sgd(p, grad, useMomentum ? state[0] : null, s.lr, c.momentum, c.weightDecay, c.nesterov, threads);
    },
  };
}

/**
 * torch.optim.Adam / AdamW: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * p −= (lr / bc1) · m / (√v / √bc2 + ε), with bias corrections bc = 1 − βᵗ.
 * Adam adds wd·p to g (L2); AdamW first scales p by (1 − lr·wd).
 *
 * To save elementwise passes (each is a full read and write of a parameter-sized tensor), the
 * state is kept scaled: m̃ = m / (1−β1) and ṽ = v / (1−β2), so that m̃ ← β1·m̃ + g and
 * ṽ ← β2·ṽ + g², and the update p −= a · m̃ / (√ṽ + ε̂) folds every constant into the two
 * scalars a and ε̂ fed per step. Ten passes instead of thirteen; the same update in exact arithmetic.
 */
function adam(c: Required<OptimizerConfig>): Optimizer {
  const decoupled = c.kind === 'adamw';
  return {
    config: c,
    stateSlots: ['m', 'v'],
    scalarNames: decoupled ? ['stepScale', 'epsScaled', 'decayFactor'] : ['stepScale', 'epsScaled'],
    update(g, p, grad, state, s) {
      const dt = p.dtype;
      const gr = !decoupled && c.weightDecay > 0 ? g.add(grad, g.mul(g.scalar(c.weightDecay, dt), p)) : grad;
      const m = g.add(g.mul(g.scalar(c.beta1, dt), state[0]), gr);
      const v = g.add(g.mul(g.scalar(c.beta2, dt), state[1]), g.mul(gr, gr));
      const step = g.mul(s.stepScale, g.div(m, g.add(g.sqrt(v), s.epsScaled)));
      const base = decoupled ? g.mul(p, s.decayFactor) : p;
      return { param: g.sub(base, step), state: [m, v] };
    },
    scalars(t, lr) {
      const bc1 = 1 - c.beta1 ** t;
      const sqrtBc2 = Math.sqrt(1 - c.beta2 ** t);
      // m = (1−β1)·m̃, √v = √(1−β2)·√ṽ: p −= (lr/bc1)·(1−β1)·m̃ / (√(1−β2)·√ṽ/√bc2 + ε).
      const root = Math.sqrt(1 - c.beta2);
      const out: Record<string, number> = {
        stepScale: ((lr / bc1) * (1 - c.beta1) * sqrtBc2) / root,
        epsScaled: (c.eps * sqrtBc2) / root,
      };
      if (decoupled) out.decayFactor = 1 - lr * c.weightDecay;
      return out;
    },
    nativeUpdate(k, p, grad, state, s, threads) {
      k.adam(p, grad, state[0], state[1], c.beta1, c.beta2, decoupled ? 0 : c.weightDecay, s.stepScale, s.epsScaled, decoupled ? s.decayFactor : 1, threads);
    },
  };
}
