// The training worker: the project's engine, run by onnxruntime-web. The page starts one worker per
// method (ERM; XRM then MAT), so the two train side by side and the page stays responsive.
import { setSessionOpener } from '../../src/engine/runtime.js';
import type { Dataset } from '../../src/data/dataset.js';
import { linearHeadPreset, type Preset } from '../../src/experiments/presets.js';
import { figure1Live, runLive } from '../../src/experiments/live.js';
import type { Evaluation } from '../../src/eval/metrics.js';
import { heldOutDiagnostics } from '../../src/heldout/diagnostics.js';
import { configureOrt, openWebSession } from './ortWebSession.js';
import type { Method, Reply, Request, SplitScore } from './protocol.js';
import { inspectFile, userDataset } from './userData.js';

// The training loop yields to the event loop with setImmediate, which browsers lack.
if (typeof (globalThis as { setImmediate?: unknown }).setImmediate !== 'function') {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  (globalThis as unknown as { setImmediate: (fn: () => void) => void }).setImmediate = (fn) => {
    queue.push(fn);
    channel.port2.postMessage(0);
  };
}

configureOrt(new URL('./ort-wasm-simd-threaded.wasm', self.location.href).href);
setSessionOpener((bytes) => openWebSession(bytes));
const EXECUTION = { threads: 1, native: false };

const post = (m: Reply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

function score(e: Evaluation): SplitScore {
  return { avgAcc: e.avgAcc, worstGroupAcc: e.worstGroupAcc, groupAcc: e.groupAcc, groupCounts: e.groupCounts };
}

async function train(ds: Dataset, preset: Preset, method: Method, seed: number, tau: number): Promise<void> {
  const started = performance.now();
  const linear = preset.train.model.kind === 'linear' && ds.dim >= 2;
  const run = await runLive(ds, preset, method, seed, {
    tau,
    execution: EXECUTION,
    onProgress: (phase, step, total) => post({ type: 'progress', method, phase, step, total }),
    onEval: (point, params) => {
      const w = params[0];
      const d = ds.dim;
      post({
        type: 'eval',
        method,
        step: point.step,
        train: point.train && score(point.train),
        val: score(point.val),
        test: score(point.test),
        boundary: linear ? [w[d] - w[0], w[d + 1] - w[1]] : undefined,
      });
    },
  });
  // The held-out signal in plain words: do XRM's held-out mistakes find the minority MAT should lift?
  const heldOutReading = run.heldOut && heldOutDiagnostics(run.heldOut, ds).verdict;
  post({ type: 'done', method, seconds: (performance.now() - started) / 1000, params: run.params, flipRate: run.heldOut?.flipRate, heldOutReading });
}

async function handle(req: Request): Promise<void> {
  if (req.type === 'fig1') {
    const { job } = req;
    const { ds, preset } = figure1Live(job);
    if (req.method === 'erm') {
      const n = ds.test.y.length;
      const x0 = new Float32Array(n);
      const x1 = new Float32Array(n);
      for (let i = 0; i < n; i++) { x0[i] = ds.test.x[i * ds.dim]; x1[i] = ds.test.x[i * ds.dim + 1]; }
      const groups = Int32Array.from(ds.test.y, (y, i) => y * ds.numAttributes + ds.test.a![i]);
      post({ type: 'points', x0, x1, groups });
    }
    await train(ds, preset, req.method, job.seed, job.tau);
  } else if (req.type === 'inspect') {
    post({ type: 'summary', summary: inspectFile(req.name, req.bytes) });
  } else {
    const ds = userDataset(req.name, req.bytes, req.choice);
    if (req.method === 'erm') {
      post({
        type: 'dataset',
        classNames: ds.classNames ?? [],
        attributeNames: ds.attributeNames ?? [],
        rows: [ds.train.y.length, ds.val.y.length, ds.test.y.length],
        dim: ds.dim,
      });
    }
    // The linear-head defaults of `mat train`; the table needs only the last step's evaluation.
    const base = linearHeadPreset(ds);
    const steps = req.steps ?? base.train.steps;
    const preset: Preset = { train: { ...base.train, steps, evalEvery: 0 }, xrm: { ...base.xrm, steps } };
    await train(ds, preset, req.method, req.choice.seed, req.tau);
  }
}

self.onmessage = (event: MessageEvent<Request>) => {
  handle(event.data).catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
};
post({ type: 'ready' });
