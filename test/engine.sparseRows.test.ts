// Evaluation on inputs stored by their nonzeros: the runner's SparseRowsLinear operator against the
// dense predictor, its checks of a malformed layout, and a training run's curve against the one
// evaluated on compacted splits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeKernels } from '../src/engine/native.js';
import { defaultRunner } from '../src/engine/runtime.js';
import { tensor, type ort } from '../src/engine/session.js';
import { encodeSparseRows, SparseRowsPredictor } from '../src/engine/sparseRowsPredictor.js';
import { compilePredictor } from '../src/nn/classifier.js';
import { mlp, type Model } from '../src/nn/models.js';
import type { OptimizerConfig } from '../src/nn/optimizers.js';
import { trainLoop } from '../src/train/loop.js';
import { Rng } from '../src/util/random.js';

const kernels = nativeKernels();
const skip = (!kernels || defaultRunner() !== 'native') && 'native runner not built';

/** rows × d values, each nonzero with probability `density`; rows listed in `empty` stay zero. */
function sparse(rng: Rng, rows: number, d: number, density: number, empty: (r: number) => boolean = () => false): Float32Array {
  const x = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    if (empty(r)) continue;
    for (let c = 0; c < d; c++) if (rng.uniform() < density) x[r * d + c] = rng.normal();
  }
  return x;
}

function paramsOf(model: Model, seed: number): ort.Tensor[] {
  return model.init(new Rng(seed)).map((p, i) => tensor('float32', p, model.params[i].shape));
}

test('the sparse predictor gives the dense logits, across blocks, chunks, empty rows and odd widths', { skip }, async () => {
  const rng = new Rng(3);
  // Hidden widths off multiples of 16 (37: the last vector is partial; 130: three strips), a
  // linear model (the sparse layer gives the logits directly), and tanh (applied after the
  // operator, where ReLU is applied inside it).
  for (const [dims, activation] of [[[45, 37, 3], 'relu'], [[45, 130, 20, 2], 'relu'], [[45, 5], 'relu'], [[45, 37, 3], 'tanh']] as const) {
    const model = mlp(dims, { activation });
    const params = paramsOf(model, dims[1]);
    const dense = await compilePredictor(model, () => params, 1);
    const sparsePredictor = (await SparseRowsPredictor.compile(model, { threads: 1 }))!;
    try {
      // 150 rows: blocks of 64 with a short last one; rows 64–127 (a whole block) and a few others empty.
      const n = 150;
      const x = sparse(rng, n, 45, 0.15, (r) => (r >= 64 && r < 128) || r % 17 === 3);
      const expected = await dense.run(x, n);
      for (const chunkRows of [8192, 50]) {
        const rows = encodeSparseRows(kernels!, x, n, 45, chunkRows);
        assert.equal(rows.chunks.length, Math.ceil(n / chunkRows));
        const got = await sparsePredictor.run(rows, params);
        assert.equal(got.length, expected.length);
        for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-5, `${dims} chunk ${chunkRows}, logit ${i}: ${got[i]} vs ${expected[i]}`);
      }
      // The bias alone for an all-zero input.
      const zeros = await sparsePredictor.run(encodeSparseRows(kernels!, new Float32Array(2 * 45), 2, 45), params);
      const onZeros = await dense.run(new Float32Array(2 * 45), 2);
      assert.deepEqual(Array.from(zeros), Array.from(onZeros));
    } finally {
      await dense.dispose();
      await sparsePredictor.dispose();
    }
  }
});

test('the sparse operator rejects a malformed layout with its reason, and the predictor checks its input', { skip }, async () => {
  const model = mlp([12, 8, 2]);
  const params = paramsOf(model, 1);
  const predictor = (await SparseRowsPredictor.compile(model, { threads: 1 }))!;
  try {
    const n = 5;
    const x = sparse(new Rng(4), n, 12, 0.4);
    const good = encodeSparseRows(kernels!, x, n, 12);
    const chunk = good.chunks[0];
    const layout = chunk.layout.data as Int32Array;
    const withLayout = (words: Int32Array) => ({ ...good, chunks: [{ ...chunk, layout: tensor('int32', words, [words.length]) }] });
    // Header: n, in, rows per block, blocks, features F; then the F features in use, the block's
    // column starts [0, C], and its C columns (indices into the features).
    const features = layout[4];
    const badFeature = Int32Array.from(layout);
    badFeature[5 + features - 1] = 12;
    await assert.rejects(predictor.run(withLayout(badFeature), params), /SparseRowsLinear: the layout has a feature outside \[0, in\)/);
    const badColumn = Int32Array.from(layout);
    badColumn[5 + features + 2] = features;
    await assert.rejects(predictor.run(withLayout(badColumn), params), /SparseRowsLinear: the layout has a column outside its features/);
    await assert.rejects(predictor.run(withLayout(layout.subarray(0, layout.length - 1)), params), /SparseRowsLinear: the layout/);
    const badRows = Int32Array.from(layout);
    badRows[0] = 500;
    await assert.rejects(predictor.run(withLayout(badRows), params), /SparseRowsLinear: the layout's block count/);
    const fewerValues = { ...good, chunks: [{ ...chunk, values: tensor('float32', new Float32Array(1), [1]) }] };
    await assert.rejects(predictor.run(fewerValues, params), /SparseRowsLinear: the layout has \d+ entries but 1 values/);
    await assert.rejects(predictor.run(encodeSparseRows(kernels!, new Float32Array(2 * 10), 2, 10), params), /the rows have 10 features, the model takes 12/);
    assert.throws(() => encodeSparseRows(kernels!, x, n + 1, 12), /x has 60 values, expected 6 rows × 12 features/);
    // The good layout still runs after the failures.
    assert.equal((await predictor.run(good, params)).length, n * 2);
  } finally {
    await predictor.dispose();
  }
});

test('the sparse layout lists only the features in use, and the product reads only their weights', { skip }, async () => {
  // 3,000 features of which rows use a handful (as with bag-of-words text): the layout and the
  // result stay right, and the weights of unused features cannot matter.
  const d = 3000;
  const model = mlp([d, 20, 2]);
  const params = paramsOf(model, 5);
  const n = 70;
  const x = new Float32Array(n * d);
  const rng = new Rng(6);
  const live = [3, 17, 999, 2048, 2999];
  for (let r = 0; r < n; r++) for (const j of live) if (rng.uniform() < 0.5) x[r * d + j] = rng.normal();
  const rows = encodeSparseRows(kernels!, x, n, d);
  const layout = rows.chunks[0].layout.data as Int32Array;
  assert.deepEqual(Array.from(layout.subarray(0, 5)), [n, d, 64, 2, live.length]);
  assert.deepEqual(Array.from(layout.subarray(5, 5 + live.length)), live);
  const dense = await compilePredictor(model, () => params, 1);
  const sparsePredictor = (await SparseRowsPredictor.compile(model, { threads: 1 }))!;
  try {
    const expected = await dense.run(x, n);
    // NaN in an unused feature's weights would reach every output of a dense product.
    const w = Float32Array.from(params[0].data as Float32Array);
    for (let o = 0; o < 20; o++) w[o * d + 5] = NaN;
    const got = await sparsePredictor.run(rows, [tensor('float32', w, [20, d]), ...params.slice(1)]);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-5, `logit ${i}: ${got[i]} vs ${expected[i]}`);
  } finally {
    await dense.dispose();
    await sparsePredictor.dispose();
  }
});

test('no sparse predictor without a first-layer bias or without the native runner', { skip }, async () => {
  assert.equal(await SparseRowsPredictor.compile(mlp([12, 8, 2], { bias: false })), undefined);
  assert.equal(await SparseRowsPredictor.compile(mlp([12, 8, 2]), { runner: 'onnxruntime-node' }), undefined);
});

test('a training run on sparse data evaluates by nonzeros and gets the curve of compacted evaluation', { skip }, async () => {
  const d = 40;
  const rng = new Rng(9);
  const split = (n: number) => {
    const x = sparse(rng, n, d, 0.1);
    const y = Int32Array.from({ length: n }, (_, i) => (x.subarray(i * d + 8, i * d + 24).reduce((a, b) => a + b, 0) > 0 ? 1 : 0));
    return { x, y, a: Int32Array.from({ length: n }, () => rng.int(2)) };
  };
  const ds = { name: 'sparse', dim: d, numClasses: 2, numAttributes: 2, train: split(300), val: split(120), test: split(150) };
  const settings = { model: mlp([d, 16, 2]), optimizer: { kind: 'adam' } as OptimizerConfig, lr: 1e-2, steps: 60, batchSize: 20, evalEvery: 20, seed: 1, threads: 1, compactInput: true };
  const run = async (sparseEvaluation: boolean) => {
    const r = await trainLoop(ds, { ...settings, sparseEvaluation });
    const used = r.classifier.sparsePredictor !== undefined;
    await r.classifier.dispose();
    return { curve: r.curve, used };
  };
  const bySparse = await run(true);
  const byColumns = await run(false);
  assert.ok(bySparse.used && !byColumns.used);
  assert.equal(bySparse.curve.length, byColumns.curve.length);
  bySparse.curve.forEach((point, i) => {
    assert.deepEqual(point.val.groupAcc, byColumns.curve[i].val.groupAcc);
    assert.deepEqual(point.test.groupAcc, byColumns.curve[i].test.groupAcc);
  });
  assert.ok(bySparse.curve[bySparse.curve.length - 1].test.avgAcc > 0.75, `final test accuracy ${bySparse.curve[bySparse.curve.length - 1].test.avgAcc}`);
});
