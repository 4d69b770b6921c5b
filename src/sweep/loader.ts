// Loads one dataset of a sweep in a short-lived thread and posts it back with its arrays in
// SharedArrayBuffers. Loading leaves garbage as large as the data (file bytes, the unshared arrays);
// the idle coordinator would seldom collect it, but a thread's exit frees all of it at once.
import { parentPort, workerData } from 'node:worker_threads';
import { loadSpec, shareDataset, type DatasetSpec } from '../experiments/datasets.js';
import { isUserError } from '../util/errors.js';

export type FromLoader =
  | { ok: true; ds: import('../data/dataset.js').Dataset; notes: string[] }
  | { ok: false; usage: boolean; message: string; notes: string[] };

const { spec } = workerData as { spec: DatasetSpec };
let reply: FromLoader;
const notes: string[] = [];
try {
  // NPY/NPZ arrays are read straight into shared memory; shareDataset copies only what is not yet shared.
  reply = { ok: true, ds: shareDataset(await loadSpec(spec, { shared: true, onNote: (m) => notes.push(m) })), notes };
} catch (err) {
  const e = err as Error;
  reply = { ok: false, usage: isUserError(err), message: e?.message ?? String(err), notes };
}
parentPort!.postMessage(reply);
