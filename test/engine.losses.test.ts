// Losses: values against hand computations in float64, numerical stability, per-example weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../src/engine/graph.js';
import { gradients } from '../src/engine/autodiff.js';
import { emitOnnx } from '../src/engine/onnx.js';
import { createSession, tensor, ort } from '../src/engine/session.js';
import { classBalancedMean, meanSquaredError, perExampleCrossEntropy, weightedMean } from '../src/nn/losses.js';
import { compileClassifier } from '../src/nn/classifier.js';
import { linear, mlp } from '../src/nn/models.js';
import { Rng } from '../src/util/random.js';

const close = (actual: number, expected: number, rel: number, what = '') =>
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)),
    `${what}: expected ${expected}, got ${actual} (difference ${Math.abs(actual - expected)})`,
  );

/** −log softmax(z)[y] in float64, computed the long way (max-subtracted). */
function ceRef(z: number[], y: number): number {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return lse - z[y];
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const s = await createSession(bytes, { threads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

const B = 4;
const K = 3;
const LOGITS = [2.0, -1.0, 0.5, 0.1, 0.2, 0.3, -3.0, 4.0, 1.0, 0.0, 0.0, 0.0];
const SHIFT = [-0.5, 0.0, -2.3, 1.0, -1.0, 0.0, -13.8, 0.0, -0.1, 0.7, 0.0, -0.7];
const LABELS = [0, 2, 1, 1];

test('per-example cross-entropy with a shift matches a hand computation (float64 graph)', async () => {
  const g = new Graph();
  const z = g.input('z', 'float64', ['batch', K]);
  const s = g.input('s', 'float64', ['batch', K]);
  const y = g.input('y', 'int32', ['batch']);
  const pe = perExampleCrossEntropy(g, z, y, s);
  const peNoShift = perExampleCrossEntropy(g, z, y);
  const res = await run(
    emitOnnx(g, { inputs: [z, s, y], outputs: [{ name: 'pe', value: pe }, { name: 'pe0', value: peNoShift }] }),
    {
      z: tensor('float64', Float64Array.from(LOGITS), [B, K]),
      s: tensor('float64', Float64Array.from(SHIFT), [B, K]),
      y: tensor('int32', Int32Array.from(LABELS), [B]),
    },
  );
  const got = (res.pe as ort.Tensor).data as Float64Array;
  const got0 = (res.pe0 as ort.Tensor).data as Float64Array;
  for (let i = 0; i < B; i++) {
    const zi = LOGITS.slice(i * K, i * K + K);
    const shifted = zi.map((v, k) => v + SHIFT[i * K + k]);
    close(got[i], ceRef(shifted, LABELS[i]), 1e-13, `shifted loss ${i}`);
    close(got0[i], ceRef(zi, LABELS[i]), 1e-13, `unshifted loss ${i}`);
  }
  // Worked example for row 0: z + s = [1.5, −1, −1.8], y = 0:
  // log(e^1.5 + e^−1 + e^−1.8) − 1.5 = log(4.48169 + 0.36788 + 0.16530) − 1.5.
  close(got[0], Math.log(Math.exp(1.5) + Math.exp(-1) + Math.exp(-1.8)) - 1.5, 1e-13, 'row 0');
});

test('compileClassifier with shift: loss and perExampleLoss match float64 hand computation', async () => {
  // A linear model with identity weights and zero bias makes logits = x exactly.
  const model = linear(K, K);
  const eye = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const c = await compileClassifier(model, {
    loss: 'ce',
    shift: true,
    optimizer: { kind: 'sgd' },
    initialParams: [eye, new Float32Array(K)],
    execution: { threads: 1 },
  });
  try {
    const res = await c.step.run(
      {
        x: tensor('float32', Float32Array.from(LOGITS), [B, K]),
        y: tensor('int32', Int32Array.from(LABELS), [B]),
        shift: tensor('float32', Float32Array.from(SHIFT), [B, K]),
      },
      { lr: 1e-3, fetch: ['logits', 'perExampleLoss'] },
    );
    const pe = res.outputs.perExampleLoss.data as Float32Array;
    const logits = res.outputs.logits.data as Float32Array;
    let mean = 0;
    for (let i = 0; i < B; i++) {
      // logits are reported without the shift
      for (let k = 0; k < K; k++) close(logits[i * K + k], Math.fround(LOGITS[i * K + k]), 1e-6, `logit ${i},${k}`);
      const shifted = LOGITS.slice(i * K, i * K + K).map((v, k) => Math.fround(v) + Math.fround(SHIFT[i * K + k]));
      const ref = ceRef(shifted, LABELS[i]);
      close(pe[i], ref, 1e-6, `per-example loss ${i}`);
      mean += ref / B;
    }
    close(res.loss, mean, 1e-6, 'batch loss');
  } finally {
    await c.dispose();
  }
});

test('the shift carries no gradient: the update equals the one from (softmax(z+s) − onehot)·x', async () => {
  // With SGD, lr·grad = p0 − p1. logits = x·Wᵀ + b; dL/dW = (1/B)·(softmax(z+s) − Y)ᵀ·x.
  const model = linear(K, K);
  const w0 = Float32Array.from([0.3, -0.2, 0.1, 0.0, 0.5, -0.4, 0.2, 0.2, -0.1]);
  const b0 = Float32Array.from([0.05, -0.05, 0.0]);
  const x = Float32Array.from(LOGITS);
  const lr = 0.5;
  const c = await compileClassifier(model, { loss: 'ce', shift: true, optimizer: { kind: 'sgd' }, initialParams: [w0, b0], execution: { threads: 1 } });
  try {
    await c.step.run(
      { x: tensor('float32', x, [B, K]), y: tensor('int32', Int32Array.from(LABELS), [B]), shift: tensor('float32', Float32Array.from(SHIFT), [B, K]) },
      { lr },
    );
    const [w1, b1] = c.step.parameters();
    const dW = new Float64Array(K * K);
    const db = new Float64Array(K);
    for (let i = 0; i < B; i++) {
      const z = [0, 1, 2].map((k) => b0[k] + [0, 1, 2].reduce((s, j) => s + x[i * K + j] * w0[k * K + j], 0) + Math.fround(SHIFT[i * K + k]));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const tot = e.reduce((a, v) => a + v, 0);
      for (let k = 0; k < K; k++) {
        const dz = (e[k] / tot - (LABELS[i] === k ? 1 : 0)) / B;
        db[k] += dz;
        for (let j = 0; j < K; j++) dW[k * K + j] += dz * x[i * K + j];
      }
    }
    for (let k = 0; k < K * K; k++) close(w1[k], w0[k] - lr * dW[k], 1e-6, `W[${k}]`);
    for (let k = 0; k < K; k++) close(b1[k], b0[k] - lr * db[k], 1e-6, `b[${k}]`);
  } finally {
    await c.dispose();
  }
});

test('class-balanced loss: Σ over present classes of the class mean, an absent class contributes 0', async () => {
  // K = 3, labels [0, 0, 2, 2, 2]: class 1 absent.
  // loss = (ℓ0 + ℓ1)/2 + (ℓ2 + ℓ3 + ℓ4)/3
  const z = [1, 0, -1, 0.5, 0.5, 0, 2, 1, 0, -1, -1, 3, 0, 0, 0];
  const y = [0, 0, 2, 2, 2];
  const ell = y.map((label, i) => ceRef(z.slice(3 * i, 3 * i + 3), label));
  const expected = (ell[0] + ell[1]) / 2 + (ell[2] + ell[3] + ell[4]) / 3;

  // float64 graph
  const g = new Graph();
  const zv = g.input('z', 'float64', ['batch', 3]);
  const yv = g.input('y', 'int32', ['batch']);
  const loss = classBalancedMean(g, perExampleCrossEntropy(g, zv, yv), g.oneHot(yv, 3, 'float64'));
  const res = await run(emitOnnx(g, { inputs: [zv, yv], outputs: [{ name: 'l', value: loss }] }), {
    z: tensor('float64', Float64Array.from(z), [5, 3]),
    y: tensor('int32', Int32Array.from(y), [5]),
  });
  close((res.l as ort.Tensor).data[0] as number, expected, 1e-13, 'float64 balanced loss');

  // through compileClassifier (float32), logits = x via identity weights
  const eye = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const c = await compileClassifier(linear(3, 3), { loss: 'balanced_ce', optimizer: { kind: 'sgd' }, initialParams: [eye, new Float32Array(3)], execution: { threads: 1 } });
  try {
    const r = await c.step.run({ x: tensor('float32', Float32Array.from(z), [5, 3]), y: tensor('int32', Int32Array.from(y), [5]) }, { lr: 1e-3, fetch: ['perExampleLoss'] });
    close(r.loss, expected, 1e-6, 'compiled balanced loss');
    const pe = r.outputs.perExampleLoss.data as Float32Array;
    ell.forEach((l, i) => close(pe[i], l, 1e-6, `per-example ${i}`));
    // And differently from the plain mean:
    const plainMean = ell.reduce((a, b) => a + b, 0) / 5;
    assert.ok(Math.abs(r.loss - plainMean) > 0.1);
  } finally {
    await c.dispose();
  }
});

test('balanced_ce rejects per-example weights', async () => {
  await assert.rejects(
    compileClassifier(linear(2, 2), { loss: 'balanced_ce', weights: true, optimizer: { kind: 'sgd' }, initialParams: [new Float32Array(4), new Float32Array(2)] }),
    /weights/,
  );
});

test('MSE: mean over every element; per-example = mean over outputs', async () => {
  const pred = [0.5, -1, 2, 0, 1, 1];
  const target = [1, -1, 0, 0.5, 0, 3];
  const expected = pred.reduce((s, p, i) => s + (p - target[i]) ** 2, 0) / 6;
  const g = new Graph();
  const p = g.input('p', 'float64', [3, 2]);
  const t = g.input('t', 'float64', [3, 2]);
  const res = await run(emitOnnx(g, { inputs: [p, t], outputs: [{ name: 'l', value: meanSquaredError(g, p, t) }] }), {
    p: tensor('float64', Float64Array.from(pred), [3, 2]),
    t: tensor('float64', Float64Array.from(target), [3, 2]),
  });
  close((res.l as ort.Tensor).data[0] as number, expected, 1e-14, 'float64 mse');

  // compileClassifier 'mse': logits = x (identity), targets fed.
  const c = await compileClassifier(linear(2, 2), { loss: 'mse', optimizer: { kind: 'sgd' }, initialParams: [Float32Array.from([1, 0, 0, 1]), new Float32Array(2)], execution: { threads: 1 } });
  try {
    const r = await c.step.run({ x: tensor('float32', Float32Array.from(pred), [3, 2]), targets: tensor('float32', Float32Array.from(target), [3, 2]) }, { lr: 1e-3, fetch: ['perExampleLoss'] });
    close(r.loss, expected, 1e-6, 'compiled mse');
    const pe = r.outputs.perExampleLoss.data as Float32Array;
    for (let i = 0; i < 3; i++) close(pe[i], ((pred[2 * i] - target[2 * i]) ** 2 + (pred[2 * i + 1] - target[2 * i + 1]) ** 2) / 2, 1e-6, `mse row ${i}`);
  } finally {
    await c.dispose();
  }
});

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

test('stability: logits and shifts of magnitude 1e4 give finite loss, logits and parameters', async () => {
  // logits = x with identity weights; x entries ±1e4.
  const x = Float32Array.from([1e4, -1e4, 0, -1e4, 1e4, 5e3, 2e4, -2e4, 1e4, 0, 0, -1e4]);
  const shift = Float32Array.from([-1e4, 1e4, 0, 1e4, 0, -1e4, -2e4, 2e4, 0, 1e4, -1e4, 0]);
  const y = Int32Array.from([1, 0, 2, 2]);
  const eye = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  for (const optimizer of [{ kind: 'sgd' as const }, { kind: 'adam' as const }]) {
    const c = await compileClassifier(linear(3, 3), { loss: 'ce', shift: true, optimizer, initialParams: [eye, new Float32Array(3)], execution: { threads: 1 } });
    try {
      for (let s = 0; s < 3; s++) {
        const r = await c.step.run(
          { x: tensor('float32', x, [4, 3]), y: tensor('int32', y, [4]), shift: tensor('float32', shift, [4, 3]) },
          { lr: 1e-6, fetch: ['logits', 'perExampleLoss'] },
        );
        assert.ok(Number.isFinite(r.loss), `loss ${r.loss}`);
        assert.ok(allFinite(r.outputs.perExampleLoss.data as Float32Array), 'per-example losses');
        assert.ok(allFinite(r.outputs.logits.data as Float32Array), 'logits');
        for (const p of c.step.parameters()) assert.ok(allFinite(p), `${optimizer.kind}: parameters after step ${s + 1}`);
        if (s === 0) {
          // The first step's losses, in float64 from the float32 inputs (z + s).
          const pe = r.outputs.perExampleLoss.data as Float32Array;
          for (let i = 0; i < 4; i++) {
            const zs = [0, 1, 2].map((k) => x[i * 3 + k] + shift[i * 3 + k]);
            close(pe[i], ceRef(zs, y[i]), 1e-6, `loss of row ${i}`);
          }
        }
      }
      // The parameters moved (the gradient is not 0 and not NaN).
      const [w] = c.step.parameters();
      assert.ok(w.some((v, i) => v !== eye[i]));
    } finally {
      await c.dispose();
    }
  }
});

test('stability: MAT shifts log(softmax(h/0.001) + 1e-6) with large held-out logits', async () => {
  const rng = new Rng(5);
  const n = 16;
  const d = 6;
  const k = 2;
  const h = Float64Array.from({ length: n * k }, () => 50 * rng.normal()); // held-out logits
  const shift = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = [h[i * k] / 0.001, h[i * k + 1] / 0.001];
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const tot = e[0] + e[1];
    for (let c = 0; c < k; c++) shift[i * k + c] = Math.log(e[c] / tot + 1e-6);
  }
  assert.ok(allFinite(shift));
  assert.ok(Math.min(...shift) < -13, 'some shifts hit the 1e-6 floor');
  const x = Float32Array.from({ length: n * d }, () => 1e3 * rng.normal());
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % 2);
  const model = mlp([d, 8, k]);
  const c = await compileClassifier(model, { loss: 'ce', shift: true, optimizer: { kind: 'adam' }, initialParams: model.init(new Rng(1)), execution: { threads: 1 } });
  try {
    for (let s = 0; s < 5; s++) {
      const r = await c.step.run(
        { x: tensor('float32', x, [n, d]), y: tensor('int32', y, [n]), shift: tensor('float32', shift, [n, k]) },
        { lr: 1e-3, fetch: ['perExampleLoss'] },
      );
      assert.ok(Number.isFinite(r.loss));
      assert.ok(allFinite(r.outputs.perExampleLoss.data as Float32Array));
      for (const p of c.step.parameters()) assert.ok(allFinite(p));
    }
  } finally {
    await c.dispose();
  }
});

test('float64 graph: gradient of CE is finite at logits ±1e4 (no NaN from exp overflow)', async () => {
  const g = new Graph();
  const z = g.input('z', 'float64', [2, 3]);
  const s = g.input('s', 'float64', [2, 3]);
  const y = g.input('y', 'int32', [2]);
  const loss = weightedMean(g, perExampleCrossEntropy(g, z, y, s));
  const [dz] = gradients(g, loss, [z]);
  const res = await run(emitOnnx(g, { inputs: [z, s, y], outputs: [{ name: 'l', value: loss }, { name: 'dz', value: dz }] }), {
    z: tensor('float64', Float64Array.from([1e4, -1e4, 0, 3e4, 1e4, -5e4]), [2, 3]),
    s: tensor('float64', Float64Array.from([0, 1e4, -1e4, -1e4, 0, 0]), [2, 3]),
    y: tensor('int32', Int32Array.from([2, 1]), [2]),
  });
  // z + s = [1e4, 0, −1e4] (y = 2) → 2e4; [2e4, 1e4, −5e4] (y = 1) → 1e4. Mean 1.5e4.
  close((res.l as ort.Tensor).data[0] as number, 1.5e4, 1e-12, 'loss');
  const dzv = Array.from((res.dz as ort.Tensor).data as Float64Array);
  assert.ok(allFinite(dzv));
  // (softmax − onehot)/B: row 0 → [0.5, 0, −0.5]; row 1 → [0.5, −0.5, 0]
  const expected = [0.5, 0, -0.5, 0.5, -0.5, 0];
  dzv.forEach((v, i) => close(v, expected[i], 1e-12, `dz[${i}]`));
});

test('per-example weights give (1/B) Σ w_i ℓ_i', async () => {
  const rng = new Rng(9);
  const n = 6;
  const d = 4;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  const y = Int32Array.from([0, 1, 2, 0, 1, 2]);
  const weights = Float32Array.from([0, 1, 2.5, 0.5, 1, 3]);
  const model = linear(d, 3);
  const init = model.init(new Rng(2));
  const cw = await compileClassifier(model, { loss: 'ce', weights: true, optimizer: { kind: 'sgd' }, initialParams: init, execution: { threads: 1 } });
  const cu = await compileClassifier(model, { loss: 'ce', optimizer: { kind: 'sgd' }, initialParams: init, execution: { threads: 1 } });
  try {
    const feeds = { x: tensor('float32', x, [n, d]), y: tensor('int32', y, [n]) };
    const rw = await cw.step.run({ ...feeds, weights: tensor('float32', weights, [n]) }, { lr: 0.1, fetch: ['perExampleLoss'] });
    const ru = await cu.step.run(feeds, { lr: 0.1, fetch: ['perExampleLoss'] });
    const pe = rw.outputs.perExampleLoss.data as Float32Array;
    // per-example losses are unweighted and equal between the two
    assert.deepEqual(Array.from(pe), Array.from(ru.outputs.perExampleLoss.data as Float32Array));
    let expected = 0;
    for (let i = 0; i < n; i++) expected += (weights[i] * pe[i]) / n;
    close(rw.loss, expected, 1e-6, 'weighted loss');
    close(ru.loss, Array.from(pe).reduce((a, b) => a + b, 0) / n, 1e-6, 'unweighted loss');
    assert.ok(Math.abs(rw.loss - ru.loss) > 1e-3);
    // The weighted update differs from the unweighted one; weight 0 removes example 0 from the gradient.
    const [ww] = cw.step.parameters();
    const [wu] = cu.step.parameters();
    assert.ok(ww.some((v, i) => Math.abs(v - wu[i]) > 1e-5));
  } finally {
    await cw.dispose();
    await cu.dispose();
  }
});

test('weights all 1 reproduce the unweighted step exactly', async () => {
  const rng = new Rng(10);
  const n = 5;
  const d = 3;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  const y = Int32Array.from([0, 1, 1, 0, 1]);
  const model = linear(d, 2);
  const init = model.init(new Rng(3));
  const cw = await compileClassifier(model, { loss: 'ce', weights: true, optimizer: { kind: 'sgd' }, initialParams: init, execution: { threads: 1 } });
  const cu = await compileClassifier(model, { loss: 'ce', optimizer: { kind: 'sgd' }, initialParams: init, execution: { threads: 1 } });
  try {
    const feeds = { x: tensor('float32', x, [n, d]), y: tensor('int32', y, [n]) };
    const rw = await cw.step.run({ ...feeds, weights: tensor('float32', new Float32Array(n).fill(1), [n]) }, { lr: 0.1 });
    const ru = await cu.step.run(feeds, { lr: 0.1 });
    close(rw.loss, ru.loss, 1e-7, 'loss');
    const pw = cw.step.parameters();
    const pu = cu.step.parameters();
    pw.forEach((p, j) => p.forEach((v, i) => close(v, pu[j][i], 1e-6, `param ${j}[${i}]`)));
  } finally {
    await cw.dispose();
    await cu.dispose();
  }
});

/** One SGD step (lr) on a linear model; returns (p0 − p1)/lr as float64 gradients [W, b]. */
async function sgdGradient(loss: 'balanced_ce' | 'mse', x: Float32Array, n: number, d: number, k: number, w0: Float32Array, b0: Float32Array, data: Record<string, ort.Tensor>) {
  const lr = 1;
  const c = await compileClassifier(linear(d, k), { loss, optimizer: { kind: 'sgd' }, initialParams: [w0, b0], execution: { threads: 1 } });
  try {
    await c.step.run({ x: tensor('float32', x, [n, d]), ...data }, { lr });
    const [w1, b1] = c.step.parameters();
    return [Float64Array.from(w1, (v, i) => (w0[i] - v) / lr), Float64Array.from(b1, (v, i) => (b0[i] - v) / lr)];
  } finally {
    await c.dispose();
  }
}

function linearGradFromDz(dz: Float64Array, x: Float32Array, n: number, d: number, k: number) {
  const dW = new Float64Array(k * d);
  const db = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) {
    db[c] += dz[i * k + c];
    for (let j = 0; j < d; j++) dW[c * d + j] += dz[i * k + c] * x[i * d + j];
  }
  return [dW, db];
}

function forwardLinear(x: Float32Array, w: Float32Array, b: Float32Array, n: number, d: number, k: number): Float64Array {
  const z = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) {
    let s = b[c];
    for (let j = 0; j < d; j++) s += x[i * d + j] * w[c * d + j];
    z[i * k + c] = s;
  }
  return z;
}

test('gradients of the class-balanced loss and of MSE match closed forms', async () => {
  const rng = new Rng(21);
  const n = 7;
  const d = 3;
  const k = 3;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  const w0 = Float32Array.from({ length: k * d }, () => 0.5 * rng.normal());
  const b0 = Float32Array.from({ length: k }, () => 0.1 * rng.normal());
  const z = forwardLinear(x, w0, b0, n, d, k);

  // balanced CE: ∂/∂z_i = (softmax(z_i) − e_{y_i}) / n_{y_i}; class 1 absent.
  const y = Int32Array.from([0, 2, 2, 0, 2, 0, 0]);
  const counts = [4, 0, 3];
  const dz = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = Array.from(z.subarray(i * k, i * k + k));
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const tot = e.reduce((a, v) => a + v, 0);
    for (let c = 0; c < k; c++) dz[i * k + c] = (e[c] / tot - (c === y[i] ? 1 : 0)) / counts[y[i]];
  }
  const [gW, gb] = await sgdGradient('balanced_ce', x, n, d, k, w0, b0, { y: tensor('int32', y, [n]) });
  const [rW, rb] = linearGradFromDz(dz, x, n, d, k);
  rW.forEach((v, i) => close(gW[i], v, 1e-5, `balanced dW[${i}]`));
  rb.forEach((v, i) => close(gb[i], v, 1e-5, `balanced db[${i}]`));

  // MSE: L = (1/(n·k)) Σ (z − t)², ∂/∂z = 2(z − t)/(n·k)
  const t = Float32Array.from({ length: n * k }, () => rng.normal());
  const dzm = Float64Array.from(z, (v, i) => (2 * (v - t[i])) / (n * k));
  const [mW, mb] = await sgdGradient('mse', x, n, d, k, w0, b0, { targets: tensor('float32', t, [n, k]) });
  const [qW, qb] = linearGradFromDz(dzm, x, n, d, k);
  qW.forEach((v, i) => close(mW[i], v, 1e-5, `mse dW[${i}]`));
  qb.forEach((v, i) => close(mb[i], v, 1e-5, `mse db[${i}]`));
});
