// Every op's vector-Jacobian rule against central finite differences, all in float64.
// For an op output `out`, f = Σ(out ⊙ R) with a fixed random R; ∂f/∂x from `gradients()` (run by
// ONNX Runtime) is compared with (f(x+h) − f(x−h)) / 2h, each f an ONNX Runtime float64 forward run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, type DType, type Shape, type Value } from '../src/engine/graph.js';
import { gradients } from '../src/engine/autodiff.js';
import { emitOnnx } from '../src/engine/onnx.js';
import { createSession, tensor, ort, type TensorData, bindDimInputs } from '../src/engine/session.js';
import { Rng } from '../src/util/random.js';

const TOL = 1e-6;

interface Var { value: Value; data: Float64Array; dims: number[] }

/** A graph under test: differentiable float64 inputs (vars) and fixed inputs (others). */
class Case {
  readonly g = new Graph();
  readonly vars: Var[] = [];
  readonly fixed: { value: Value; tensor: ort.Tensor }[] = [];
  private readonly rng: Rng;

  constructor(seed = 1) {
    this.rng = new Rng(seed);
  }

  /** A float64 input with the given (possibly symbolic) shape, runtime dims and values. */
  v(name: string, shape: Shape, data?: number[] | Float64Array, dims?: number[]): Value {
    const d = dims ?? (shape as number[]);
    const size = d.reduce((s, x) => s * x, 1);
    const values = data ? Float64Array.from(data) : Float64Array.from({ length: size }, () => this.rng.uniformIn(-1.5, 1.5));
    assert.equal(values.length, size, `${name}: data size`);
    const value = this.g.input(name, 'float64', shape);
    this.vars.push({ value, data: values, dims: d });
    return value;
  }

  /** Values in ±[lo, hi] (away from 0), random signs. */
  awayFromZero(size: number, lo = 0.2, hi = 1.5): Float64Array {
    return Float64Array.from({ length: size }, () => (this.rng.bernoulli(0.5) ? 1 : -1) * this.rng.uniformIn(lo, hi));
  }

  positive(size: number, lo = 0.3, hi = 2): Float64Array {
    return Float64Array.from({ length: size }, () => this.rng.uniformIn(lo, hi));
  }

  /** A non-differentiated input fed at run time. */
  input(name: string, dtype: DType, shape: Shape, data: TensorData, dims?: number[]): Value {
    const value = this.g.input(name, dtype, shape);
    this.fixed.push({ value, tensor: tensor(dtype, data, dims ?? (shape as number[])) });
    return value;
  }

  uniform(size: number): Float64Array {
    return Float64Array.from({ length: size }, () => this.rng.uniformIn(-1, 1));
  }
}

async function runModel(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await createSession(bytes, { threads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * Check ∂Σ(out ⊙ R)/∂v for each v in `wrt` (default: every var) against finite differences.
 * Returns the analytic gradients (for extra assertions).
 */
async function gradcheck(c: Case, out: Value, opts: { wrt?: Value[]; tol?: number } = {}): Promise<Float64Array[]> {
  const { g } = c;
  const tol = opts.tol ?? TOL;
  const wrt = opts.wrt ?? c.vars.map((v) => v.value);
  assert.equal(out.dtype, 'float64', `the output ${out} must be float64`);
  const allInputs = [...c.vars.map((v) => v.value), ...c.fixed.map((f) => f.value)];
  const baseFeeds: Record<string, ort.Tensor> = {};
  for (const v of c.vars) baseFeeds[v.value.name] = tensor('float64', v.data, v.dims);
  for (const f of c.fixed) baseFeeds[f.value.name] = f.tensor;

  // 1. Forward once to learn the runtime dims of `out`.
  const fwd = await runModel(emitOnnx(g, { inputs: allInputs, outputs: [{ name: 'out', value: out }] }), baseFeeds);
  const outDims = [...(fwd.out as ort.Tensor).dims];
  const outSize = outDims.reduce((s, d) => s * d, 1);
  for (const x of (fwd.out as ort.Tensor).data as Float64Array) assert.ok(Number.isFinite(x), 'forward output must be finite');

  // 2. f = Σ(out ⊙ R) and its gradients.
  const rData = c.uniform(outSize);
  const r = g.input(`R_${out.name}`, 'float64', out.shape);
  const f = g.sumAll(g.mul(out, r));
  const grads = gradients(g, f, wrt);
  grads.forEach((gr, i) => {
    assert.deepEqual(gr.shape, wrt[i].shape, `static shape of the gradient of ${wrt[i].name}`);
    assert.equal(gr.dtype, wrt[i].dtype);
  });
  const inputs = [...allInputs, r];
  const feeds = { ...baseFeeds, [r.name]: tensor('float64', rData, outDims) };
  const fSession = await createSession(emitOnnx(g, { inputs, outputs: [{ name: 'f', value: f }] }), { threads: 1 });
  const gSession = await createSession(
    emitOnnx(g, { inputs, outputs: [{ name: 'f', value: f }, ...grads.map((v, i) => ({ name: `grad${i}`, value: v }))] }),
    { threads: 1 },
  );
  try {
    // Sizes of named dims (the batch) are scalar inputs bound from the fed shapes.
    const gFeeds = { ...feeds };
    bindDimInputs(gSession.inputNames, inputs, gFeeds);
    const res = await gSession.run(gFeeds);
    const fOfX = async (name: string, data: Float64Array, dims: number[]): Promise<number> => {
      const fFeeds = { ...feeds, [name]: tensor('float64', data, dims) };
      bindDimInputs(fSession.inputNames, inputs, fFeeds);
      const r2 = await fSession.run(fFeeds);
      return (r2.f as ort.Tensor).data[0] as number;
    };
    const f0 = (res.f as ort.Tensor).data[0] as number;
    assert.ok(Math.abs(f0 - (await fOfX(c.vars[0].value.name, c.vars[0].data, c.vars[0].dims))) <= 1e-12 * Math.max(1, Math.abs(f0)));
    const analytic: Float64Array[] = [];
    for (let i = 0; i < wrt.length; i++) {
      const v = c.vars.find((x) => x.value === wrt[i]);
      assert.ok(v, `${wrt[i].name} must be a var`);
      const t = res[`grad${i}`] as ort.Tensor;
      assert.deepEqual([...t.dims], v.dims, `runtime shape of the gradient of ${v.value.name}`);
      const ana = t.data as Float64Array;
      analytic.push(Float64Array.from(ana));
      const scale = Math.max(...Array.from(ana, Math.abs), 1e-3);
      const x = Float64Array.from(v.data);
      for (let k = 0; k < x.length; k++) {
        const h = 1e-5 * Math.max(1, Math.abs(v.data[k]));
        x[k] = v.data[k] + h;
        const fp = await fOfX(v.value.name, x, v.dims);
        x[k] = v.data[k] - h;
        const fm = await fOfX(v.value.name, x, v.dims);
        x[k] = v.data[k];
        const num = (fp - fm) / (2 * h);
        const err = Math.abs(num - ana[k]) / Math.max(Math.abs(num), Math.abs(ana[k]), 1e-3 * scale);
        assert.ok(err < tol, `∂f/∂${v.value.name}[${k}]: analytic ${ana[k]}, numeric ${num} (relative error ${err.toExponential(2)})`);
      }
    }
    return analytic;
  } finally {
    await fSession.release();
    await gSession.release();
  }
}

// ---------------- elementwise binary ops, same shape ----------------

test('Add, Sub, Mul, Div, Max, Pow on equal shapes', async (t) => {
  for (const op of ['add', 'sub', 'mul', 'div', 'max'] as const) {
    await t.test(op, async () => {
      const c = new Case(11);
      const a = c.v('a', [3, 4], c.awayFromZero(12));
      // Max: keep a and b at least 0.1 apart (no ties); Div: b away from 0.
      const bData = c.awayFromZero(12, 0.3, 1.5);
      if (op === 'max') for (let i = 0; i < 12; i++) if (Math.abs(bData[i] - c.vars[0].data[i]) < 0.1) bData[i] += 0.3;
      const b = c.v('b', [3, 4], bData);
      await gradcheck(c, c.g[op](a, b));
    });
  }
  await t.test('pow with a tensor exponent', async () => {
    const c = new Case(12);
    const a = c.v('a', [3, 4], c.positive(12));
    const b = c.v('b', [3, 4], c.uniform(12).map((x) => 2 * x));
    await gradcheck(c, c.g.pow(a, b));
  });
  await t.test('pow with a constant exponent (negative base allowed)', async () => {
    const c = new Case(13);
    const a = c.v('a', [3, 4], c.awayFromZero(12));
    await gradcheck(c, c.g.pow(a, c.g.scalar(3, 'float64')));
    const c2 = new Case(14);
    const a2 = c2.v('a', [3, 4], c2.positive(12));
    await gradcheck(c2, c2.g.pow(a2, c2.g.constant(Float64Array.from([0.5, -1.5, 2, 1]), [4])));
  });
});

// ---------------- broadcasting ----------------

test('broadcasting binary ops sum the gradient back to each input shape', async (t) => {
  const cases: [string, 'add' | 'sub' | 'mul' | 'div' | 'max' | 'pow', Shape, Shape][] = [
    ['[3,4] + [4]', 'add', [3, 4], [4]],
    ['[4] + [3,4]', 'add', [4], [3, 4]],
    ['[3,4] * [3,1]', 'mul', [3, 4], [3, 1]],
    ['[3,1] - [1,4]', 'sub', [3, 1], [1, 4]],
    ['[] * [3,4]', 'mul', [], [3, 4]],
    ['[3,4] - []', 'sub', [3, 4], []],
    ['[3,4] / [4]', 'div', [3, 4], [4]],
    ['[3,1] / [1,4]', 'div', [3, 1], [1, 4]],
    ['[1] / [3,4]', 'div', [1], [3, 4]],
    ['max([3,4], [4])', 'max', [3, 4], [4]],
    ['max([3,1], [1,4])', 'max', [3, 1], [1, 4]],
    ['pow([3,4], [4])', 'pow', [3, 4], [4]],
    ['pow([3,1], [1,4])', 'pow', [3, 1], [1, 4]],
    ['[2,3,4] * [3,1]', 'mul', [2, 3, 4], [3, 1]],
    ['[2,1,4] + [3,1]', 'add', [2, 1, 4], [3, 1]],
  ];
  let seed = 100;
  for (const [name, op, sa, sb] of cases) {
    await t.test(name, async () => {
      const c = new Case(seed++);
      const size = (s: Shape) => (s as number[]).reduce((p, d) => p * d, 1);
      let aData: Float64Array;
      let bData: Float64Array;
      if (op === 'pow') {
        aData = c.positive(size(sa));
        bData = c.uniform(size(sb)).map((x) => 2 * x);
      } else if (op === 'max') {
        // a in ±[0.6, 1.5], b in [−0.4, 0.4]: |a − b| ≥ 0.2 everywhere, and each side wins somewhere.
        aData = c.awayFromZero(size(sa), 0.6, 1.5);
        bData = c.uniform(size(sb)).map((x) => 0.4 * x);
      } else {
        aData = c.awayFromZero(size(sa));
        bData = c.awayFromZero(size(sb), 0.3, 1.5);
      }
      const a = c.v('a', sa, aData);
      const b = c.v('b', sb, bData);
      await gradcheck(c, c.g[op](a, b));
    });
  }
});

// ---------------- unary ops ----------------

test('unary ops: Neg, Exp, Log, Sqrt, Relu, Tanh, Sigmoid', async (t) => {
  const cases: [string, (g: Graph, x: Value) => Value, 'any' | 'positive' | 'awayFromZero'][] = [
    ['neg', (g, x) => g.neg(x), 'any'],
    ['exp', (g, x) => g.exp(x), 'any'],
    ['log', (g, x) => g.log(x), 'positive'],
    ['sqrt', (g, x) => g.sqrt(x), 'positive'],
    ['relu', (g, x) => g.relu(x), 'awayFromZero'],
    ['tanh', (g, x) => g.tanh(x), 'any'],
    ['sigmoid', (g, x) => g.sigmoid(x), 'any'],
    ['identity', (g, x) => g.identity(x), 'any'],
  ];
  let seed = 200;
  for (const [name, fn, domain] of cases) {
    await t.test(name, async () => {
      const c = new Case(seed++);
      const data = domain === 'positive' ? c.positive(12) : domain === 'awayFromZero' ? c.awayFromZero(12, 0.1) : c.uniform(12).map((x) => 2 * x);
      const x = c.v('x', [3, 4], data);
      await gradcheck(c, fn(c.g, x));
    });
  }
  await t.test('relu passes no gradient where the input is negative', async () => {
    const c = new Case(250);
    const x = c.v('x', [4], [-1, 2, -0.5, 0.7]);
    const [gx] = await gradcheck(c, c.g.relu(x));
    // (0 or −0: the gradient is masked by multiplication.)
    assert.ok(gx[0] === 0 && gx[2] === 0, `gradient at negative inputs: ${gx[0]}, ${gx[2]}`);
    assert.ok(gx[1] !== 0 && gx[3] !== 0, 'gradient passes where the input is positive');
  });
});

// ---------------- softmax family ----------------

test('Softmax and LogSoftmax over each axis', async (t) => {
  let seed = 300;
  for (const op of ['softmax', 'logSoftmax'] as const) {
    for (const [shape, axis] of [[[3, 4], 1], [[3, 4], 0], [[3, 4], -1], [[2, 3, 4], 1], [[2, 3, 4], 2], [[2, 3, 4], 0]] as [number[], number][]) {
      await t.test(`${op} over axis ${axis} of [${shape}]`, async () => {
        const c = new Case(seed++);
        const x = c.v('x', shape, c.uniform(shape.reduce((a, b) => a * b, 1)).map((v) => 3 * v));
        await gradcheck(c, c.g[op](x, axis));
      });
    }
  }
});

// ---------------- reductions ----------------

test('ReduceSum, ReduceMean, ReduceMax over each axis, with and without keepdims', async (t) => {
  let seed = 400;
  for (const op of ['reduceSum', 'reduceMean', 'reduceMax'] as const) {
    for (const shape of [[3, 4], [2, 3, 4], [5]]) {
      for (let axis = -1; axis < shape.length; axis++) {
        for (const keepdims of [false, true]) {
          await t.test(`${op}(axis ${axis}, keepdims ${keepdims}) of [${shape}]`, async () => {
            const c = new Case(seed++);
            const size = shape.reduce((a, b) => a * b, 1);
            // Distinct values, at least 0.05 apart (no ties for ReduceMax).
            const perm = new Rng(seed).permutation(size);
            const data = Float64Array.from(perm, (p) => 0.05 * p - 0.5 + 0.01 * Math.sin(p));
            const x = c.v('x', shape, data);
            await gradcheck(c, c.g[op](x, axis, keepdims));
          });
        }
      }
    }
  }
  await t.test('reduceMax splits the gradient evenly between tied maxima', async () => {
    // Not a finite-difference check (a kink), but the documented rule.
    const c = new Case(499);
    const x = c.v('x', [2, 3], [1, 3, 3, 2, 0, -1]);
    const g = c.g;
    const out = g.reduceMax(x, 1);
    const f = g.sumAll(out);
    const [gx] = gradients(g, f, [x]);
    const bytes = emitOnnx(g, { inputs: [x], outputs: [{ name: 'gx', value: gx }] });
    const res = await runModel(bytes, { x: tensor('float64', c.vars[0].data, [2, 3]) });
    assert.deepEqual(Array.from((res.gx as ort.Tensor).data as Float64Array), [0, 0.5, 0.5, 1, 0, 0]);
  });
  await t.test('sumAll of a rank-3 value', async () => {
    const c = new Case(498);
    const x = c.v('x', [2, 3, 2]);
    await gradcheck(c, c.g.sumAll(c.g.mul(x, x)));
  });
});

// ---------------- MatMul / Transpose ----------------

test('MatMul with all four transA/transB combinations, and Transpose', async (t) => {
  let seed = 500;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      await t.test(`transA=${transA} transB=${transB}`, async () => {
        const c = new Case(seed++);
        const a = c.v('a', transA ? [4, 3] : [3, 4]);
        const b = c.v('b', transB ? [5, 4] : [4, 5]);
        const out = c.g.matmul(a, b, { transA, transB });
        assert.deepEqual(out.shape, [3, 5]);
        await gradcheck(c, out);
      });
    }
  }
  await t.test('transpose', async () => {
    const c = new Case(510);
    const x = c.v('x', [3, 4]);
    await gradcheck(c, c.g.transpose(x));
  });
  await t.test('linear: x·Wᵀ + b as one Gemm', async () => {
    const c = new Case(512);
    const x = c.v('x', [3, 4]);
    const w = c.v('w', [5, 4]);
    const b = c.v('b', [5]);
    const out = c.g.linear(x, w, b);
    assert.deepEqual(out.shape, [3, 5]);
    await gradcheck(c, out);
  });
  for (const inputBatchMajor of [false, true]) {
    await t.test(`linearT (feature-major layer), inputBatchMajor=${inputBatchMajor}`, async () => {
      const c = new Case(513 + Number(inputBatchMajor));
      const w = c.v('w', [5, 4]);
      const h = c.v('h', inputBatchMajor ? [3, 4] : [4, 3]);
      const b = c.v('b', [5]);
      const out = c.g.linearT(w, h, b, { inputBatchMajor });
      assert.deepEqual(out.shape, [5, 3]);
      await gradcheck(c, out);
    });
  }
  await t.test('matmul of a [1, k] row by a [k, 1] column', async () => {
    const c = new Case(511);
    const a = c.v('a', [1, 4]);
    const b = c.v('b', [4, 1]);
    await gradcheck(c, c.g.matmul(a, b));
  });
});

// ---------------- Where, Cast, Unsqueeze, Squeeze, ExpandLike ----------------

test('Where routes the gradient by the condition (with broadcasting)', async (t) => {
  await t.test('equal shapes, constant condition', async () => {
    const c = new Case(600);
    const cond = c.g.constant(Uint8Array.from([1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0]), [3, 4], 'bool');
    const a = c.v('a', [3, 4]);
    const b = c.v('b', [3, 4]);
    await gradcheck(c, c.g.where(cond, a, b));
  });
  await t.test('condition from Greater, b broadcast [4], a broadcast [3,1]', async () => {
    const c = new Case(601);
    const z = c.input('z', 'float64', [3, 4], Float64Array.from([1, -1, 2, -2, -3, 3, 0.5, -0.5, 1, 1, -1, -1]));
    const cond = c.g.greater(z, c.g.scalar(0, 'float64'));
    const a = c.v('a', [3, 1]);
    const b = c.v('b', [4]);
    await gradcheck(c, c.g.where(cond, a, b));
  });
  await t.test('condition [4] broadcast over a [3,4]', async () => {
    const c = new Case(602);
    const cond = c.input('cond', 'bool', [4], Uint8Array.from([1, 0, 1, 0]));
    const a = c.v('a', [3, 4]);
    const b = c.v('b', []);
    await gradcheck(c, c.g.where(cond, a, b));
  });
});

test('Cast passes the gradient through (float64→float64 and float64↔float32)', async (t) => {
  await t.test('float64 → float64', async () => {
    const c = new Case(700);
    const x = c.v('x', [3, 4]);
    await gradcheck(c, c.g.mul(c.g.cast(x, 'float64'), x));
  });
  await t.test('float64 → float32 → float64: gradient is R (rounded to float32) exactly', async () => {
    // Finite differences through a float32 round trip are meaningless; the rule itself is exact:
    // ∂Σ(cast64(cast32(x)) ⊙ R)/∂x = cast64(cast32(R)).
    const g = new Graph();
    const x = g.input('x', 'float64', [3, 4]);
    const r = g.input('R', 'float64', [3, 4]);
    const y32 = g.cast(x, 'float32');
    assert.equal(y32.dtype, 'float32');
    const f = g.sumAll(g.mul(g.cast(y32, 'float64'), r));
    const [gx] = gradients(g, f, [x]);
    assert.equal(gx.dtype, 'float64');
    const rng = new Rng(701);
    const rData = Float64Array.from({ length: 12 }, () => rng.normal());
    const res = await runModel(emitOnnx(g, { inputs: [x, r], outputs: [{ name: 'gx', value: gx }] }), {
      x: tensor('float64', Float64Array.from({ length: 12 }, () => rng.normal()), [3, 4]),
      R: tensor('float64', rData, [3, 4]),
    });
    assert.deepEqual(Array.from((res.gx as ort.Tensor).data as Float64Array), Array.from(Float32Array.from(rData)));
  });
  await t.test('float32 → float64 gradient comes back as float32', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const x64 = g.cast(x, 'float64');
    const f = g.sumAll(g.mul(x64, x64));
    const [gx] = gradients(g, f, [x]);
    assert.equal(gx.dtype, 'float32');
    assert.deepEqual(gx.shape, [2, 3]);
    const xs = Float32Array.from([1, -2, 0.5, 3, -0.25, 4]);
    const res = await runModel(emitOnnx(g, { inputs: [x], outputs: [{ name: 'gx', value: gx }] }), { x: tensor('float32', xs, [2, 3]) });
    assert.deepEqual(Array.from((res.gx as ort.Tensor).data as Float32Array), Array.from(xs, (v) => 2 * v));
  });
});

test('Unsqueeze, Squeeze and ExpandLike', async (t) => {
  for (const axis of [0, 1, 2, -1]) {
    await t.test(`unsqueeze axis ${axis}`, async () => {
      const c = new Case(800 + axis);
      const x = c.v('x', [3, 4]);
      const out = c.g.unsqueeze(x, axis);
      // Multiply by something of the full shape so the gradient is not trivially 1-shaped.
      await gradcheck(c, c.g.mul(out, out));
    });
  }
  for (const [shape, axis] of [[[3, 1, 4], 1], [[1, 4], 0], [[3, 1], -1]] as [number[], number][]) {
    await t.test(`squeeze axis ${axis} of [${shape}]`, async () => {
      const c = new Case(810 + axis);
      const x = c.v('x', shape);
      const out = c.g.squeeze(x, axis);
      await gradcheck(c, c.g.mul(out, out));
    });
  }
  for (const [sa, sl] of [[[4], [3, 4]], [[3, 1], [3, 4]], [[], [2, 3]], [[1, 4], [2, 3, 4]]] as [number[], number[]][]) {
    await t.test(`expandLike [${sa}] to [${sl}]`, async () => {
      const c = new Case(820 + sl.length);
      const a = c.v('a', sa);
      const like = c.input('like', 'float64', sl, new Float64Array(sl.reduce((p, d) => p * d, 1)));
      const out = c.g.expandLike(a, like);
      assert.deepEqual(out.shape, sl);
      await gradcheck(c, out);
    });
  }
});

// ---------------- SoftmaxCrossEntropy ----------------

test('SoftmaxCrossEntropy (int32 and int64 labels)', async (t) => {
  await t.test('int32 labels', async () => {
    const c = new Case(900);
    const z = c.v('z', [5, 3], c.uniform(15).map((v) => 3 * v));
    const y = c.input('y', 'int32', [5], Int32Array.from([0, 2, 1, 1, 0]));
    await gradcheck(c, c.g.softmaxCrossEntropy(z, y));
  });
  await t.test('int64 labels, composed with a mean', async () => {
    const c = new Case(901);
    const z = c.v('z', [4, 3], c.uniform(12).map((v) => 3 * v));
    const y = c.input('y', 'int64', [4], BigInt64Array.from([2n, 0n, 1n, 2n]));
    await gradcheck(c, c.g.reduceMean(c.g.softmaxCrossEntropy(z, y), 0));
  });
  await t.test('forward value equals −log softmax(z)[y]', async () => {
    const g = new Graph();
    const z = g.input('z', 'float64', [2, 3]);
    const y = g.input('y', 'int32', [2]);
    const out = g.softmaxCrossEntropy(z, y);
    const zs = [1, 2, 3, -1, 0.5, 4];
    const res = await runModel(emitOnnx(g, { inputs: [z, y], outputs: [{ name: 'o', value: out }] }), {
      z: tensor('float64', Float64Array.from(zs), [2, 3]),
      y: tensor('int32', Int32Array.from([0, 1]), [2]),
    });
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const got = (res.o as ort.Tensor).data as Float64Array;
    assert.ok(Math.abs(got[0] - (lse(zs.slice(0, 3)) - 1)) < 1e-12);
    assert.ok(Math.abs(got[1] - (lse(zs.slice(3)) - 0.5)) < 1e-12);
  });
});

// ---------------- symbolic batch dim ----------------

test('a symbolic batch dim ["batch", 4]: gradients have the runtime shape', async (t) => {
  for (const n of [3, 5]) {
    await t.test(`batch = ${n}: broadcasting, reductions over the batch, matmul, softmax`, async () => {
      const c = new Case(1000 + n);
      const g = c.g;
      const x = c.v('x', ['batch', 4], c.uniform(n * 4), [n, 4]);
      const b = c.v('b', [4], c.uniform(4));
      const w = c.v('w', [2, 4], c.uniform(8));
      const s = c.v('s', ['batch', 1], c.uniform(n), [n, 1]);
      const h = g.mul(g.add(x, b), s); // [batch, 4]
      const z = g.matmul(h, w, { transB: true }); // [batch, 2]
      const centred = g.sub(z, g.reduceMean(z, 0, true)); // mean over the symbolic axis (SizeOf at run time)
      const out = g.add(g.softmax(centred, 1), g.unsqueeze(g.reduceMax(h, 1), 1));
      assert.deepEqual(out.shape, ['batch', 2]);
      await gradcheck(c, out);
    });
  }
  await t.test('reduceMean over the batch axis, keepdims false, and a scalar result', async () => {
    const c = new Case(1010);
    const g = c.g;
    const x = c.v('x', ['batch', 4], c.uniform(24), [6, 4]);
    const y = c.input('y', 'int32', ['batch'], Int32Array.from([0, 1, 3, 2, 2, 0]), [6]);
    const loss = g.reduceMean(g.softmaxCrossEntropy(g.mul(x, x), y), 0);
    await gradcheck(c, loss);
  });
  await t.test('a [batch] value broadcast against [batch, 4] ([batch,1] lazily)', async () => {
    const c = new Case(1011);
    const g = c.g;
    const x = c.v('x', ['batch', 4], c.uniform(12), [3, 4]);
    const v = c.v('v', ['batch'], c.uniform(3), [3]);
    await gradcheck(c, g.div(x, g.add(g.exp(g.unsqueeze(v, 1)), g.scalar(1, 'float64'))));
  });
});

// ---------------- composition ----------------

test('chain: a small MLP with a cross-entropy loss', async () => {
  const c = new Case(1100);
  const g = c.g;
  const x = c.input('x', 'float64', ['batch', 5], Float64Array.from({ length: 35 }, (_, i) => Math.sin(i + 1)), [7, 5]);
  const y = c.input('y', 'int32', ['batch'], Int32Array.from([0, 1, 2, 1, 0, 2, 2]), [7]);
  const w1 = c.v('w1', [6, 5], c.uniform(30).map((v) => v * 0.8));
  const b1 = c.v('b1', [6], c.uniform(6).map((v) => v * 0.3));
  const w2 = c.v('w2', [3, 6], c.uniform(18));
  const b2 = c.v('b2', [3], c.uniform(3));
  const h = g.tanh(g.add(g.matmul(x, w1, { transB: true }), b1));
  const z = g.add(g.matmul(h, w2, { transB: true }), b2);
  const loss = g.reduceMean(g.softmaxCrossEntropy(z, y), 0);
  await gradcheck(c, loss);
});

test('chain: relu MLP with a class-balanced loss and a logSoftmax-based loss', async () => {
  const c = new Case(1101);
  const g = c.g;
  const x = c.input('x', 'float64', [6, 4], Float64Array.from({ length: 24 }, (_, i) => Math.cos(3 * i)));
  const yInt = Int32Array.from([0, 0, 2, 2, 2, 0]); // class 1 absent
  const y = c.input('y', 'int32', [6], yInt);
  const w1 = c.v('w1', [5, 4]);
  const b1 = c.v('b1', [5], c.awayFromZero(5, 0.3, 1));
  const w2 = c.v('w2', [3, 5]);
  const pre = g.add(g.matmul(x, w1, { transB: true }), b1);
  const z = g.matmul(g.relu(pre), w2, { transB: true });
  const onehot = g.oneHot(y, 3, 'float64');
  const nll = g.neg(g.reduceSum(g.mul(g.logSoftmax(z, 1), onehot), 1)); // [6]
  const perClass = g.reduceSum(g.mul(onehot, g.unsqueeze(nll, 1)), 0);
  const counts = g.max(g.reduceSum(onehot, 0), g.scalar(1, 'float64'));
  const loss = g.reduceSum(g.div(perClass, counts), 0);
  // Relu kink check: no pre-activation near 0.
  const pres: number[] = [];
  const xs = c.fixed[0].tensor.data as Float64Array;
  for (let i = 0; i < 6; i++) for (let j = 0; j < 5; j++) {
    let s = c.vars[1].data[j];
    for (let k = 0; k < 4; k++) s += xs[i * 4 + k] * c.vars[0].data[j * 4 + k];
    pres.push(Math.abs(s));
  }
  assert.ok(Math.min(...pres) > 1e-3, 'test data: pre-activations must stay away from the relu kink');
  await gradcheck(c, loss);
});

test('an input used twice accumulates both gradients', async (t) => {
  await t.test('x ⊙ x + x·xᵀ-based term', async () => {
    const c = new Case(1200);
    const g = c.g;
    const x = c.v('x', [3, 3]);
    const out = g.add(g.mul(x, x), g.matmul(x, x, { transB: true }));
    await gradcheck(c, out);
  });
  await t.test('exp(x) / sum(exp(x)) written by hand, x also added back', async () => {
    const c = new Case(1201);
    const g = c.g;
    const x = c.v('x', [2, 4]);
    const e = g.exp(x);
    const out = g.add(g.div(e, g.reduceSum(e, 1, true)), x);
    await gradcheck(c, out);
  });
  await t.test('f = Σ x² has gradient 2x exactly', async () => {
    const c = new Case(1202);
    const x = c.v('x', [4], [1, -2, 3, 0.5]);
    const [gx] = await gradcheck(c, c.g.mul(x, x));
    // with R random, ∂Σ(x²⊙R)/∂x = 2·x·R; check via a fresh run with R = 1 instead:
    const g = new Graph();
    const x2 = g.input('x', 'float64', [4]);
    const [d] = gradients(g, g.sumAll(g.mul(x2, x2)), [x2]);
    const res = await runModel(emitOnnx(g, { inputs: [x2], outputs: [{ name: 'd', value: d }] }), { x: tensor('float64', Float64Array.from([1, -2, 3, 0.5]), [4]) });
    assert.deepEqual(Array.from((res.d as ort.Tensor).data as Float64Array), [2, -4, 6, 1]);
    assert.equal(gx.length, 4);
  });
});

test('a wrt value that does not affect the output gets a zero gradient of its shape', async (t) => {
  await t.test('fixed shape', async () => {
    const c = new Case(1300);
    const g = c.g;
    const x = c.v('x', [3, 4]);
    const unused = c.v('unused', [2, 5]);
    const [, gu] = await gradcheck(c, g.tanh(x), { wrt: [x, unused] });
    assert.equal(gu.length, 10);
    assert.ok(gu.every((v) => v === 0));
  });
  await t.test('symbolic shape', async () => {
    const c = new Case(1301);
    const g = c.g;
    const x = c.v('x', [4]);
    const unused = c.v('unused', ['batch', 3], c.uniform(6), [2, 3]);
    const [, gu] = await gradcheck(c, g.exp(x), { wrt: [x, unused] });
    assert.equal(gu.length, 6);
    assert.ok(gu.every((v) => v === 0));
  });
  await t.test('behind stopGradient', async () => {
    const c = new Case(1302);
    const g = c.g;
    const x = c.v('x', [3]);
    const s = c.v('s', [3]);
    const out = g.mul(x, g.stopGradient(g.exp(s)));
    const grads = gradients(g, g.sumAll(out), [x, s]);
    const res = await runModel(
      emitOnnx(g, { inputs: [x, s], outputs: grads.map((v, i) => ({ name: `g${i}`, value: v })) }),
      { x: tensor('float64', c.vars[0].data, [3]), s: tensor('float64', c.vars[1].data, [3]) },
    );
    assert.deepEqual(Array.from((res.g1 as ort.Tensor).data as Float64Array), [0, 0, 0]);
    const g0 = (res.g0 as ort.Tensor).data as Float64Array;
    c.vars[1].data.forEach((sv, i) => assert.ok(Math.abs(g0[i] - Math.exp(sv)) <= 1e-15 * Math.exp(sv), `∂/∂x[${i}] = exp(s[${i}])`));
  });
});

test('gradients() rejects a non-scalar output without a seed, and a non-float wrt', () => {
  const g = new Graph();
  const x = g.input('x', 'float64', [3]);
  const y = g.input('y', 'int32', [3]);
  assert.throws(() => gradients(g, g.exp(x), [x]), /scalar/);
  assert.throws(() => gradients(g, g.sumAll(x), [y]), /differentiate/);
});
