// A sweep worker (a worker_threads thread): runs the tasks the coordinator sends, one at a time, with
// its share of the ONNX Runtime threads.
//
// Memory: the coordinator loads each dataset once into SharedArrayBuffers and passes them in
// workerData; structured clone shares them, so every worker reads the same arrays (no copy per
// worker). ONNX Runtime rejects tensors over a SharedArrayBuffer: the engine copies what it feeds
// (batches by gatherRows, prediction chunks by Predictor.run).
import { parentPort, workerData } from 'node:worker_threads';
import type { Dataset } from '../data/dataset.js';
import type { DatasetSpec } from '../experiments/datasets.js';
import { executeRun, type RunTask } from './execute.js';
import { isUserError } from '../util/errors.js';

export type ToWorker = { type: 'run'; task: RunTask };

export type FromWorker =
  | { type: 'start'; id: string; step: number; total: number }
  | { type: 'progress'; id: string; step: number }
  | { type: 'done'; id: string; record: import('./store.js').DoneRecord }
  | { type: 'failed'; id?: string; message: string; usage: boolean };

export interface WorkerInit {
  /** Each dataset with its arrays in SharedArrayBuffers (shareDataset). */
  datasets: { spec: DatasetSpec; ds: Dataset }[];
}

const init = workerData as WorkerInit;

function dataset(key: string): { spec: DatasetSpec; ds: Dataset } {
  const found = init.datasets.find((d) => d.spec.key === key);
  if (!found) throw new Error(`worker: unknown dataset ${key}`);
  return found;
}

function post(msg: FromWorker): void {
  parentPort!.postMessage(msg);
}

async function handle(msg: ToWorker): Promise<void> {
  const { task } = msg;
  const id = `${task.dataset}/${task.algorithm}/c${task.combo}-s${task.seed}`;
  const { spec, ds } = dataset(task.dataset);
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
    const id = `${msg.task.dataset}/${msg.task.algorithm}/c${msg.task.combo}-s${msg.task.seed}`;
    post({ type: 'failed', id, message: e?.message ?? String(err), usage: isUserError(err) });
  });
});
