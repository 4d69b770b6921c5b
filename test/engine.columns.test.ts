// Column compaction of sparse inputs: the native helpers against plain loops, the column-aware
// Adam against Adam on the expanded gradient, and compacted training and evaluation against dense.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeKernels, type NativeKernels } from '../src/engine/native.js';
import { tensor } from '../src/engine/session.js';
import { compileClassifier, compilePredictor } from '../src/nn/classifier.js';
import { mlp } from '../src/nn/models.js';
import type { OptimizerConfig } from '../src/nn/optimizers.js';
import { trainLoop } from '../src/train/loop.js';
import { Rng } from '../src/util/random.js';

const kernels = nativeKernels();
const skip = !kernels && 'native kernels not built';

/** rows × d values, each nonzero with probability `density`, in columns where `live` allows. */
function sparse(rng: Rng, rows: number, d: number, density: number, live: (c: number) => boolean = () => true): Float32Array {
  const x = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) if (live(c) && rng.uniform() < density) x[r * d + c] = rng.normal();
  }
  return x;
}

function nonzeroColumnsByLoop(x: Float32Array, rows: number, d: number): number[] {
  const cols: number[] = [];
  for (let c = 0; c < d; c++) {
    let any = false;
    for (let r = 0; r < rows; r++) any ||= x[r * d + c] !== 0;
    if (any) cols.push(c);
  }
  return cols;
}

test('nonzeroColumns finds the columns with a nonzero value, and gives up on dense data', { skip }, () => {
  const k = kernels!;
  const rng = new Rng(1);
  const d = 57;
  for (const rows of [1, 3, 35]) {
    // Columns in runs, as in images, with some isolated ones.
    const x = sparse(rng, rows, d, 0.3, (c) => (c > 5 && c < 20) || c % 7 === 0);
    const cols = new Int32Array(d);
    const count = k.nonzeroColumns(x, rows, d, cols, d);
    assert.deepEqual(Array.from(cols.subarray(0, count)), nonzeroColumnsByLoop(x, rows, d));
  }
  const dense = Float32Array.from({ length: 10 * d }, () => 1 + rng.uniform());
  assert.equal(k.nonzeroColumns(dense, 10, d, new Int32Array(d), d - 5), -1);
  assert.equal(k.nonzeroColumns(new Float32Array(4 * d), 4, d, new Int32Array(d), d), 0);
  // NaN counts as nonzero: it must reach the graph.
  const nan = new Float32Array(2 * d);
  nan[d + 9] = NaN;
  const cols = new Int32Array(d);
  assert.equal(k.nonzeroColumns(nan, 2, d, cols, d), 1);
  assert.equal(cols[0], 9);
});

test('gatherColumns and scatterColumns move the asked columns, zero the others, and check their input', { skip }, () => {
  const k = kernels!;
  const rng = new Rng(2);
  const rows = 7;
  const d = 70;
  const src = Float32Array.from({ length: rows * d }, () => rng.normal());
  // Runs longer and shorter than a vector of 16, at both ends of the row.
  const cols = Int32Array.from([0, 1, 2, 10, ...Array.from({ length: 20 }, (_, i) => 30 + i), 55, 68, 69]);
  const count = cols.length;
  const gathered = new Float32Array(rows * count);
  k.gatherColumns(src, rows, d, cols, count, gathered);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < count; j++) assert.equal(gathered[r * count + j], src[r * d + cols[j]]);
  }
  const back = new Float32Array(rows * d).fill(7);
  k.scatterColumns(gathered, rows, d, cols, count, back);
  const kept = new Set(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) assert.equal(back[r * d + c], kept.has(c) ? src[r * d + c] : 0);
  }
  assert.throws(() => k.gatherColumns(src, rows, d, Int32Array.from([3, 2]), 2, gathered), /increasing/);
  assert.throws(() => k.gatherColumns(src, rows, d, Int32Array.from([3, 70]), 2, gathered), /inside the matrix/);
  assert.throws(() => k.gatherColumns(src, rows, d, cols, count, new Float32Array(5)), /too small/);
});

test('adamColumns matches adam on the expanded gradient, and gathers the next columns of the result', { skip }, () => {
  const k = kernels!;
  const rng = new Rng(3);
  const rows = 9;
  const d = 41;
  const cols = Int32Array.from([2, 3, 4, 5, 17, 30, 31, 40]);
  const count = cols.length;
  const next = Int32Array.from([0, 4, 5, 6, 39, 40]);
  const p = Float32Array.from({ length: rows * d }, () => rng.normal());
  const m = Float32Array.from({ length: rows * d }, () => rng.normal() * 0.1);
  const v = Float32Array.from({ length: rows * d }, () => Math.abs(rng.normal()) * 0.1);
  const dense = { p: p.slice(), m: m.slice(), v: v.slice() };
  const byColumns = { p: p.slice(), m: m.slice(), v: v.slice() };
  const nextWeight = new Float32Array(rows * next.length);
  for (let step = 0; step < 3; step++) {
    const g = Float32Array.from({ length: rows * count }, () => rng.normal());
    const expanded = new Float32Array(rows * d);
    k.scatterColumns(g, rows, d, cols, count, expanded);
    k.adam(dense.p, expanded, dense.m, dense.v, 0.9, 0.999, 1e-3, 1e-3, 1e-8, 1, 1);
    k.adamColumns(byColumns.p, g, byColumns.m, byColumns.v, rows, d, cols, count, 0.9, 0.999, 1e-3, 1e-3, 1e-8, 1, 1, next, next.length, nextWeight);
  }
  assert.notDeepEqual(dense.p, p);
  // The same arithmetic on the same values: the same bits, including the columns without gradient.
  assert.deepEqual(byColumns.p, dense.p);
  assert.deepEqual(byColumns.m, dense.m);
  assert.deepEqual(byColumns.v, dense.v);
  const expectedNext = new Float32Array(rows * next.length);
  k.gatherColumns(dense.p, rows, d, next, next.length, expectedNext);
  assert.deepEqual(nextWeight, expectedNext);
});

/** Parameters after `steps` steps on batches of sparse data, with and without compaction. */
async function trainTwice(optimizer: OptimizerConfig, batches: { x: Float32Array; y: Int32Array }[], d: number, showNext: boolean) {
  const model = mlp([d, 24, 3]);
  const init = model.init(new Rng(4));
  const run = async (compactInput: boolean) => {
    const c = await compileClassifier(model, { optimizer, initialParams: init, threads: 1, compactInput });
    try {
      const feeds = batches.map((b) => ({ x: tensor('float32', b.x, [b.y.length, d]), y: tensor('int32', b.y, [b.y.length]) }));
      for (let i = 0; i < feeds.length; i++) {
        await c.step.run(feeds[i], { lr: 1e-2, next: showNext ? feeds[i + 1] : undefined });
      }
      return c.step.saveState();
    } finally {
      await c.dispose();
    }
  };
  return { dense: await run(false), compact: await run(true) };
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((arr, i) => arr.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - b[i][j])); }));
  return worst;
}

function sparseBatches(seed: number, d: number): { x: Float32Array; y: Int32Array }[] {
  const rng = new Rng(seed);
  const batches = [];
  for (let i = 0; i < 24; i++) {
    const rows = i % 5 === 4 ? 3 : 8;
    // Mostly sparse batches; every seventh dense (runs uncompacted), one all zero.
    const density = i % 7 === 6 ? 1 : i === 10 ? 0 : 0.05;
    batches.push({ x: sparse(rng, rows, d, density), y: Int32Array.from({ length: rows }, () => rng.int(3)) });
  }
  return batches;
}

/** Counts the calls of the kernels named while `body` runs. */
async function counting<T>(names: (keyof NativeKernels)[], body: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
  const k = kernels! as unknown as Record<string, (...args: unknown[]) => unknown>;
  const calls: Record<string, number> = {};
  const saved = names.map((name) => k[name]);
  names.forEach((name, i) => {
    calls[name] = 0;
    k[name] = (...args: unknown[]) => {
      calls[name]++;
      return saved[i].apply(kernels, args);
    };
  });
  try {
    return { result: await body(), calls };
  } finally {
    names.forEach((name, i) => { k[name] = saved[i]; });
  }
}

for (const optimizer of [{ kind: 'adam', weightDecay: 1e-3 }, { kind: 'sgd', momentum: 0.9, weightDecay: 1e-3 }] as OptimizerConfig[]) {
  test(`training on compacted columns follows dense training (${optimizer.kind})`, { skip }, async () => {
    const d = 50;
    const batches = sparseBatches(5, d);
    for (const showNext of [false, true]) {
      const { result: { dense, compact }, calls } = await counting(['adamColumns', 'scatterColumns'], () => trainTwice(optimizer, batches, d, showNext));
      // Adam updates from the compact gradient; SGD from the gradient expanded back. Dense batches run uncompacted.
      const compacted = optimizer.kind === 'adam' ? calls.adamColumns : calls.scatterColumns;
      assert.ok(compacted >= batches.length / 2 && compacted < batches.length, `${compacted} of ${batches.length} steps compacted`);
      assert.notDeepEqual(compact.params[0], mlp([d, 24, 3]).init(new Rng(4))[0], 'training moved the weights');
      // Only the order of additions inside the products differs.
      assert.ok(maxAbsDiff(compact.params, dense.params) < 1e-5, `parameters differ by ${maxAbsDiff(compact.params, dense.params)}`);
      assert.ok(maxAbsDiff(compact.optimizerState, dense.optimizerState) < 1e-5);
    }
  });
}

test('a step shown the next batch ends where one not shown it does (the early gather is only a shortcut)', { skip }, async () => {
  const d = 50;
  const batches = sparseBatches(6, d);
  const shown = await trainTwice({ kind: 'adam' }, batches, d, true);
  const notShown = await trainTwice({ kind: 'adam' }, batches, d, false);
  assert.deepEqual(shown.compact.params, notShown.compact.params);
});

test('loading a state between steps discards the weight gathered ahead for the next batch', { skip }, async () => {
  const d = 50;
  const batches = sparseBatches(7, d);
  const model = mlp([d, 24, 3]);
  const c = await compileClassifier(model, { optimizer: { kind: 'adam' }, initialParams: model.init(new Rng(4)), threads: 1, compactInput: true });
  try {
    const feeds = batches.map((b) => ({ x: tensor('float32', b.x, [b.y.length, d]), y: tensor('int32', b.y, [b.y.length]) }));
    await c.step.run(feeds[0], { lr: 1e-2 });
    const saved = c.step.saveState();
    // Step 2 prepares for batch 2 from its own result; then the state goes back to after step 1.
    await c.step.run(feeds[1], { lr: 1e-2, next: feeds[2] });
    c.step.loadState(saved);
    await c.step.run(feeds[2], { lr: 1e-2 });
    const resumed = c.step.parameters();
    c.step.loadState(saved);
    await c.step.run(feeds[2], { lr: 1e-2 });
    assert.deepEqual(resumed, c.step.parameters());
  } finally {
    await c.dispose();
  }
});

test('a compacting predictor gives dense logits on full or compacted input, and exports with fixed feature count', { skip }, async () => {
  const k = kernels!;
  const d = 30;
  const model = mlp([d, 16, 2]);
  const params = model.init(new Rng(7)).map((p, i) => tensor('float32', p, model.params[i].shape));
  const dense = await compilePredictor(model, () => params, 1);
  const compacting = await compilePredictor(model, () => params, 1, undefined, { compactInput: true });
  try {
    const n = 12;
    const x = sparse(new Rng(8), n, d, 0.2, (c) => c < 20);
    const expected = await dense.run(x, n);
    const full = await compacting.run(x, n);
    const cols = new Int32Array(d);
    const count = k.nonzeroColumns(x, n, d, cols, d);
    assert.ok(count <= 20, `${count} nonzero columns`);
    const xc = new Float32Array(n * count);
    k.gatherColumns(x, n, d, cols, count, xc);
    const w = new Float32Array(16 * count);
    k.gatherColumns(params[0].data as Float32Array, 16, d, cols, count, w);
    const compactParams = [tensor('float32', w, [16, count]), ...params.slice(1)];
    const onColumns = await compacting.run(xc, n, { params: compactParams, features: count });
    for (let i = 0; i < expected.length; i++) {
      assert.ok(Math.abs(full[i] - expected[i]) < 1e-5 && Math.abs(onColumns[i] - expected[i]) < 1e-5, `logit ${i}: ${full[i]}, ${onColumns[i]} vs ${expected[i]}`);
    }
    await assert.rejects(dense.run(xc, n, { features: count }), /named feature dim/);
    // The exported model declares x as [batch, 30], like the dense one.
    const exported = Buffer.from(compacting.exportBytes()).toString('latin1');
    assert.ok(!exported.includes('features'), 'no named feature dim in the export');
  } finally {
    await dense.dispose();
    await compacting.dispose();
  }
});

test('a training run on sparse data evaluates on compacted splits and gets the dense curve', { skip }, async () => {
  const d = 40;
  const rng = new Rng(9);
  const split = (n: number) => {
    const x = sparse(rng, n, d, 0.1, (c) => c >= 8);
    // A linear rule over some of the sparse columns.
    const y = Int32Array.from({ length: n }, (_, i) => (x.subarray(i * d + 8, i * d + 24).reduce((a, b) => a + b, 0) > 0 ? 1 : 0));
    return { x, y, a: Int32Array.from({ length: n }, () => rng.int(2)) };
  };
  const ds = { name: 'sparse', dim: d, numClasses: 2, numAttributes: 2, train: split(300), val: split(120), test: split(150) };
  const settings = { model: mlp([d, 16, 2]), optimizer: { kind: 'adam' } as OptimizerConfig, lr: 1e-2, steps: 60, batchSize: 20, evalEvery: 20, seed: 1, threads: 1 };
  const run = async (compactInput: boolean) => {
    // sparseEvaluation off: evaluation on compacted splits (test/engine.sparseRows.test.ts covers the other).
    const r = await trainLoop(ds, { ...settings, compactInput, sparseEvaluation: false });
    await r.classifier.dispose();
    return r.curve;
  };
  const { result: compact, calls } = await counting(['gatherColumns'], () => run(true));
  const dense = await run(false);
  assert.ok(calls.gatherColumns > 0, 'compaction was used');
  assert.equal(compact.length, dense.length);
  compact.forEach((point, i) => {
    assert.equal(point.step, dense[i].step);
    assert.ok(Math.abs(point.loss - dense[i].loss) < 1e-4 || (Number.isNaN(point.loss) && Number.isNaN(dense[i].loss)));
    assert.deepEqual(point.val.groupAcc, dense[i].val.groupAcc);
    assert.deepEqual(point.test.groupAcc, dense[i].test.groupAcc);
  });
  // The compacted evaluation sees the model learn.
  assert.ok(compact[compact.length - 1].test.avgAcc > 0.75, `final test accuracy ${compact[compact.length - 1].test.avgAcc}`);
});
