// Algorithm.resumable is a promise: a run of a resumable algorithm resumed from a checkpoint ends
// bit for bit where an uninterrupted run ends (the sweep relies on it to resume interrupted runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../src/data/builtin.js';
import { ALGORITHMS, getAlgorithm, runAlgorithm } from '../src/algorithms/registry.js';
import type { TrainState } from '../src/engine/trainStep.js';
import { predictionsFromLogits } from '../src/eval/metrics.js';
import { mistakeGroups, type HeldOutResult } from '../src/heldout/types.js';
import { mlp } from '../src/nn/models.js';
import type { TrainSettings } from '../src/train/loop.js';
import { Rng } from '../src/util/random.js';

const ds = loadBuiltin('embeddings', { seed: 0, nTrain: 400, nVal: 100, nTest: 100, dim: 16 });

/** Held-out predictions of a made-up source: random logits, the groups they imply. */
function fakeHeldOut(): HeldOutResult {
  const n = ds.train.y.length;
  const rng = new Rng(7);
  const heldOutLogits = Float32Array.from({ length: n * 2 }, () => rng.normal());
  const pred = predictionsFromLogits(heldOutLogits, n, 2);
  return {
    source: 'xrm', numClasses: 2, heldOutLogits, heldInLogits: heldOutLogits,
    trainInferredGroups: mistakeGroups(ds.train.y, pred, pred),
    valInferredGroups: mistakeGroups(ds.val.y, ds.val.y, Int32Array.from(ds.val.y, (y, i) => (i % 5 === 0 ? 1 - y : y))),
    flipRate: 0.1, degenerate: false,
  };
}

async function run(algorithm: string, settings: Partial<TrainSettings>) {
  const base: TrainSettings = { model: mlp([16, 2]), optimizer: { kind: 'adam' }, lr: 0.01, steps: 40, batchSize: 32, evalEvery: 10, seed: 3, execution: { threads: 1 } };
  const a = getAlgorithm(algorithm);
  const r = await runAlgorithm(a, { dataset: ds, settings: { ...base, ...settings }, hparams: {}, heldOut: a.needsHeldOut ? fakeHeldOut() : undefined });
  const params = r.classifier.step.parameters();
  await r.classifier.dispose();
  return { params, curve: r.curve };
}

test('every algorithm says whether it is resumable; JTT (an unsaved first stage) is not', () => {
  for (const a of ALGORITHMS) assert.equal(typeof a.resumable, 'boolean', a.name);
  assert.equal(getAlgorithm('jtt').resumable, false);
  assert.ok(ALGORITHMS.filter((a) => a.resumable).length >= 2);
});

for (const algorithm of ALGORITHMS.filter((a) => a.resumable).map((a) => a.name)) {
  test(`${algorithm} is resumable: resume from step 20 = uninterrupted 40 steps, bit for bit`, async () => {
    const full = await run(algorithm, {});
    let saved: TrainState | undefined;
    await run(algorithm, { checkpointEvery: 20, onCheckpoint: (s) => { if (s.step === 20) saved = s; } });
    assert.ok(saved, 'no checkpoint at step 20');
    const resumed = await run(algorithm, { resume: saved });
    full.params.forEach((p, i) => assert.deepEqual(resumed.params[i], p));
    assert.deepEqual(resumed.curve.at(-1), full.curve.at(-1));
  });
}
