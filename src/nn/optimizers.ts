// Optimizers as update rules built into the training-step graph (PyTorch semantics).
import type { Graph, Value } from '../engine/graph.js';

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
  };
}

/**
 * torch.optim.Adam / AdamW: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * p -= (lr / bc1) · m / (√v / √bc2 + ε), with bias corrections bc = 1 − βᵗ fed per step.
 * Adam adds wd·p to g (L2); AdamW first scales p by (1 − lr·wd).
 */
function adam(c: Required<OptimizerConfig>): Optimizer {
  const decoupled = c.kind === 'adamw';
  return {
    config: c,
    stateSlots: ['m', 'v'],
    scalarNames: decoupled ? ['stepSize', 'sqrtBc2', 'decayFactor'] : ['stepSize', 'sqrtBc2'],
    update(g, p, grad, state, s) {
      const dt = p.dtype;
      const gr = !decoupled && c.weightDecay > 0 ? g.add(grad, g.mul(g.scalar(c.weightDecay, dt), p)) : grad;
      const m = g.add(g.mul(g.scalar(c.beta1, dt), state[0]), g.mul(g.scalar(1 - c.beta1, dt), gr));
      const v = g.add(g.mul(g.scalar(c.beta2, dt), state[1]), g.mul(g.scalar(1 - c.beta2, dt), g.mul(gr, gr)));
      const denom = g.add(g.div(g.sqrt(v), s.sqrtBc2), g.scalar(c.eps, dt));
      const base = decoupled ? g.mul(p, s.decayFactor) : p;
      return { param: g.sub(base, g.mul(s.stepSize, g.div(m, denom))), state: [m, v] };
    },
    scalars(t, lr) {
      const bc1 = 1 - c.beta1 ** t;
      const bc2 = 1 - c.beta2 ** t;
      const out: Record<string, number> = { stepSize: lr / bc1, sqrtBc2: Math.sqrt(bc2) };
      if (decoupled) out.decayFactor = 1 - lr * c.weightDecay;
      return out;
    },
  };
}
