// Held-out predictions saved as heldout.npz and reloaded by content: the key hashes the training
// and validation data and the settings that produced them, so a changed input never reuses a file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { readNpz, toFloat32, writeNpz } from '../data/files/npy.js';
import type { HeldOutResult } from './types.js';

/** A stable hash of the data a held-out source sees and the settings it runs with. */
export function heldOutKey(ds: Dataset, settings: unknown): string {
  const h = createHash('sha256');
  for (const arr of [ds.train.x, ds.train.y, ds.val.x, ds.val.y]) h.update(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  h.update(JSON.stringify({ k: ds.numClasses, settings }));
  return h.digest('hex').slice(0, 24);
}

export function saveHeldOut(path: string, r: HeldOutResult): void {
  const meta = new TextEncoder().encode(JSON.stringify({ source: r.source, numClasses: r.numClasses, flipRate: r.flipRate, degenerate: r.degenerate }));
  const tmp = `${path}.tmp-${process.pid}`;
  writeNpz(tmp, {
    heldOutLogits: r.heldOutLogits,
    heldInLogits: r.heldInLogits,
    trainInferredGroups: r.trainInferredGroups,
    valInferredGroups: r.valInferredGroups,
    meta,
  });
  renameSync(tmp, path);
}

export function loadHeldOut(path: string): HeldOutResult {
  const arrays = readNpz(path);
  for (const name of ['heldOutLogits', 'heldInLogits', 'trainInferredGroups', 'valInferredGroups', 'meta']) {
    if (!arrays[name]) throw new Error(`${path}: missing array "${name}"`);
  }
  const meta = JSON.parse(new TextDecoder().decode(arrays.meta.data as Uint8Array));
  return {
    ...meta,
    heldOutLogits: toFloat32(arrays.heldOutLogits, `${path}:heldOutLogits`),
    heldInLogits: toFloat32(arrays.heldInLogits, `${path}:heldInLogits`),
    trainInferredGroups: Int32Array.from(arrays.trainInferredGroups.data as Int32Array),
    valInferredGroups: Int32Array.from(arrays.valInferredGroups.data as Int32Array),
  };
}

/** The cached result for this dataset and settings, or compute it and save it. */
export async function cachedHeldOut(dir: string | undefined, ds: Dataset, settings: unknown, compute: () => Promise<HeldOutResult>): Promise<HeldOutResult & { cached?: boolean }> {
  if (!dir) return compute();
  const path = join(dir, `heldout-${heldOutKey(ds, settings)}.npz`);
  if (existsSync(path)) return { ...loadHeldOut(path), cached: true };
  const result = await compute();
  mkdirSync(dir, { recursive: true });
  saveHeldOut(path, result);
  return result;
}
