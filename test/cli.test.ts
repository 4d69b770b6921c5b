// The command line: a run prints its summary, and bad requests exit with code 2 and a message
// that names the problem, before any training starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadBuiltin } from '../src/data/builtin.js';
import { groupsOf, numGroups } from '../src/data/dataset.js';
import { createSession, ort } from '../src/engine/session.js';
import { evaluateLogits } from '../src/eval/metrics.js';

const bin = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'mat.js');
const mat = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, MAT_THREADS: '1' } });

test('mat train --json prints one summary line', () => {
  const r = mat('train', '--data', 'fig1', '--noise', '0', '--steps', '200', '--json', '--no-cache');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim());
  assert.equal(summary.algorithm, 'erm');
  assert.equal(summary.steps, 200);
  assert.ok(summary.test.average > 0.9, JSON.stringify(summary.test));
});

test('mat train reports the step selected by validation worst-group accuracy, and saves that model too', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mat-train-'));
  try {
    const r = mat('train', '--data', 'cmnist', '--steps', '300', '--json', '--no-cache', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim());
    const curve = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const bestVal = Math.max(...curve.map((p) => p.val.worstGroupAcc));
    // Ties go to the later step.
    const expected = curve.filter((p) => p.val.worstGroupAcc === bestVal).at(-1);
    assert.equal(summary.selected.criterion, 'va_wga');
    assert.equal(summary.selected.step, expected.step);
    assert.equal(summary.selected.test.worstGroup, expected.test.worstGroupAcc);
    assert.equal(summary.selected.val.worstGroup, bestVal);
    // The saved selected model predicts the test split as evaluated at that step.
    const ds = loadBuiltin('cmnist', { seed: 0 });
    const session = await createSession(readFileSync(join(out, 'model-va_wga.onnx')), { threads: 1 });
    const n = ds.test.y.length;
    const result = await session.run({ x: new ort.Tensor('float32', ds.test.x, [n, ds.dim]) });
    const logits = result.logits.data as Float32Array;
    const ev = evaluateLogits(logits, ds.test.y, groupsOf(ds.test, ds.numAttributes), numGroups(ds), ds.numClasses);
    assert.ok(Math.abs(ev.avgAcc - expected.test.avgAcc) <= 1 / n, `exported ${ev.avgAcc} against ${expected.test.avgAcc} at step ${expected.step}`);
    assert.ok(Math.abs(ev.avgAcc - curve.at(-1).test.avgAcc) > 1 / n || expected.step === curve.at(-1).step, 'the selected model differs from the final one');
    await session.release();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

for (const [what, args, message] of [
  ['an unknown dataset', ['--data', 'nope'], /"nope": no such file, and not a built-in dataset/],
  ['an unknown algorithm', ['--data', 'fig1', '--algorithm', 'foo'], /invalid/],
  ['a negative learning rate', ['--data', 'fig1', '--lr', '-1'], /learning rate must be a positive number/],
  ['an unknown hyperparameter', ['--data', 'fig1', '--algorithm', 'mat', '--hparam', 'foo=1'], /no hyperparameter "foo"/],
  ['τ = 0', ['--data', 'fig1', '--algorithm', 'mat', '--hparam', 'tau=0', '--no-cache'], /tau = 0 is not valid/],
] as const) {
  test(`mat train with ${what} exits 2`, () => {
    const r = mat('train', ...args, '--quiet');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
  });
}

test('mat --debug prints the stack trace of an error, before or after the command; without it only the message', () => {
  const plain = mat('train', '--data', 'nope', '--quiet');
  assert.equal(plain.status, 2, plain.stderr);
  assert.equal(plain.stderr.trim().split('\n').length, 1, plain.stderr);
  for (const args of [['--debug', 'train', '--data', 'nope'], ['train', '--data', 'nope', '--debug']]) {
    const r = mat(...args, '--quiet');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^mat: --data "nope": no such file/);
    assert.match(r.stderr, /InputError: --data "nope"[^\n]*\n\s+at /);
  }
});
