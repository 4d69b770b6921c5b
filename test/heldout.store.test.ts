// One heldout.npz layout: what a sweep writes, the library's loadHeldOut reads, and the reverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readNpz } from '../src/data/files/npy.js';
import { loadHeldOut, saveHeldOut } from '../src/heldout/store.js';
import type { HeldOutResult } from '../src/heldout/types.js';
import { runSweep } from '../src/sweep/runner.js';
import { readDone, readHeldOut } from '../src/sweep/store.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mat-heldout-'));

test("a sweep's heldout.npz loads with the library's loadHeldOut", async () => {
  const out = tmp();
  const summary = await runSweep({ data: 'embeddings', algorithms: ['xrm'], combos: 1, seeds: 1, steps: 20, out, workers: 1, execution: { threads: 1 }, quiet: true });
  assert.deepEqual(summary.failed, []);
  const dir = path.join(out, 'runs/embeddings/xrm/c0-s0');
  const ho = loadHeldOut(path.join(dir, 'heldout.npz'));
  const done = readDone(dir)!;
  assert.equal(ho.source, 'xrm');
  assert.equal(ho.numClasses, 2);
  assert.equal(ho.heldOutLogits.length, ho.trainInferredGroups.length * 2);
  assert.equal(ho.heldInLogits.length, ho.heldOutLogits.length);
  assert.equal(ho.flipRate, done.flipRate);
  assert.equal(ho.degenerate, done.degenerate);
  assert.deepEqual(readHeldOut(dir), ho);
  fs.rmSync(out, { recursive: true, force: true });
});

test('saveHeldOut writes plain arrays (logits n × K) that the sweep reads back unchanged, K-fold included', () => {
  const dir = tmp();
  const ho: HeldOutResult = {
    source: 'kfold', numClasses: 3, heldOutLogits: Float32Array.of(1, 2, 3, 4, 5, 6), heldInLogits: Float32Array.of(6, 5, 4, 3, 2, 1),
    trainInferredGroups: Int32Array.of(0, 5), valInferredGroups: Int32Array.of(1, 2, 3), flipRate: 0, degenerate: false,
  };
  const file = path.join(dir, 'heldout.npz');
  saveHeldOut(file, ho);
  assert.deepEqual(fs.readdirSync(dir), ['heldout.npz'], 'no temporary file is left');
  const arrays = readNpz(file);
  assert.deepEqual(arrays.heldOutLogits.shape, [2, 3]);
  assert.equal(arrays.degenerate.dtype, 'bool');
  assert.deepEqual(readHeldOut(dir), ho);
  fs.rmSync(dir, { recursive: true, force: true });
});
