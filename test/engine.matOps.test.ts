// The native runner's MatMulAT operator (Wᵀ·dz for feature-major layers): its products against
// ONNX Runtime's Gemm with transA, the same bits on any number of threads, and training with it
// against training without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../src/engine/graph.js';
import { nativeKernels } from '../src/engine/native.js';
import { emitOnnx } from '../src/engine/onnx.js';
import { defaultRunner, openEngineSession } from '../src/engine/runtime.js';
import { tensor } from '../src/engine/session.js';
import { compileClassifier } from '../src/nn/classifier.js';
import { mlp } from '../src/nn/models.js';
import { Rng } from '../src/util/random.js';

const skip = defaultRunner() !== 'native' && 'native runner not built';
// Training steps use the operator only where its vectorized kernel is built (AVX-512).
const skipTraining = skip || (!nativeKernels()?.matMulATVectorized && 'MatMulAT has no vectorized kernel on this machine');

/** aᵀ·b for a [k, m] and b [k, n], through a session: the runner's operator with `threads`, or ONNX Runtime's Gemm. */
async function product(a: Float32Array, b: Float32Array, k: number, m: number, n: number, threads?: number): Promise<Float32Array> {
  const g = new Graph();
  const av = g.input('a', 'float32', [k, m]);
  const bv = g.input('b', 'float32', [k, 'n']);
  const y = g.matmulAT(av, bv);
  const bytes = emitOnnx(g, { inputs: [av, bv], outputs: [{ name: 'y', value: y }], matOps: threads ? { threads } : undefined });
  assert.equal(new TextDecoder().decode(bytes).includes('MatMulAT'), !!threads, 'the operator is emitted only when asked for');
  const session = await openEngineSession(bytes, { threads: 1, runner: 'native' });
  try {
    const out = new Float32Array(m * n);
    await session.run({ a: tensor('float32', a, [k, m]), b: tensor('float32', b, [k, n]) }, { y: tensor('float32', out, [m, n]) });
    return out;
  } finally {
    await session.release();
  }
}

test('MatMulAT gives Gemm(transA) products on every shape edge: partial row blocks, batches off multiples of 7, k = 1', { skip }, async () => {
  const rng = new Rng(11);
  // [k, m, n]: the W7 layer; rows one short of and one past a block of 64; batches of 1, 7, 8 and 71; one term.
  for (const [k, m, n] of [[390, 390, 35], [20, 63, 8], [33, 65, 7], [5, 130, 1], [1, 17, 9], [200, 150, 71]]) {
    const a = Float32Array.from({ length: k * m }, () => rng.normal());
    const b = Float32Array.from({ length: k * n }, () => rng.normal());
    const reference = await product(a, b, k, m, n);
    const one = await product(a, b, k, m, n, 1);
    const four = await product(a, b, k, m, n, 4);
    assert.deepEqual(four, one, `${k}×${m}×${n}: the same bits on 1 and 4 threads`);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        // Float sums in another order: within a few ulps of Σ|a||b|.
        let scale = 0;
        for (let t = 0; t < k; t++) scale += Math.abs(a[t * m + i] * b[t * n + j]);
        const err = Math.abs(one[i * n + j] - reference[i * n + j]);
        assert.ok(err <= 1e-6 * scale + 1e-30, `${k}×${m}×${n} at [${i}, ${j}]: ${one[i * n + j]} vs ${reference[i * n + j]}`);
      }
    }
  }
});

test('an empty batch gives an empty product', { skip }, async () => {
  const out = await product(new Float32Array(6), new Float32Array(0), 2, 3, 0, 2);
  assert.equal(out.length, 0);
});

test('training an MLP with MatMulAT follows training with ONNX Runtime\'s Gemm', { skip: skipTraining }, async () => {
  const model = mlp([30, 70, 50, 3]);
  const rng = new Rng(5);
  const batches = Array.from({ length: 20 }, (_, i) => {
    const rows = i % 4 === 3 ? 5 : 16;
    return { x: Float32Array.from({ length: rows * 30 }, () => rng.normal()), y: Int32Array.from({ length: rows }, () => rng.int(3)), rows };
  });
  const train = async (ops: boolean) => {
    const saved = process.env.MAT_OPS;
    process.env.MAT_OPS = ops ? '1' : '0';
    try {
      const c = await compileClassifier(model, { optimizer: { kind: 'adam' }, initialParams: model.init(new Rng(2)), threads: 1 });
      try {
        assert.equal(c.step.nativeOps, ops, 'the step uses the operator exactly when allowed to');
        for (const b of batches) await c.step.run({ x: tensor('float32', b.x, [b.rows, 30]), y: tensor('int32', b.y, [b.rows]) }, { lr: 1e-2 });
        return c.step.parameters();
      } finally {
        await c.dispose();
      }
    } finally {
      if (saved === undefined) delete process.env.MAT_OPS;
      else process.env.MAT_OPS = saved;
    }
  };
  const withOps = await train(true);
  const without = await train(false);
  assert.notDeepEqual(withOps[0], model.init(new Rng(2))[0], 'training moved the weights');
  // The same sums, in the same order here (MLAS also adds k in order within its blocks), or in
  // another order: equal up to rounding.
  let worst = 0;
  withOps.forEach((p, i) => p.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - without[i][j])); }));
  assert.ok(worst < 1e-4, `parameters differ by ${worst}`);
});
