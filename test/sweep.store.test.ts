// The results store: checkpoints round-trip and belong to one configuration, writes are atomic,
// leftovers of dead writers are removed (live writers' are kept), a folder written by another configuration is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkSweepFolder, removeStaleTempFiles, loadCheckpoint, readHeldOut, removeCheckpoints, saveCheckpoint, writeFileAtomic, writeHeldOut,
  writeSweepConfig, type SweepConfig,
} from '../src/sweep/store.js';
import { InputError } from '../src/util/errors.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mat-store-'));

test('checkpoints round-trip, keep one binary, and are ignored under another fingerprint', () => {
  const dir = tmp();
  const curve = [{ step: 5, loss: 0.5 }] as never[];
  saveCheckpoint(dir, { step: 5, params: [Float32Array.of(1, 2, 3), Float32Array.of(4)], optimizerState: [Float32Array.of(5, 6, 7), Float32Array.of(8)] }, curve, 'a');
  saveCheckpoint(dir, { step: 10, params: [Float32Array.of(1.5, 2, 3), Float32Array.of(4)], optimizerState: [Float32Array.of(5, 6, 7), Float32Array.of(9)] }, curve, 'a');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoint-10.bin', 'checkpoint.json']);
  const c = loadCheckpoint(dir, 'a')!;
  assert.equal(c.state.step, 10);
  assert.deepEqual(c.state.params.map((p) => [...p]), [[1.5, 2, 3], [4]]);
  assert.deepEqual(c.state.optimizerState.map((p) => [...p]), [[5, 6, 7], [9]]);
  assert.deepEqual(c.curve, curve);
  assert.equal(loadCheckpoint(dir, 'b'), undefined);
  fs.writeFileSync(path.join(dir, 'checkpoint-10.bin'), new Uint8Array(3));
  assert.equal(loadCheckpoint(dir, 'a'), undefined, 'a damaged binary means no checkpoint, not a crash');
  removeCheckpoints(dir);
  assert.deepEqual(fs.readdirSync(dir), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('atomic writes leave no temporary files; held-out predictions round-trip', () => {
  const dir = tmp();
  writeFileAtomic(path.join(dir, 'a.json'), '1');
  writeFileAtomic(path.join(dir, 'a.json'), '2');
  assert.deepEqual(fs.readdirSync(dir), ['a.json']);
  assert.equal(fs.readFileSync(path.join(dir, 'a.json'), 'utf8'), '2');
  const ho = {
    source: 'xrm' as const, numClasses: 2, heldOutLogits: Float32Array.of(1, 2, 3, 4), heldInLogits: Float32Array.of(5, 6, 7, 8),
    trainInferredGroups: Int32Array.of(0, 3), valInferredGroups: Int32Array.of(1, 2, 2), flipRate: 0.125, degenerate: true,
  };
  writeHeldOut(dir, ho);
  assert.deepEqual(readHeldOut(dir), ho);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sweep folders: same configuration accepted, another refused, non-empty foreign folders refused; dead writers\' temporary files removed', () => {
  const root = tmp();
  const config: SweepConfig = { version: 1, datasets: [{ kind: 'builtin', key: 'fig1', name: 'fig1' }], algorithms: ['erm'], combos: 2, seeds: 2 };
  assert.equal(checkSweepFolder(root, config), false, 'an empty folder is fine');
  writeSweepConfig(root, config);
  assert.equal(checkSweepFolder(root, { ...config }), true);
  assert.throws(() => checkSweepFolder(root, { ...config, seeds: 3 }), (e: Error) => e instanceof InputError && /seeds: 2 \(stored\) vs 3 \(now\)/.test(e.message));
  assert.throws(() => checkSweepFolder(root, { ...config, steps: 10 }), InputError);
  const foreign = tmp();
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'x');
  assert.throws(() => checkSweepFolder(foreign, config), /not empty/);

  // A sweep.json another process is writing right now does not make the folder foreign.
  const fresh = tmp();
  fs.writeFileSync(path.join(fresh, `sweep.json.tmp-${os.hostname()}-1-x-0`), '{');
  assert.equal(checkSweepFolder(fresh, config), false);
  fs.rmSync(fresh, { recursive: true, force: true });

  const live = `index.jsonl.tmp-${os.hostname()}-${process.ppid}-abc-0`;
  const dead = `index.jsonl.tmp-${os.hostname()}-${2 ** 22 + 12345}-abc-1`;
  const otherHost = `index.jsonl.tmp-elsewhere.example-${2 ** 22 + 12345}-abc-2`;
  for (const f of [live, dead, otherHost]) fs.writeFileSync(path.join(root, f), 'x');
  removeStaleTempFiles(root);
  assert.deepEqual(fs.readdirSync(root).filter((f) => f.includes('.tmp-')).sort(), [live, otherHost].sort());
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(foreign, { recursive: true, force: true });
});
