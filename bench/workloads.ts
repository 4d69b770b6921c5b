// The engine workloads W1–W6 of shared/bench/torch_reference.py, with the same shapes, step counts
// and optimizers, run on our engine. Data are random (values do not matter for timing).
import { tensor } from '../src/engine/session.js';
import { compileClassifier, compilePredictor } from '../src/nn/classifier.js';
import { mlp } from '../src/nn/models.js';
import type { OptimizerConfig } from '../src/nn/optimizers.js';
import { compileTwins } from '../src/heldout/twinStep.js';
import { Rng } from '../src/util/random.js';
import { loadBuiltin } from '../src/data/builtin.js';
import { presetFor } from '../src/experiments/presets.js';
import { trainLoop } from '../src/train/loop.js';

export interface WorkloadResult {
  workload: string;
  steps?: number;
  examples?: number;
  seconds: number;
  steps_per_s?: number;
  examples_per_s?: number;
  peak_rss_mb?: number;
}

function randn(rng: Rng, size: number): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = rng.normal();
  return a;
}

function labels(rng: Rng, n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(k));
}

function logSoftmaxRows(z: Float32Array, k: number): Float32Array {
  const out = new Float32Array(z.length);
  for (let r = 0; r < z.length / k; r++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, z[r * k + c]);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(z[r * k + c] - m);
    for (let c = 0; c < k; c++) out[r * k + c] = z[r * k + c] - m - Math.log(s);
  }
  return out;
}

async function trainWorkload(name: string, n: number, dims: number[], batch: number, steps: number, optimizer: OptimizerConfig, lr: number, bias = true): Promise<WorkloadResult> {
  const rng = new Rng(0);
  const d = dims[0];
  const k = dims[dims.length - 1];
  const x = randn(rng, n * d);
  const y = labels(rng, n, k);
  const shift = logSoftmaxRows(randn(rng, n * k), k);
  const model = mlp(dims, { bias });
  const full = batch >= n;
  const c = await compileClassifier(model, {
    optimizer, initialParams: model.init(rng), shift: true,
    fullBatch: full ? { x, y, n } : undefined,
  });
  // Two buffer sets, alternating: each batch's rows are gathered into preallocated buffers.
  const sets = [0, 1].map(() => {
    const xb = new Float32Array(full ? 0 : batch * d);
    const yb = new Int32Array(batch);
    const sb = new Float32Array(batch * k);
    const feeds: Record<string, ReturnType<typeof tensor>> = full
      ? { shift: tensor('float32', shift, [n, k]) }
      : { x: tensor('float32', xb, [batch, d]), y: tensor('int32', yb, [batch]), shift: tensor('float32', sb, [batch, k]) };
    return { xb, yb, sb, feeds };
  });
  const perm = rng.permutation(n);
  const fill = (s: number) => {
    const set = sets[s % 2];
    if (!full) {
      // Same slicing as the reference: a window of a fixed permutation.
      const st = (s * batch) % (n - batch);
      const rows = perm.subarray(st, st + batch);
      c.step.gatherRows(x, d, rows, set.xb);
      c.step.gatherRows(shift, k, rows, set.sb);
      for (let r = 0; r < batch; r++) set.yb[r] = y[rows[r]];
    }
    return { feeds: set.feeds };
  };
  const run = async () => {
    const t0 = performance.now();
    let next = fill(0);
    for (let s = 0; s < steps; s++) {
      const pending = c.step.run(next.feeds, { lr });
      if (s + 1 < steps) next = fill(s + 1);
      await pending;
    }
    return (performance.now() - t0) / 1000;
  };
  await run(); // warm-up, as the reference does
  const seconds = await run();
  await c.dispose();
  return { workload: name, steps, seconds: round(seconds), steps_per_s: round(steps / seconds, 1) };
}

async function twinsWorkload(name: string, n: number, d: number, k: number, batch: number, steps: number): Promise<WorkloadResult> {
  const rng = new Rng(0);
  const x = randn(rng, n * d);
  const y = labels(rng, n, k);
  const yDyn = Int32Array.from(y);
  const assign = Float32Array.from({ length: n }, () => (rng.bernoulli(0.5) ? 1 : 0));
  const model = mlp([d, k]);
  const twins = await compileTwins(model, {
    optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 },
    initialParams: [model.init(rng), model.init(rng)],
  });
  // As XRM on the training loop: a batch's labels are read after the previous step's flips.
  const sets = [0, 1].map(() => {
    const xb = new Float32Array(batch * d);
    const yb = new Int32Array(batch);
    const ab = new Float32Array(batch);
    const rows = new Int32Array(batch);
    return { xb, yb, ab, rows, feeds: { x: tensor('float32', xb, [batch, d]), y: tensor('int32', yb, [batch]), assign: tensor('float32', ab, [batch]) } };
  });
  const prepare = (s: number) => {
    const set = sets[s % 2];
    for (let r = 0; r < batch; r++) set.rows[r] = rng.int(n);
    twins.step.gatherRows(x, d, set.rows, set.xb);
    return { set };
  };
  const run = async () => {
    const t0 = performance.now();
    let next = prepare(0);
    for (let s = 0; s < steps; s++) {
      const { set } = next;
      for (let r = 0; r < batch; r++) {
        set.yb[r] = yDyn[set.rows[r]];
        set.ab[r] = assign[set.rows[r]];
      }
      const pending = twins.step.run(set.feeds, { lr: 1e-3, fetch: ['heldOutLogits'] });
      if (s + 1 < steps) next = prepare(s + 1);
      const out = await pending;
      const ho = out.outputs.heldOutLogits.data as Float32Array;
      for (let r = 0; r < batch; r++) {
        // Flip with probability (p − 1/K)·K/(K−1) to the held-out argmax.
        let best = 0;
        let m = -Infinity;
        for (let c = 0; c < k; c++) if (ho[r * k + c] > m) { m = ho[r * k + c]; best = c; }
        let s2 = 0;
        for (let c = 0; c < k; c++) s2 += Math.exp(ho[r * k + c] - m);
        const p = 1 / s2;
        if (rng.uniform() < ((p - 1 / k) * k) / (k - 1)) yDyn[set.rows[r]] = best;
      }
    }
    return (performance.now() - t0) / 1000;
  };
  await run();
  const seconds = await run();
  await twins.dispose();
  return { workload: name, steps, seconds: round(seconds), steps_per_s: round(steps / seconds, 1) };
}

async function predictWorkload(name: string, n: number, d: number, k: number, chunk: number): Promise<WorkloadResult> {
  const rng = new Rng(0);
  const model = mlp([d, k]);
  const params = model.init(rng).map((p, i) => tensor('float32', p, model.params[i].shape));
  const predictor = await compilePredictor(model, () => params);
  // One copy of the data (1.6 GB), streamed in chunks of views: no per-chunk copies.
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i += 997) x[i] = rng.normal();
  const out = new Float32Array(n * k);
  const pred = new Int32Array(n);
  const run = async () => {
    const t0 = performance.now();
    await predictor.run(x, n, { chunk, out });
    for (let r = 0; r < n; r++) pred[r] = out[r * k] >= out[r * k + 1] ? 0 : 1;
    return (performance.now() - t0) / 1000;
  };
  await run();
  const seconds = await run();
  await predictor.dispose();
  const peak = process.resourceUsage().maxRSS / 1024;
  return { workload: name, examples: n, seconds: round(seconds), examples_per_s: round(n / seconds, 1), peak_rss_mb: Math.round(peak) };
}

/** One ColorMNIST run as the benchmark defines it: 1001 steps, batch 35, val and test evaluated every 50 steps. */
async function cmnistRunWorkload(name: string): Promise<WorkloadResult> {
  const ds = loadBuiltin('cmnist', { seed: 0 });
  const preset = presetFor(ds);
  const once = async () => {
    const t0 = performance.now();
    const r = await trainLoop(ds, { ...preset.train, batchSize: 35, steps: 1001, evalEvery: 50, seed: 0 });
    const seconds = (performance.now() - t0) / 1000;
    await r.classifier.dispose();
    return seconds;
  };
  await once();
  const seconds = await once();
  return { workload: name, steps: 1001, seconds: round(seconds), steps_per_s: round(1001 / seconds, 1) };
}

function round(v: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Each workload runs under the execution defaults its caller has set (bench/one.ts). */
export const WORKLOADS: Record<string, () => Promise<WorkloadResult>> = {
  W1: () => trainWorkload('W1 fig1 full-batch linear 1800->2, n=1000, SGD', 1000, [1800, 2], 1000, 1000, { kind: 'sgd' }, 1e-2, false),
  W2: () => trainWorkload('W2 features linear 2048->2, n=4795, batch 128, SGD momentum', 4795, [2048, 2], 128, 3000, { kind: 'sgd', momentum: 0.9, weightDecay: 1e-4 }, 1e-3, true),
  W3: () => trainWorkload('W3 cmnist MLP 392-390-390-2, batch 64, Adam', 5000, [392, 390, 390, 2], 64, 1000, { kind: 'adam', weightDecay: 1e-4 }, 1e-3, true),
  W4: () => trainWorkload('W4 wide MLP 2048-512-2, batch 256, AdamW', 20000, [2048, 512, 2], 256, 300, { kind: 'adamw', weightDecay: 1e-4 }, 1e-3, true),
  W5: () => twinsWorkload('W5 XRM twins, linear 2048->2, n=4795, batch 128', 4795, 2048, 2, 128, 2000),
  W7: () => cmnistRunWorkload('W7 ColorMNIST run: MLP 392-390-390-2, Adam, 1001 steps of batch 35, val+test evaluated every 50 steps'),
  W6: () => predictWorkload('W6 predict linear 2048->2 on 200000 rows, chunks of 8192', 200000, 2048, 2, 8192),
};
