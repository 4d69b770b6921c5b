// The addon's session runner over ONNX Runtime's C API: outputs land in the caller's buffers, bad
// calls fail with a message that names what was wrong, and training with it matches training
// without the addon (onnxruntime-node's InferenceSession, optimizer inside the graph).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../src/engine/graph.js';
import { emitOnnx } from '../src/engine/onnx.js';
import { resolveExecution } from '../src/engine/execution.js';
import { openEngineSession } from '../src/engine/runtime.js';
import { tensor } from '../src/engine/session.js';
import { compileClassifier } from '../src/nn/classifier.js';
import { mlp } from '../src/nn/models.js';
import { Rng } from '../src/util/random.js';

// Skipped when the addon is not built or is turned off (MAT_NATIVE=0).
const native = resolveExecution().native;
const skip = !native && 'the native addon is not in use';
const oneThread = () => resolveExecution({ threads: 1, native: true });

function affineModel() {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.input('w', 'float32', [3, 2]);
  const y = g.add(g.matmul(x, w), g.scalar(1));
  return emitOnnx(g, { inputs: [x, w], outputs: [{ name: 'y', value: y }, { name: 'rowSum', value: g.reduceSum(y, 1) }] });
}

test('the native runner writes outputs into the given buffers, synchronously or on a worker thread', { skip }, async () => {
  const s = await openEngineSession(affineModel(), oneThread());
  assert.deepEqual([...s.inputNames].sort(), ['w', 'x']);
  assert.ok(s.outputNames.includes('y') && s.outputNames.includes('rowSum'));
  const x = tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
  const w = tensor('float32', Float32Array.of(1, 0, 0, 1, 1, 1), [3, 2]);
  const y = tensor('float32', new Float32Array(4), [2, 2]);
  await s.run({ x, w }, { y });
  assert.deepEqual(Array.from(y.data as Float32Array), [5, 6, 11, 12]);
  const rowSum = tensor('float32', new Float32Array(2), [2]);
  (y.data as Float32Array).fill(0);
  s.runSync!({ x, w }, { rowSum, y });
  assert.deepEqual(Array.from(rowSum.data as Float32Array), [11, 23]);
  assert.deepEqual(Array.from(y.data as Float32Array), [5, 6, 11, 12]);
  await s.release();
  await assert.rejects(s.run({ x, w }, { y }), /released/);
});

test('synchronous runs see in-place changes, other tensor objects, and alternating buffers (the runner caches wrapped tensors)', { skip }, async () => {
  const s = await openEngineSession(affineModel(), oneThread());
  const w = tensor('float32', Float32Array.of(1, 0, 0, 1, 1, 1), [3, 2]);
  const slots = [tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]), tensor('float32', Float32Array.of(0, 0, 1, 1, 0, 0), [2, 3])];
  const y = tensor('float32', new Float32Array(4), [2, 2]);
  const expected = (x: Float32Array, wv: Float32Array) => [0, 1].flatMap((r) => [0, 1].map((c) => x[3 * r] * wv[c] + x[3 * r + 1] * wv[2 + c] + x[3 * r + 2] * wv[4 + c] + 1));
  for (let step = 0; step < 6; step++) {
    const x = slots[step % 2];
    // The weight changes in place between runs, as parameters do in training.
    (w.data as Float32Array)[0] = step;
    (y.data as Float32Array).fill(-1);
    s.runSync!({ x, w }, { y });
    assert.deepEqual(Array.from(y.data as Float32Array), expected(x.data as Float32Array, w.data as Float32Array), `run ${step}`);
  }
  // A new tensor object at the same position, and a new output buffer.
  const x3 = tensor('float32', Float32Array.of(2, 2, 2, 2, 2, 2), [2, 3]);
  const y2 = tensor('float32', new Float32Array(4), [2, 2]);
  s.runSync!({ x: x3, w }, { y: y2 });
  assert.deepEqual(Array.from(y2.data as Float32Array), expected(x3.data as Float32Array, w.data as Float32Array));
  assert.deepEqual(Array.from(y.data as Float32Array), expected(slots[1].data as Float32Array, w.data as Float32Array), 'the old output buffer is left alone');
  // A plain object whose data is replaced by another array of the same length.
  const plain = { type: 'float32', dims: [2, 3], data: Float32Array.of(1, 1, 1, 1, 1, 1) } as unknown as typeof x3;
  s.runSync!({ x: plain, w }, { y });
  (plain as unknown as { data: Float32Array }).data = Float32Array.of(3, 3, 3, 3, 3, 3);
  s.runSync!({ x: plain, w }, { y });
  assert.deepEqual(Array.from(y.data as Float32Array), expected(Float32Array.of(3, 3, 3, 3, 3, 3), w.data as Float32Array));
  await s.release();
});

test('bad calls to the native runner name the input or output at fault', { skip }, async () => {
  const s = await openEngineSession(affineModel(), oneThread());
  const x = tensor('float32', new Float32Array(6), [2, 3]);
  const w = tensor('float32', new Float32Array(6), [3, 2]);
  const y = tensor('float32', new Float32Array(4), [2, 2]);
  await assert.rejects(s.run({ x, nope: w }, { y }), /unknown input "nope"/);
  await assert.rejects(s.run({ x, w }, { z: y }), /unknown output "z"/);
  // A preallocated output of the wrong shape is ONNX Runtime's error, passed on.
  await assert.rejects(s.run({ x, w }, { y: tensor('float32', new Float32Array(6), [3, 2]) }), /y|shape|dim/i);
  // A tensor whose data does not match its dims never reaches ONNX Runtime.
  const lying = { type: 'float32', dims: [2, 3], data: new Float32Array(5) } as unknown as typeof x;
  await assert.rejects(s.run({ x: lying, w }, { y }), /input x: data length does not match dims/);
  const mistyped = { type: 'float32', dims: [2, 3], data: new Int32Array(6) } as unknown as typeof x;
  await assert.rejects(s.run({ x: mistyped, w }, { y }), /input x: data is not the typed array of its type/);
  await s.release();
});

async function trainTwenty(native: boolean): Promise<{ params: Float32Array[]; losses: number[]; logits: Float32Array }> {
  const rng = new Rng(3);
  const d = 6;
  const n = 40;
  const x = Float32Array.from({ length: n * d }, () => rng.normal());
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * d] + x[i * d + 1] > 0 ? 1 : 0));
  const model = mlp([d, 8, 2]);
  const c = await compileClassifier(model, { optimizer: { kind: 'adam', weightDecay: 1e-3 }, initialParams: model.init(new Rng(7)), execution: { threads: 1, native }, shift: true });
  const losses: number[] = [];
  const b = 10;
  const shift = Float32Array.from({ length: b * 2 }, (_, i) => -0.1 * (i % 3));
  for (let s = 0; s < 20; s++) {
    const start = (s * b) % n;
    const feeds = {
      x: tensor('float32', x.slice(start * d, (start + b) * d), [b, d]),
      y: tensor('int32', y.slice(start, start + b), [b]),
      shift: tensor('float32', shift, [b, 2]),
    };
    losses.push((await c.step.run(feeds, { lr: 0.01 })).loss);
  }
  const logits = await c.predictor.run(x, n);
  const params = c.step.parameters();
  await c.dispose();
  return { params, losses, logits };
}

test('training with and without the addon gives the same parameters, losses and logits (to float rounding)', { skip }, async () => {
  const a = await trainTwenty(true);
  const b = await trainTwenty(false);
  const close = (x: ArrayLike<number>, y: ArrayLike<number>, what: string) => {
    assert.equal(x.length, y.length, what);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= 1e-5 * (1 + Math.abs(y[i])), `${what}[${i}]: ${x[i]} vs ${y[i]}`);
  };
  close(a.losses, b.losses, 'losses');
  assert.ok(a.losses[19] < a.losses[0], `the loss goes down (${a.losses[0]} → ${a.losses[19]})`);
  a.params.forEach((p, i) => close(p, b.params[i], `parameter ${i}`));
  close(a.logits, b.logits, 'logits');
});
