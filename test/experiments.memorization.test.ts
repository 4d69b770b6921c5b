// Memorization scores of a method's own training (K-fold): the requests that cannot give scores are
// refused, folds and per-group summaries are what they say, and on the built-in embeddings (3 seeds)
// the paper's finding holds: under ERM the minority groups carry the memorization, and MAT lowers it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBuiltin } from '../src/data/builtin.js';
import { assignFolds, checkMemorizationRequest, heldOutRows, summarizeMemorization, type MemorizationRun } from '../src/experiments/memorization.js';
import type { HeldOutResult } from '../src/heldout/types.js';
import { InputError } from '../src/util/errors.js';
import { seedsOfMemorization } from './memorizationSeeds.js';

const bin = path.join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'mat.js');
const mat = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, MAT_THREADS: '1' } });

test('refused before any training: one fold, a held-out source, an unknown method (exit 2 from the CLI)', () => {
  assert.throws(() => checkMemorizationRequest('erm', 1), (e: Error) => e instanceof InputError && /--folds must be an integer ≥ 2/.test(e.message));
  assert.throws(() => checkMemorizationRequest('xrm', 5), (e: Error) => e instanceof InputError && /"xrm" is a held-out source, with no training of its own/.test(e.message));
  assert.throws(() => checkMemorizationRequest('kfold', 5), /held-out source/);
  assert.throws(() => checkMemorizationRequest('nope', 5), /unknown algorithm "nope"/);
  let r = mat('memorization', '--data', 'fig1', '--folds', '1');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--folds must be an integer ≥ 2/);
  r = mat('memorization', '--data', 'fig1', '--methods', 'erm,xrm');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /"xrm" is a held-out source/);
});

test('folds: every example in exactly one, sizes within one of each other, fixed by the seed', () => {
  const folds = assignFolds(103, 5, 7);
  const sizes = [0, 0, 0, 0, 0];
  folds.forEach((f) => sizes[f]++);
  assert.deepEqual(sizes.sort(), [20, 20, 21, 21, 21]);
  assert.deepEqual(assignFolds(103, 5, 7), folds);
  assert.notDeepEqual(assignFolds(103, 5, 8), folds);
});

test('heldOutRows keeps the chosen rows of the held-out logits and inferred groups, in order', () => {
  const ho: HeldOutResult = {
    source: 'xrm', numClasses: 2, heldOutLogits: Float32Array.from([0, 1, 2, 3, 4, 5]), heldInLogits: Float32Array.from([6, 7, 8, 9, 10, 11]),
    trainInferredGroups: Int32Array.from([0, 1, 3]), valInferredGroups: new Int32Array(0), flipRate: 0, degenerate: false,
  };
  const sub = heldOutRows(ho, Int32Array.from([2, 0]));
  assert.deepEqual([...sub.heldOutLogits], [4, 5, 0, 1]);
  assert.deepEqual([...sub.heldInLogits], [10, 11, 6, 7]);
  assert.deepEqual([...sub.trainInferredGroups], [3, 0]);
});

test('per-group summary: minority = smaller than its class\'s largest group; quantiles pool seeds; a mean per seed', () => {
  const run = (scores: number[]): MemorizationRun => ({
    method: 'erm', seed: 0, folds: 2, steps: 1, heldIn: new Float64Array(6), heldOut: new Float64Array(6),
    scores: Float64Array.from(scores), foldOf: new Int32Array(6), groups: Int32Array.from([0, 0, 0, 1, 3, 3]),
  });
  const groups = summarizeMemorization({ numClasses: 2, numAttributes: 2 }, [run([0, 0.1, 0.2, 0.9, 0, 0]), run([0, 0.1, 0.2, 0.7, 0, 0.2])]);
  assert.deepEqual(groups.map((g) => [g.group, g.y, g.a, g.n, g.minority]), [[0, 0, 0, 3, false], [1, 0, 1, 1, true], [3, 1, 1, 2, false]]);
  assert.deepEqual(groups[1].seedMeans, [0.9, 0.7]);
  assert.ok(Math.abs(groups[1].mean! - 0.8) < 1e-12);
  assert.deepEqual(Object.keys(groups[0].quantiles), ['0.1', '0.25', '0.5', '0.75', '0.9']);
  assert.ok(Math.abs(groups[0].quantiles['0.5']! - 0.1) < 1e-12);
});

test('embeddings, 3 seeds × 5 folds: ERM memorizes the minority groups, not the majority; MAT lowers it on every seed', async () => {
  const ds = loadBuiltin('embeddings', { seed: 0 });
  const { erm, mat } = await seedsOfMemorization(ds, 5);
  for (const s of erm) assert.ok(s.minority > 5 * Math.max(s.majority, 1e-3), `ERM minority ${s.minority} vs majority ${s.majority}`);
  const diffs = erm.map((s, i) => s.minority - mat[i].minority);
  assert.ok(diffs.every((d) => d > 0), `ERM − MAT minority means per seed: ${diffs.join(', ')}`);
  assert.ok(diffs.reduce((a, b) => a + b, 0) / diffs.length > 0.05, `ERM − MAT minority means per seed: ${diffs.join(', ')}`);
});
