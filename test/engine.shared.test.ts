// Datasets whose arrays live in SharedArrayBuffers (how sweep workers see them): training, XRM and
// prediction give exactly the results of the same data in ordinary arrays. ONNX Runtime rejects
// tensors over shared memory, so this checks every place the engine hands data to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dataset } from '../src/data/dataset.js';
import { makeSpuriousEmbeddings } from '../src/data/embeddings.js';
import { resolveExecution } from '../src/engine/execution.js';
import { gatherRows } from '../src/engine/gather.js';
import { heldOutKey } from '../src/heldout/store.js';
import { runXrm } from '../src/heldout/xrm.js';
import { mlp } from '../src/nn/models.js';
import { shareDataset } from '../src/experiments/datasets.js';
import { trainLoop } from '../src/train/loop.js';

function datasets(): { plain: Dataset; shared: Dataset } {
  const opts = { seed: 3, dim: 24, nTrain: 300, nVal: 80, nTest: 90 };
  const plain = makeSpuriousEmbeddings(opts);
  const shared = shareDataset(makeSpuriousEmbeddings(opts));
  for (const s of ['train', 'val', 'test'] as const) {
    for (const arr of [shared[s].x, shared[s].y, shared[s].a]) assert.ok(arr!.buffer instanceof SharedArrayBuffer, `${s} is shared`);
    assert.deepEqual(shared[s].x, plain[s].x);
  }
  return { plain, shared };
}

test('a shared dataset trains, runs XRM and predicts exactly as the same data in ordinary arrays', async () => {
  const { plain, shared } = datasets();
  const model = mlp([plain.dim, plain.numClasses]);
  const optimizer = { kind: 'sgd' as const, momentum: 0.9 };
  for (const batchSize of [32, 'full'] as const) {
    const settings = { model, optimizer, lr: 0.05, steps: 30, batchSize, evalEvery: 10, evalTrain: true, seed: 1, execution: { threads: 1 } };
    const a = await trainLoop(plain, settings);
    const b = await trainLoop(shared, settings);
    try {
      assert.deepEqual(b.curve, a.curve, `trainLoop, batch ${batchSize}`);
      // Chunks smaller than the split: several copies through the staging buffer, the last one partial.
      const pa = await a.classifier.predictor.run(plain.train.x, plain.train.y.length, { chunk: 64 });
      const pb = await b.classifier.predictor.run(shared.train.x, shared.train.y.length, { chunk: 64 });
      assert.deepEqual(pb, pa, `predictions, batch ${batchSize}`);
      assert.deepEqual(b.classifier.predictor.exportBytes(), a.classifier.predictor.exportBytes());
    } finally {
      await a.classifier.dispose();
      await b.classifier.dispose();
    }

    const xrm = { model, optimizer, lr: 0.05, steps: 40, batchSize, seed: 2, execution: { threads: 1 } };
    assert.deepEqual(await runXrm(shared, xrm), await runXrm(plain, xrm), `XRM, batch ${batchSize}`);
  }
});

test('batch gathering and held-out keys read shared arrays like ordinary ones', () => {
  const { plain, shared } = datasets();
  const rows = Int32Array.of(5, 0, 299, 17);
  const d = plain.dim;
  const fromPlain = new Float32Array(rows.length * d);
  const fromShared = new Float32Array(rows.length * d);
  const execution = resolveExecution();
  gatherRows(execution, plain.train.x, d, rows, fromPlain);
  gatherRows(execution, shared.train.x, d, rows, fromShared);
  assert.deepEqual(fromShared, fromPlain);
  assert.equal(heldOutKey(shared, { s: 1 }), heldOutKey(plain, { s: 1 }));
});
