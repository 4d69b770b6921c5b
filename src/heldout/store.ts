// Held-out predictions saved as heldout.npz and reloaded by content: the key hashes the training
// and validation data and the settings that produced them, so a changed input never reuses a file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { readNpz, toFloat32, toNumbers, writeNpz } from '../data/files/npy.js';
import type { HeldOutResult } from './types.js';

/** A stable hash of the data a held-out source sees and the settings it runs with. */
export function heldOutKey(ds: Dataset, settings: unknown): string {
  const h = createHash('sha256');
  for (const arr of [ds.train.x, ds.train.y, ds.val.x, ds.val.y]) h.update(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  h.update(JSON.stringify({ k: ds.numClasses, settings }));
  return h.digest('hex').slice(0, 24);
}

/**
 * heldout.npz, the one layout that the library, `mat train`'s cache and sweeps write and read:
 *   heldOutLogits        float32 [n, K]
 *   heldInLogits         float32 [n, K]
 *   trainInferredGroups  int32 [n]
 *   valInferredGroups    int32 [n_val]
 *   flipRate             float64 [1]
 *   degenerate           bool [1]
 *   source               uint8 [bytes]: the source's name in UTF-8 (numpy: bytes(z['source']).decode())
 * Plain arrays only, so that numpy reads it without pickles.
 */
export function saveHeldOut(path: string, r: HeldOutResult): void {
  const n = r.heldOutLogits.length / r.numClasses;
  // The same folder, then a rename: a kill leaves the old file or the new one, never half of one.
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  try {
    writeNpz(tmp, {
      heldOutLogits: { data: r.heldOutLogits, shape: [n, r.numClasses] },
      heldInLogits: { data: r.heldInLogits, shape: [n, r.numClasses] },
      trainInferredGroups: r.trainInferredGroups,
      valInferredGroups: r.valInferredGroups,
      flipRate: Float64Array.of(r.flipRate),
      degenerate: { data: Uint8Array.of(r.degenerate ? 1 : 0), dtype: 'bool' },
      source: new TextEncoder().encode(r.source),
    });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

let tmpCounter = 0;

export function loadHeldOut(path: string): HeldOutResult {
  const arrays = readNpz(path);
  const need = (name: string) => {
    if (!arrays[name]) throw new Error(`${path}: missing array "${name}"`);
    return arrays[name];
  };
  const logits = need('heldOutLogits');
  if (logits.shape.length !== 2) throw new Error(`${path}: heldOutLogits has shape (${logits.shape.join(', ')}), expected (n, K)`);
  const int32 = (name: string) => Int32Array.from(toNumbers(need(name), `${path}:${name}`));
  return {
    // Sweeps wrote no source before it was stored: theirs were XRM runs.
    source: arrays.source ? new TextDecoder().decode(arrays.source.data as Uint8Array) : 'xrm',
    numClasses: logits.shape[1],
    heldOutLogits: toFloat32(logits, `${path}:heldOutLogits`),
    heldInLogits: toFloat32(need('heldInLogits'), `${path}:heldInLogits`),
    trainInferredGroups: int32('trainInferredGroups'),
    valInferredGroups: int32('valInferredGroups'),
    flipRate: Number(toNumbers(need('flipRate'), `${path}:flipRate`)[0]),
    degenerate: toNumbers(need('degenerate'), `${path}:degenerate`)[0] === 1,
  };
}

/** The cached result for this dataset and settings, or compute it and save it. */
export async function cachedHeldOut(dir: string | undefined, ds: Dataset, settings: unknown, compute: () => Promise<HeldOutResult>): Promise<HeldOutResult & { cached?: boolean }> {
  if (!dir) return compute();
  const path = join(dir, `heldout-${heldOutKey(ds, settings)}.npz`);
  if (existsSync(path)) {
    try {
      return { ...loadHeldOut(path), cached: true };
    } catch {
      // A file of an older layout (or a damaged one) is computed again and replaced.
    }
  }
  const result = await compute();
  mkdirSync(dir, { recursive: true });
  saveHeldOut(path, result);
  return result;
}
