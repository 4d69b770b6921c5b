// A sweep worker (a worker_threads thread): loads each dataset it is asked for once, then runs the
// tasks the coordinator sends, one at a time, with its share of the ONNX Runtime threads.
//
// Memory: each worker holds its own copy of each dataset it has loaded (built-ins are regenerated,
// files are read). ONNX Runtime rejects tensors over a SharedArrayBuffer, and predictions read the
// split arrays directly, so the arrays are not shared between workers; the coordinator holds none.
import { parentPort, workerData } from 'node:worker_threads';
import type { Dataset } from '../data/dataset.js';
import { loadSpec, type DatasetSpec } from './datasets.js';
import { executeRun, planRun, type RunTask } from './execute.js';

export interface DatasetMeta {
  key: string;
  name: string;
  dim: number;
  numClasses: number;
  numAttributes: number;
  sizes: { train: number; val: number; test: number };
  hasTrainAttribute: boolean;
  /** Steps of the final model and of the XRM twins for combination 0 (after --steps). */
  trainSteps: number;
  xrmSteps: number;
}

export type ToWorker =
  | { type: 'meta'; steps?: number }
  | { type: 'run'; task: RunTask };

export type FromWorker =
  | { type: 'meta'; metas: DatasetMeta[] }
  | { type: 'start'; id: string; step: number; total: number }
  | { type: 'progress'; id: string; step: number }
  | { type: 'done'; id: string; record: import('./store.js').DoneRecord }
  | { type: 'failed'; id?: string; message: string; usage: boolean };

interface WorkerInit {
  datasets: DatasetSpec[];
}

const init = workerData as WorkerInit;
const cache = new Map<string, Dataset>();

async function dataset(key: string): Promise<{ spec: DatasetSpec; ds: Dataset }> {
  const spec = init.datasets.find((s) => s.key === key);
  if (!spec) throw new Error(`worker: unknown dataset ${key}`);
  let ds = cache.get(key);
  if (!ds) {
    ds = await loadSpec(spec);
    cache.set(key, ds);
  }
  return { spec, ds };
}

function post(msg: FromWorker): void {
  parentPort!.postMessage(msg);
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === 'meta') {
    const metas: DatasetMeta[] = [];
    for (const spec of init.datasets) {
      const { ds } = await dataset(spec.key);
      const plan = planRun(spec, ds, { algorithm: 'erm', combo: 0, steps: msg.steps });
      metas.push({
        key: spec.key,
        name: ds.name,
        dim: ds.dim,
        numClasses: ds.numClasses,
        numAttributes: ds.numAttributes,
        sizes: { train: ds.train.y.length, val: ds.val.y.length, test: ds.test.y.length },
        hasTrainAttribute: !!ds.train.a,
        trainSteps: plan.train.steps,
        xrmSteps: plan.xrm.steps,
      });
    }
    post({ type: 'meta', metas });
    return;
  }
  const { task } = msg;
  const id = `${task.dataset}/${task.algorithm}/c${task.combo}-s${task.seed}`;
  const { spec, ds } = await dataset(task.dataset);
  let last = 0;
  let lastStep = 0;
  const record = await executeRun(spec, ds, task, {
    onStart: (step, total) => {
      lastStep = step;
      post({ type: 'start', id, step, total });
    },
    onStep: (step) => {
      lastStep = step;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        post({ type: 'progress', id, step });
      }
    },
  });
  post({ type: 'progress', id, step: Math.max(lastStep, record.steps) });
  post({ type: 'done', id, record });
}

let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (msg: ToWorker) => {
  queue = queue.then(() => handle(msg)).catch((err: unknown) => {
    const e = err as Error;
    const id = msg.type === 'run' ? `${msg.task.dataset}/${msg.task.algorithm}/c${msg.task.combo}-s${msg.task.seed}` : undefined;
    post({ type: 'failed', id, message: e?.message ?? String(err), usage: e?.name === 'DataError' || e?.name === 'SweepUsageError' });
  });
});
