// Resuming from a checkpoint ends exactly where an uninterrupted run ends, GroupDRO included
// (its group weights are part of the saved state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../src/data/builtin.js';
import { getAlgorithm, runAlgorithm } from '../src/algorithms/registry.js';
import type { TrainState } from '../src/engine/trainStep.js';
import { mlp } from '../src/nn/models.js';
import { splitThreads, type TrainSettings } from '../src/train/loop.js';
import { selectStep } from '../src/eval/selection.js';

const ds = loadBuiltin('embeddings', { seed: 0, nTrain: 400, nVal: 100, nTest: 100, dim: 16 });

async function run(algorithm: string, settings: Partial<TrainSettings>) {
  const base: TrainSettings = { model: mlp([16, 2]), optimizer: { kind: 'sgd', momentum: 0.9 }, lr: 0.05, steps: 40, batchSize: 32, evalEvery: 10, seed: 3, execution: { threads: 1 } };
  const r = await runAlgorithm(getAlgorithm(algorithm), { dataset: ds, settings: { ...base, ...settings }, hparams: algorithm === 'groupdro' ? { eta: 0.5 } : {} });
  const params = r.classifier.step.parameters();
  await r.classifier.dispose();
  return { params, curve: r.curve };
}

for (const algorithm of ['erm', 'groupdro']) {
  test(`${algorithm}: resume from step 20 = uninterrupted 40 steps, bit for bit`, async () => {
    const full = await run(algorithm, {});
    let saved: TrainState | undefined;
    await run(algorithm, { steps: 40, checkpointEvery: 20, onCheckpoint: (s) => { if (s.step === 20) saved = s; } });
    assert.ok(saved, 'no checkpoint at step 20');
    if (algorithm === 'groupdro') assert.equal(saved!.loopState?.[0].length, 4);
    const resumed = await run(algorithm, { resume: saved });
    full.params.forEach((p, i) => assert.deepEqual(resumed.params[i], p));
    assert.equal(resumed.curve.at(-1)!.test.avgAcc, full.curve.at(-1)!.test.avgAcc);
  });
}

test('evaluations run in the background on snapshots: each curve point equals a run stopped at that step', async () => {
  const seen: number[] = [];
  const full = await run('erm', { onEval: (p) => seen.push(p.step) });
  assert.deepEqual(full.curve.map((p) => p.step), [0, 10, 20, 30, 40]);
  assert.deepEqual(seen, [0, 10, 20, 30, 40], 'onEval is called once per point, in order');
  for (const stop of [10, 30]) {
    const short = await run('erm', { steps: stop });
    const point = full.curve.find((p) => p.step === stop)!;
    // A run's last point also measures the training split; the rest is the same evaluation.
    const { train, trainLoss, ...last } = short.curve.at(-1)!;
    assert.ok(train && Number.isFinite(trainLoss), 'the last point measures the training split');
    assert.deepEqual(last, point, `the point at step ${stop}`);
  }
  // The curve is complete (all evaluations settled) before a checkpoint sees it.
  const lengths: number[] = [];
  await run('erm', { checkpointEvery: 20, onCheckpoint: (s, curve) => { lengths.push(curve.length); } });
  assert.deepEqual(lengths, [3]);
});

test('threads are split between training and background evaluation only when evaluation is a large share', () => {
  const cmnistLike = { train: { y: new Int32Array(5000) }, val: { y: new Int32Array(2000) }, test: { y: new Int32Array(3000) } } as unknown as Parameters<typeof splitThreads>[2];
  // 5,000 evaluation rows every 50 steps of 35: about half the work.
  assert.deepEqual(splitThreads({ evalEvery: 50 }, 2, cmnistLike, 35), { threads: 1, predictorThreads: 1 });
  assert.deepEqual(splitThreads({ evalEvery: 50 }, 4, cmnistLike, 35), { threads: 2, predictorThreads: 2 });
  // Rare or no evaluation, or a single thread: no split.
  assert.deepEqual(splitThreads({ evalEvery: 500 }, 2, cmnistLike, 128), { threads: 2, predictorThreads: 2 });
  assert.deepEqual(splitThreads({ evalEvery: 0 }, 2, cmnistLike, 35), { threads: 2, predictorThreads: 2 });
  assert.deepEqual(splitThreads({ evalEvery: 50 }, 1, cmnistLike, 35), { threads: 1, predictorThreads: 1 });
});

test('a run that diverges throws, and no evaluation reports after the throw', async () => {
  const seen: number[] = [];
  await assert.rejects(run('erm', { lr: 3e38, evalEvery: 1, onEval: (p) => seen.push(p.step) }), /training diverged/);
  const atThrow = seen.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(seen.length, atThrow);
  assert.ok(seen.every((s, i) => s === i), `evaluations in order: ${seen.join(', ')}`);
});

test('full-batch runs with their own sampler (SUBG) split threads too', async () => {
  const r = await run('subg', { batchSize: 'full', execution: { threads: 2 }, steps: 5, evalEvery: 5 });
  assert.deepEqual(r.curve.map((p) => p.step), [0, 5]);
});

test('once training is over, queued evaluations run side by side and still arrive in order, unchanged', async () => {
  // Evaluation-heavy settings split 2 threads 1 + 1, so the last queued evaluations may run two at a time.
  const settings: Partial<TrainSettings> = { steps: 25, evalEvery: 1, batchSize: 8 };
  assert.equal(splitThreads({ evalEvery: 1 }, 2, ds, 8).predictorThreads, 1);
  const seen: number[] = [];
  const wide = await run('erm', { ...settings, execution: { threads: 2 }, onEval: (p) => seen.push(p.step) });
  const narrow = await run('erm', { ...settings, execution: { threads: 1 } });
  const steps = Array.from({ length: 26 }, (_, i) => i);
  assert.deepEqual(seen, steps);
  assert.deepEqual(wide.curve.map((p) => p.step), steps);
  assert.deepEqual(wide.curve, narrow.curve);
});

test('evaluations are delivered while training runs, not only at the end', async () => {
  const deliveredAt: number[] = [];
  let step = 0;
  await run('erm', { model: mlp([16, 64, 2]), steps: 1000, evalEvery: 500, onStep: (t) => { step = t; }, onEval: () => deliveredAt.push(step) });
  assert.equal(deliveredAt.length, 3);
  assert.ok(deliveredAt[0] < 1000, `the first evaluation arrived at step ${deliveredAt[0]}`);
});

test('with evaluation on its own core, training gives the results of a one-thread run', async () => {
  // 200 evaluated rows every 20 steps of 8 is a large share: 2 threads split 1 + 1.
  assert.deepEqual(splitThreads({ evalEvery: 20 }, 2, ds, 8), { threads: 1, predictorThreads: 1 });
  const settings: TrainSettings = { model: mlp([16, 256, 256, 2]), optimizer: { kind: 'adam' }, lr: 1e-3, steps: 100, batchSize: 8, evalEvery: 20, seed: 4, execution: { threads: 2 } };
  const runWith = async (threads: number) => {
    const r = await runAlgorithm(getAlgorithm('erm'), { dataset: ds, settings: { ...settings, execution: { threads } }, hparams: {} });
    const out = { params: r.classifier.step.parameters(), curve: r.curve };
    await r.classifier.dispose();
    return out;
  };
  const two = await runWith(2);
  const one = await runWith(1);
  two.params.forEach((p, i) => p.forEach((v, j) => assert.ok(Math.abs(v - one.params[i][j]) <= 1e-5 * (1 + Math.abs(v)), `parameter ${i}[${j}]: ${v} against ${one.params[i][j]}`)));
  assert.deepEqual(two.curve.map((p) => p.test.avgAcc), one.curve.map((p) => p.test.avgAcc));
});

test('keepBest keeps the parameters of the step the criterion selects, equal to a run stopped there', async () => {
  const settings: Partial<TrainSettings> = { steps: 60, evalEvery: 5, keepBest: 'va_wga', lr: 0.5 };
  const r = await runAlgorithm(getAlgorithm('erm'), { dataset: ds, settings: { model: mlp([16, 2]), optimizer: { kind: 'sgd', momentum: 0.9 }, batchSize: 32, seed: 3, execution: { threads: 1 }, ...settings } as TrainSettings, hparams: {} });
  await r.classifier.dispose();
  const best = r.best!;
  assert.equal(best.criterion, 'va_wga');
  assert.equal(best.step, selectStep(r.curve, 'va_wga').step);
  assert.ok(best.step < 60, `selected step ${best.step}: pick settings where the best step is not the last`);
  const stopped = await run('erm', { steps: best.step, lr: 0.5, evalEvery: 5 });
  stopped.params.forEach((p, i) => assert.deepEqual(best.params[i], p));
  await assert.rejects(runAlgorithm(getAlgorithm('erm'), { dataset: ds, settings: { model: mlp([16, 2]), optimizer: { kind: 'sgd' }, batchSize: 32, seed: 3, execution: { threads: 1 }, lr: 0.1, steps: 2, evalEvery: 1, keepBest: 'va_gi_wga' }, hparams: {} }), /va_gi_wga needs valInferredGroups/);
});
