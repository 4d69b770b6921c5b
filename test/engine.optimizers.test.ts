// Optimizers built into the step graph against a float64 TypeScript implementation of PyTorch's
// update rules, on a linear softmax-cross-entropy model whose gradient is computed in closed form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../src/engine/session.js';
import { resolveExecution } from '../src/engine/execution.js';
import { compileClassifier } from '../src/nn/classifier.js';
import { linear } from '../src/nn/models.js';
import { makeOptimizer, type OptimizerConfig } from '../src/nn/optimizers.js';
import { Rng } from '../src/util/random.js';

const N = 12;
const D = 4;
const K = 3;
const BATCH = 6;
const rng = new Rng(42);
const X = Float32Array.from({ length: N * D }, () => rng.normal());
const Y = Int32Array.from({ length: N }, (_, i) => (i * 5 + 1) % K);
const MODEL = linear(D, K);
const INIT = MODEL.init(new Rng(7));

/** Rows of step t (1-based): alternate halves of the data. */
function batchRows(t: number): number[] {
  const start = ((t - 1) % 2) * BATCH;
  return Array.from({ length: BATCH }, (_, i) => start + i);
}

/** Gradient of mean CE of logits = x·Wᵀ + b over `rows`, in float64. */
function ceGradient(w: Float64Array, b: Float64Array, rows: number[]): [Float64Array, Float64Array] {
  const dW = new Float64Array(K * D);
  const db = new Float64Array(K);
  for (const i of rows) {
    const z = new Float64Array(K);
    for (let c = 0; c < K; c++) {
      let s = b[c];
      for (let j = 0; j < D; j++) s += X[i * D + j] * w[c * D + j];
      z[c] = s;
    }
    const m = Math.max(...z);
    const e = Array.from(z, (v) => Math.exp(v - m));
    const tot = e.reduce((a, v) => a + v, 0);
    for (let c = 0; c < K; c++) {
      const dz = (e[c] / tot - (c === Y[i] ? 1 : 0)) / rows.length;
      db[c] += dz;
      for (let j = 0; j < D; j++) dW[c * D + j] += dz * X[i * D + j];
    }
  }
  return [dW, db];
}

/** PyTorch's torch.optim.{SGD, Adam, AdamW}.step for one parameter tensor, in float64. */
class ReferenceOptimizer {
  private readonly state = new Map<number, { buf?: Float64Array; m?: Float64Array; v?: Float64Array }>();
  private t = 0;
  constructor(private readonly c: OptimizerConfig) {}

  step(params: Float64Array[], grads: Float64Array[], lr: number): void {
    this.t++;
    const wd = this.c.weightDecay ?? 0;
    params.forEach((p, idx) => {
      const st = this.state.get(idx) ?? {};
      this.state.set(idx, st);
      const g = Float64Array.from(grads[idx]);
      if (this.c.kind === 'sgd') {
        const mu = this.c.momentum ?? 0;
        if (wd !== 0) for (let i = 0; i < p.length; i++) g[i] += wd * p[i];
        let d: Float64Array = g;
        if (mu !== 0) {
          if (!st.buf) st.buf = Float64Array.from(g); // first step: buf = d_p (clone)
          else for (let i = 0; i < p.length; i++) st.buf[i] = mu * st.buf[i] + g[i]; // dampening 0
          d = this.c.nesterov ? Float64Array.from(g, (v, i) => v + mu * st.buf![i]) : st.buf;
        }
        for (let i = 0; i < p.length; i++) p[i] -= lr * d[i];
        return;
      }
      const b1 = this.c.beta1 ?? 0.9;
      const b2 = this.c.beta2 ?? 0.999;
      const eps = this.c.eps ?? 1e-8;
      if (this.c.kind === 'adamw') for (let i = 0; i < p.length; i++) p[i] *= 1 - lr * wd;
      else if (wd !== 0) for (let i = 0; i < p.length; i++) g[i] += wd * p[i];
      st.m ??= new Float64Array(p.length);
      st.v ??= new Float64Array(p.length);
      const bc1 = 1 - b1 ** this.t;
      const bc2 = 1 - b2 ** this.t;
      const stepSize = lr / bc1;
      for (let i = 0; i < p.length; i++) {
        st.m[i] = b1 * st.m[i] + (1 - b1) * g[i];
        st.v[i] = b2 * st.v[i] + (1 - b2) * g[i] * g[i];
        const denom = Math.sqrt(st.v[i]) / Math.sqrt(bc2) + eps;
        p[i] -= stepSize * (st.m[i] / denom);
      }
    });
  }
}

function assertClose(actual: Float32Array, expected: Float64Array, what: string, rel = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= rel * Math.max(Math.abs(expected[i]), 1e-1), `${what}[${i}]: expected ${expected[i]}, got ${actual[i]} (error ${err})`);
  }
}

const CONFIGS: [string, OptimizerConfig, number][] = [
  ['SGD', { kind: 'sgd' }, 0.5],
  ['SGD momentum 0.9 + weight decay', { kind: 'sgd', momentum: 0.9, weightDecay: 0.05 }, 0.3],
  ['SGD nesterov', { kind: 'sgd', momentum: 0.9, nesterov: true }, 0.3],
  ['SGD nesterov + weight decay', { kind: 'sgd', momentum: 0.8, nesterov: true, weightDecay: 0.01 }, 0.3],
  ['Adam', { kind: 'adam' }, 0.05],
  ['Adam with weight decay', { kind: 'adam', weightDecay: 0.1 }, 0.05],
  ['Adam with other betas and eps', { kind: 'adam', beta1: 0.5, beta2: 0.9, eps: 1e-3 }, 0.05],
  ['AdamW', { kind: 'adamw', weightDecay: 0.1 }, 0.05],
  ['AdamW (default decay 0)', { kind: 'adamw' }, 0.05],
];

// Both places the update can run: ONNX nodes in the step graph, and the addon's fused kernels
// (when it is in use here).
const PLACEMENTS = resolveExecution().native ? (['graph', 'native'] as const) : (['graph'] as const);

for (const [name, config, baseLr] of CONFIGS) for (const placement of PLACEMENTS) {
  test(`${name} (${placement}): 5 steps match PyTorch's update rule`, async () => {
    const c = await compileClassifier(MODEL, { loss: 'ce', optimizer: config, initialParams: INIT, execution: { threads: 1, native: placement === 'native' } });
    assert.equal(c.step.optimizerPlacement, placement);
    try {
      const ref = INIT.map((p) => Float64Array.from(p));
      const opt = new ReferenceOptimizer(config);
      for (let t = 1; t <= 5; t++) {
        const rows = batchRows(t);
        // A learning rate that changes each step (a schedule): the step must use the fed value.
        const lr = baseLr * (1 - 0.1 * (t - 1));
        const xb = new Float32Array(BATCH * D);
        rows.forEach((r, i) => xb.set(X.subarray(r * D, (r + 1) * D), i * D));
        const yb = Int32Array.from(rows, (r) => Y[r]);
        await c.step.run({ x: tensor('float32', xb, [BATCH, D]), y: tensor('int32', yb, [BATCH]) }, { lr });
        const grads = ceGradient(ref[0], ref[1], rows);
        opt.step(ref, grads, lr);
        const got = c.step.parameters();
        assertClose(got[0], ref[0], `${name} step ${t} weight`);
        assertClose(got[1], ref[1], `${name} step ${t} bias`);
      }
      assert.equal(c.step.steps, 5);
      // Sanity: the parameters did move.
      assert.ok(c.step.parameters()[0].some((v, i) => Math.abs(v - INIT[0][i]) > 1e-3));
    } finally {
      await c.dispose();
    }
  });
}

test('a bad learning rate is rejected before any step runs', async () => {
  const c = await compileClassifier(MODEL, { loss: 'ce', optimizer: { kind: 'adam' }, initialParams: INIT, execution: { threads: 1 } });
  try {
    const feeds = { x: tensor('float32', X.subarray(0, BATCH * D), [BATCH, D]), y: tensor('int32', Y.subarray(0, BATCH), [BATCH]) };
    for (const lr of [0, -1, NaN, Infinity, '0.1' as unknown as number, undefined as unknown as number]) {
      await assert.rejects(c.step.run(feeds, { lr }), /learning rate/, `lr = ${String(lr)}`);
      assert.equal(c.step.steps, 0, `no step counted after lr = ${String(lr)}`);
      c.step.parameters().forEach((p, j) => assert.deepEqual(Array.from(p), Array.from(INIT[j]), `parameters untouched after lr = ${String(lr)}`));
    }
    // And a good one still works afterwards, as the first step (t = 1 bias correction).
    await c.step.run(feeds, { lr: 0.01 });
    assert.equal(c.step.steps, 1);
    // Adam's first step moves every parameter with a non-zero gradient by about lr.
    const moved = c.step.parameters()[1].map((v, i) => Math.abs(v - INIT[1][i]));
    for (const m of moved) assert.ok(Math.abs(m - 0.01) < 1e-4, `first Adam step size ${m}`);
  } finally {
    await c.dispose();
  }
});

test('an unknown optimizer kind is rejected', async () => {
  assert.throws(() => makeOptimizer({ kind: 'rmsprop' as 'sgd' }), /unknown kind "rmsprop"/);
  await assert.rejects(
    compileClassifier(MODEL, { loss: 'ce', optimizer: { kind: 'lion' as 'sgd' }, initialParams: INIT, execution: { threads: 1 } }),
    /lion/,
  );
});

test('invalid optimizer settings are rejected', () => {
  assert.throws(() => makeOptimizer({ kind: 'sgd', nesterov: true }), /nesterov/);
  assert.throws(() => makeOptimizer({ kind: 'sgd', momentum: -0.1 }), /momentum/);
  assert.throws(() => makeOptimizer({ kind: 'adam', weightDecay: -1 }), /weightDecay/);
  assert.throws(() => makeOptimizer({ kind: 'adam', beta1: 1 }), /beta1/);
  assert.throws(() => makeOptimizer({ kind: 'adam', beta2: NaN }), /beta2/);
  assert.throws(() => makeOptimizer({ kind: 'adamw', eps: NaN }), /eps/);
});

test('optimizer state slots: SGD without momentum has none, with momentum one, Adam two', () => {
  assert.deepEqual(makeOptimizer({ kind: 'sgd' }).stateSlots, []);
  assert.deepEqual(makeOptimizer({ kind: 'sgd', momentum: 0.9 }).stateSlots.length, 1);
  assert.equal(makeOptimizer({ kind: 'adam' }).stateSlots.length, 2);
  assert.equal(makeOptimizer({ kind: 'adamw', weightDecay: 0.1 }).stateSlots.length, 2);
});
