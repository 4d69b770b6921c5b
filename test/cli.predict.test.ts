// `mat predict`, `mat embed`, and --data with .npy folders and benchmark folders, through the command line.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Graph } from '../src/engine/graph.js';
import { emitOnnx } from '../src/engine/onnx.js';
import { readNpy, readNpz, writeNpy, writeNpz } from '../src/data/files/npy.js';
import { imageBackbone, waterbirdsFolder } from './benchmarkFixtures.js';

const bin = path.join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'mat.js');
const mat = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, MAT_THREADS: '1' } });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-predict-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (...p: string[]) => path.join(dir, ...p);

/** A linear model x[n, 3] → logits x·W, W 3 × 2, saved as an ONNX file. */
const W = [1, -1, 0.5, 2, -2, 0];
function linearModel(file: string, d = 3): string {
  const g = new Graph();
  const x = g.input('x', 'float32', ['n', d]);
  const logits = g.matmul(x, g.constant(Float32Array.from({ length: d * 2 }, (_, k) => W[k] ?? 0), [d, 2]));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, emitOnnx(g, { inputs: [x], outputs: [{ name: 'logits', value: logits }] }));
  return file;
}
const X = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [-1, 2, 0.5]];
const expectedLogits = X.map((r) => [0, 1].map((j) => r.reduce((s, v, i) => s + v * W[i * 2 + j], 0)));

test('mat predict writes logits, probabilities and the predicted class as .csv, .npy and .npz', () => {
  const model = linearModel(at('lin', 'model.onnx'));
  writeNpz(at('new.npz'), { x: { data: Float32Array.from(X.flat()), shape: [5, 3] } });
  for (const ext of ['csv', 'npy', 'npz']) {
    const out = at(`preds.${ext}`);
    const r = mat('predict', '--model', model, '--data', at('new.npz'), '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /5 rows, 2 classes/);
    let logits: number[][];
    let probs: number[][];
    let pred: number[];
    if (ext === 'csv') {
      const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'row,pred,logit_0,logit_1,prob_0,prob_1');
      const cells = lines.slice(1).map((l) => l.split(',').map(Number));
      [pred, logits, probs] = [cells.map((c) => c[1]), cells.map((c) => c.slice(2, 4)), cells.map((c) => c.slice(4, 6))];
    } else if (ext === 'npy') {
      const m = readNpy(out);
      assert.deepEqual(m.shape, [5, 5]);
      const rows = Array.from({ length: 5 }, (_, i) => Array.from((m.data as Float32Array).subarray(i * 5, i * 5 + 5)));
      [logits, probs, pred] = [rows.map((r) => r.slice(0, 2)), rows.map((r) => r.slice(2, 4)), rows.map((r) => r[4])];
    } else {
      const z = readNpz(out);
      const l = z.logits.data as Float32Array;
      const p = z.probs.data as Float32Array;
      [logits, probs, pred] = [X.map((_, i) => [l[2 * i], l[2 * i + 1]]), X.map((_, i) => [p[2 * i], p[2 * i + 1]]), Array.from(z.pred.data as Int32Array)];
    }
    expectedLogits.forEach((e, i) => {
      assert.ok(Math.abs(logits[i][0] - e[0]) < 1e-5 && Math.abs(logits[i][1] - e[1]) < 1e-5, `${ext} row ${i}: ${logits[i]} vs ${e}`);
      const p1 = 1 / (1 + Math.exp(e[0] - e[1]));
      assert.ok(Math.abs(probs[i][1] - p1) < 1e-5 && Math.abs(probs[i][0] + probs[i][1] - 1) < 1e-5, `${ext} probabilities, row ${i}`);
      assert.equal(pred[i], e[1] > e[0] ? 1 : 0);
    });
  }
});

test('mat predict refuses, with exit 2 and nothing written: a width mismatch, a file that is not ONNX, missing feature columns', () => {
  const model = linearModel(at('bad', 'model.onnx'));
  writeNpz(at('wide.npz'), { x: { data: new Float32Array(8), shape: [2, 4] } });
  const cases: [string[], RegExp][] = [
    [['--model', model, '--data', at('wide.npz')], /4 features per row, but .*model\.onnx takes 3/],
    [['--model', at('wide.npz'), '--data', at('wide.npz')], /wide\.npz: not an ONNX model/],
  ];
  // Trained on table columns f0, f1, f2 (data.json beside the model); the new table lacks f2.
  const tabModel = linearModel(at('tab', 'model.onnx'));
  fs.writeFileSync(at('tab', 'data.json'), JSON.stringify({ dataset: 't', dim: 3, label: 'y', features: ['f0', 'f1', 'f2'], classNames: ['0', '1'] }));
  fs.writeFileSync(at('lacking.csv'), 'f0,f1,y\n1,2,0\n3,4,1\n');
  cases.push([['--model', tabModel, '--data', at('lacking.csv')], /lacking\.csv: feature column "f2" not found/]);
  for (const [args, message] of cases) {
    const out = at('never.csv');
    const r = mat('predict', ...args, '--out', out);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!fs.existsSync(out), 'nothing written');
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('never')), []);
  }
});

/** A .npy folder: 2 features, class = sign of feature 0, labels 3 / 8 (mapped, with a note), attribute = feature 1's sign. */
function labelledFolder(name: string, n: number, labels = [3, 8]): string {
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  const a = new Int32Array(n);
  const split = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const s = (i * 7919) % 13 / 13 - 0.5;
    x[2 * i] = (c ? 1 : -1) * (0.5 + Math.abs(s));
    x[2 * i + 1] = s;
    y[i] = labels[c];
    a[i] = s > 0 ? 1 : 0;
    split[i] = i < n * 0.6 ? 0 : i < n * 0.8 ? 1 : 2;
  }
  const p = at(name);
  fs.mkdirSync(p, { recursive: true });
  writeNpy(path.join(p, 'x.npy'), { data: x, shape: [n, 2] });
  writeNpy(path.join(p, 'y.npy'), y);
  writeNpy(path.join(p, 'a.npy'), a);
  writeNpy(path.join(p, 'split.npy'), split);
  return p;
}

test('mat train on a .npy folder notes the label mapping; mat predict maps labels by data.json and reproduces the test accuracy', () => {
  const data = labelledFolder('labelled', 200);
  const run = at('run');
  const r = mat('train', '--data', data, '--attr', 'a', '--steps', '200', '--lr', '0.1', '--json', '--no-cache', '--out', run);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /mat: note: .*labelled: labels of array "y" are 3, 8, not 0\.\.1; mapped in sorted order to classes 3 → 0, 8 → 1/);
  const trained = JSON.parse(r.stdout);
  const p = mat('predict', '--model', path.join(run, 'model.onnx'), '--data', data, '--json');
  assert.equal(p.status, 0, p.stderr);
  const summary = JSON.parse(p.stdout);
  assert.ok(Math.abs(summary.accuracy.test.average - trained.test.average) < 1e-9, `${summary.accuracy.test.average} vs ${trained.test.average}`);
  assert.ok(Math.abs(summary.accuracy.test.worstGroup - trained.test.worstGroup) < 1e-9);
  assert.deepEqual(summary.accuracy.all.groups.map((g: { y: string }) => g.y).sort(), ['3', '3', '8', '8']);
  // A label the model never saw is an error that names the classes.
  const other = labelledFolder('other', 20, [3, 5]);
  const bad = mat('predict', '--model', path.join(run, 'model.onnx'), '--data', other, '--json');
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /5 is not a class of the model \(its classes: 3, 8\)/);
});

test('mat train refuses a training split with one class (exit 2)', () => {
  const data = labelledFolder('oneclass', 40);
  const y = readNpy(path.join(data, 'y.npy')).data as Int32Array;
  const split = readNpy(path.join(data, 'split.npy')).data as Int32Array;
  writeNpy(path.join(data, 'y.npy'), Int32Array.from(y, (v, i) => (split[i] === 0 ? 3 : v)));
  const r = mat('train', '--data', data, '--steps', '10', '--quiet', '--no-cache');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /training split of array "y" holds a single class \("3"\)/);
});

test('mat embed, then --data DIR; and --data waterbirds:DIR with --embeddings in mat train and mat sweep', async () => {
  const root = await waterbirdsFolder(at('wb'));
  const onnx = imageBackbone(at('models', 'image.onnx'));
  const out = at('wb-emb');
  const e = mat('embed', '--data', `waterbirds:${root}`, '--backbone', onnx, '--out', out, '--chunk', '3', '--threads', '1');
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stderr, /8 rows × 3 features/);
  assert.deepEqual(fs.readdirSync(out).sort(), ['a.npy', 'embed.json', 'split.npy', 'x.npy', 'y.npy']);
  const fromFolder = mat('train', '--data', out, '--attr', 'a', '--steps', '20', '--json', '--no-cache');
  assert.equal(fromFolder.status, 0, fromFolder.stderr);
  const run = at('wb-run');
  const fromBench = mat('train', '--data', `waterbirds:${root}`, '--embeddings', path.join(out, 'x.npy'), '--steps', '20', '--json', '--no-cache', '--out', run);
  assert.equal(fromBench.status, 0, fromBench.stderr);
  const [f, b] = [JSON.parse(fromFolder.stdout), JSON.parse(fromBench.stdout)];
  assert.equal(b.dataset, 'waterbirds');
  assert.deepEqual(b.test, f.test, 'the same rows, the same model');
  // The model of the named classes (landbird, waterbird) predicts the embedded folder, whose labels are their codes.
  const p = mat('predict', '--model', path.join(run, 'model.onnx'), '--data', out, '--json');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stderr, /labels taken as class indices 0\.\.1 \(0 = landbird, 1 = waterbird\)/);
  assert.equal(JSON.parse(p.stdout).accuracy.test.average, b.test.average);
  const sweep = mat('sweep', '--data', `waterbirds:${root}`, '--embeddings', path.join(out, 'x.npy'), '--algorithms', 'erm',
    '--combos', '1', '--seeds', '1', '--steps', '20', '--workers', '1', '--threads', '1', '--out', at('sweep'), '--quiet');
  assert.equal(sweep.status, 0, sweep.stderr);
  assert.ok(fs.readdirSync(at('sweep')).length > 1);
  for (const [args, message] of [
    [['train', '--data', `waterbirds:${root}`], /give --embeddings FILE\.npy .* or --backbone model\.onnx/],
    [['train', '--data', `multinli:${root}`, '--backbone', onnx], /needs --tokenizer/],
    [['train', '--data', out, '--embeddings', path.join(out, 'x.npy')], /apply to benchmark folders/],
    [['embed', '--data', root, '--backbone', onnx, '--out', at('x')], /expected a benchmark folder/],
  ] as const) {
    const r = mat(...args, '--quiet');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});
