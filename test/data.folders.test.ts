// Folders of .npy files (read like an .npz, one buffer per array), the label checks that refuse or note
// malformed labels, and `embedBenchmark` (a backbone run once over a benchmark folder, resumable).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { npyHeader, readNpy, writeNpy, writeNpz } from '../src/data/files/npy.js';
import { loadDatasetFile, loadRows } from '../src/data/files/load.js';
import { toDataset } from '../src/data/arrays.js';
import { embedBenchmark, loadMultiNLI, loadWaterbirds } from '../src/data/benchmarks/index.js';
import { InputError } from '../src/util/errors.js';
import { imageBackbone, textBackbone, tokenizerJson, waterbirdsFolder } from './benchmarkFixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-folders-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (...p: string[]) => path.join(dir, ...p);

function isInputError(...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    for (const p of patterns) assert.match((e as Error).message, p);
    return true;
  };
}

/** 12 rows, 3 features: row i = [i, 2i, −i]; labels and splits as given. */
function arrays(y: number[], split: number[], a?: number[]) {
  const n = y.length;
  const x = Float32Array.from({ length: n * 3 }, (_, k) => [1, 2, -1][k % 3] * Math.floor(k / 3));
  return { x: { data: x, shape: [n, 3] }, y: Int32Array.from(y), split: Int32Array.from(split), ...(a ? { a: Int32Array.from(a) } : {}) };
}
const Y = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
const S = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const A = [0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0];

function npyFolder(name: string, arrs: Record<string, Parameters<typeof writeNpy>[1]>): string {
  const p = at(name);
  fs.mkdirSync(p, { recursive: true });
  for (const [k, v] of Object.entries(arrs)) writeNpy(path.join(p, `${k}.npy`), v);
  return p;
}

test('a folder of .npy files loads as the same arrays in an .npz do; x views the file buffer (no second copy)', async () => {
  const arrs = arrays(Y, S, A);
  const folder = npyFolder('plain', arrs);
  writeNpz(at('plain.npz'), arrs);
  const fromDir = await loadDatasetFile(folder, { label: 'y', attr: 'a' });
  const fromNpz = await loadDatasetFile(at('plain.npz'), { label: 'y', attr: 'a' });
  assert.equal(fromDir.name, 'plain');
  for (const s of ['train', 'val', 'test'] as const) {
    assert.deepEqual(Array.from(fromDir[s].x), Array.from(fromNpz[s].x));
    assert.deepEqual(Array.from(fromDir[s].y), Array.from(fromNpz[s].y));
    assert.deepEqual(Array.from(fromDir[s].a!), Array.from(fromNpz[s].a!));
  }
  // Contiguous splits are views of the one buffer holding x.npy's bytes.
  const xBytes = fs.statSync(path.join(folder, 'x.npy')).size;
  assert.equal(fromDir.train.x.buffer.byteLength, xBytes);
  assert.equal(fromDir.val.x.buffer, fromDir.train.x.buffer);
  const shared = await loadDatasetFile(folder, { label: 'y', attr: 'a', shared: true });
  assert.ok(shared.train.x.buffer instanceof SharedArrayBuffer);
  // Arrays nobody asked for are not read: an unreadable extra .npy does no harm.
  fs.writeFileSync(path.join(folder, 'junk.npy'), 'not an array');
  await loadDatasetFile(folder, { label: 'y', attr: 'a' });
});

test('a .npy folder gets the NPZ checks: missing split, rows that do not match, no .npy at all, a lone .npy file', async () => {
  const { x, y } = arrays(Y, S);
  await assert.rejects(loadDatasetFile(npyFolder('nosplit', { x, y }), { label: 'y' }), isInputError(/nosplit/, /no split array/, /arrays: x, y/));
  await assert.rejects(
    loadDatasetFile(npyFolder('short', { x, y: Int32Array.from(Y.slice(0, 11)), split: Int32Array.from(S) }), { label: 'y' }),
    isInputError(/short/, /array "y" has 11 values but "x" has 12 rows/),
  );
  fs.mkdirSync(at('empty'));
  await assert.rejects(loadDatasetFile(at('empty'), { label: 'y' }), isInputError(/empty/, /no \.npy files/, /x\.npy, y\.npy, split\.npy/));
  writeNpy(at('lone.npy'), Float32Array.from([1, 2]));
  await assert.rejects(loadDatasetFile(at('lone.npy'), { label: 'y' }), isInputError(/single array/, /in a folder/));
});

test('a training split with one class, and a class with no training example, are errors that list the labels', async () => {
  const oneClass = npyFolder('oneclass', arrays(Y.map((v, i) => (S[i] === 0 ? 1 : v)), S));
  await assert.rejects(
    loadDatasetFile(oneClass, { label: 'y' }),
    isInputError(/oneclass/, /training split of array "y" holds a single class \("1"\)/, /0 \(0\), 1 \(6\)/),
  );
  const noTrain = npyFolder('notrain', arrays(Y.map((v, i) => (i === 10 ? 2 : v)), S));
  await assert.rejects(loadDatasetFile(noTrain, { label: 'y' }), isInputError(/class "2" of array "y" has no training example/, /2 \(0\)/));
});

test('plain arrays: labels with gaps, and a training split with one class, are refused', () => {
  const x = [[0], [1], [2], [3]];
  assert.throws(() => toDataset({ train: { x, y: [0, 1, 7, 1] } }), isInputError(/train\.y: classes 2, 3, 4, 5, 6 of 0\.\.7 have no training example/, /0 \(1\), 1 \(2\), 7 \(1\)/));
  assert.throws(() => toDataset({ train: { x, y: [1, 1, 1, 1] }, val: { x, y: [0, 1, 0, 1] } }), isInputError(/class 0 of 0\.\.1 has no training example/));
  assert.equal(toDataset({ train: { x, y: [0, 1, 2, 1] } }).numClasses, 3);
});

test('numeric labels with gaps are mapped in sorted order with a note; a single-example class is noted', async () => {
  const y = Y.map((v, i) => (v === 1 ? 7 : i === 0 ? -1 : 0)); // labels −1 (train row 0 only), 0, 7
  const notes: string[] = [];
  const ds = await loadDatasetFile(npyFolder('gaps', arrays(y, S)), { label: 'y', onNote: (m) => notes.push(m) });
  assert.deepEqual(ds.classNames, ['-1', '0', '7']);
  assert.equal(ds.train.y[0], 0);
  assert.equal(ds.train.y[1], 2);
  assert.equal(notes.length, 2, notes.join('\n'));
  assert.match(notes[0], /labels of array "y" are -1, 0, 7, not 0\.\.2; mapped in sorted order to classes -1 → 0, 0 → 1, 7 → 2/);
  assert.match(notes[1], /class "-1" of array "y" has a single training example/);
  // Labels already 0..K−1 with ≥ 2 training examples each: nothing to say.
  const quiet: string[] = [];
  await loadDatasetFile(npyFolder('fine', arrays(Y, S)), { label: 'y', onNote: (m) => quiet.push(m) });
  assert.deepEqual(quiet, []);
});

test('float16 features are converted to float32 with a note', async () => {
  const folder = npyFolder('half', { y: Int32Array.from(Y), split: Int32Array.from(S) });
  // x = 1.5 everywhere but row i column 0 = i (exact in float16 up to 2048).
  const half = new Uint16Array(12 * 2);
  const toHalf = (v: number) => (v === 0 ? 0 : ((Math.floor(Math.log2(v)) + 15) << 10) | Math.round((v / 2 ** Math.floor(Math.log2(v)) - 1) * 1024));
  for (let i = 0; i < 12; i++) { half[2 * i] = toHalf(i); half[2 * i + 1] = toHalf(1.5); }
  const header = npyHeader('<f2', [12, 2]);
  fs.writeFileSync(path.join(folder, 'x.npy'), Buffer.concat([header, new Uint8Array(half.buffer)]));
  const notes: string[] = [];
  const ds = await loadDatasetFile(folder, { label: 'y', onNote: (m) => notes.push(m) });
  assert.ok(ds.train.x instanceof Float32Array);
  assert.deepEqual(Array.from(ds.train.x.subarray(0, 6)), [0, 1.5, 1, 1.5, 2, 1.5]);
  assert.deepEqual(notes.map((m) => /array "x" is float16; converted to float32 \(12 × 2 values\)/.test(m)), [true]);
});

test('loadRows: features of a file without labels or splits, and labels, attributes and splits when present', async () => {
  const { x } = arrays(Y, S);
  const bare = await loadRows(npyFolder('bare', { x }));
  assert.equal(bare.n, 12);
  assert.equal(bare.dim, 3);
  assert.equal(bare.label, undefined);
  assert.equal(bare.split, undefined);
  fs.writeFileSync(at('rows.csv'), 'f0,f1,y,split\n1,2,a,train\n3,4,b,test\n');
  const rows = await loadRows(at('rows.csv'), { label: 'y' });
  assert.deepEqual(rows.featureNames, ['f0', 'f1']);
  assert.deepEqual(Array.from(rows.x), [1, 2, 3, 4]);
  assert.deepEqual(rows.label, ['a', 'b']);
  assert.deepEqual(Array.from(rows.split!), [0, 2]);
  await assert.rejects(loadRows(at('rows.csv'), { features: ['f0', 'f1', 'f2', 'f3'] }), isInputError(/feature columns "f2", "f3" not found/));
  await assert.rejects(loadRows(at('rows.csv'), { label: 'nope' }), isInputError(/column "nope" not found/));
  const optional = await loadRows(at('rows.csv'), { label: 'nope', ifPresent: true });
  assert.equal(optional.label, undefined);
});

// ---------- embedBenchmark ----------

test('embedBenchmark writes x/y/a/split .npy files that load like the benchmark, and resumes after an interruption', async () => {
  const root = at('wb');
  await waterbirdsFolder(root);
  const onnx = imageBackbone(at('models', 'image.onnx'));
  const out = at('wb-emb');
  const backbone = { onnx, threads: 1, batchSize: 2 };
  // Interrupted after its second chunk.
  const first: boolean[] = [];
  await assert.rejects(
    embedBenchmark({ benchmark: 'waterbirds', root, backbone, out, chunkRows: 3, onChunk: (c, computed) => { first.push(computed); if (c === 1) throw new Error('interrupted'); } }),
    /interrupted/,
  );
  assert.deepEqual(first, [true, true]);
  assert.ok(!fs.existsSync(path.join(out, 'x.npy')));
  const second: boolean[] = [];
  const res = await embedBenchmark({ benchmark: 'waterbirds', root, backbone, out, chunkRows: 3, onChunk: (_, computed) => second.push(computed) });
  assert.deepEqual(second, [false, false, true], 'two chunks reused, the last computed');
  assert.deepEqual([res.rows, res.dim, res.computed, res.reused], [8, 3, 1, 2]);
  assert.ok(!fs.existsSync(path.join(out, '.chunks')));
  // The folder loads as the benchmark with the backbone run in one go.
  const viaFolder = await loadDatasetFile(out, { label: 'y', attr: 'a' });
  const direct = await loadWaterbirds({ root, backbone });
  for (const s of ['train', 'val', 'test'] as const) {
    assert.deepEqual(Array.from(viaFolder[s].x), Array.from(direct[s].x));
    assert.deepEqual(Array.from(viaFolder[s].y), Array.from(direct[s].y));
    assert.deepEqual(Array.from(viaFolder[s].a!), Array.from(direct[s].a!));
  }
  assert.deepEqual(readNpy(path.join(out, 'x.npy')).shape, [8, 3]);
  // Done: a rerun computes nothing; other settings into the same folder are refused.
  const again = await embedBenchmark({ benchmark: 'waterbirds', root, backbone, out, chunkRows: 3 });
  assert.deepEqual([again.computed, again.reused, again.dim], [0, 0, 3]);
  await assert.rejects(embedBenchmark({ benchmark: 'waterbirds', root, backbone, out, chunkRows: 4 }), isInputError(/other settings/));
});

test('embedBenchmark on a text benchmark (MultiNLI sentence pairs) matches loading it with the backbone', async () => {
  const root = at('mnli');
  fs.mkdirSync(root, { recursive: true });
  const rows = [[0, 1, 0, 'the cat sat', 'not a dog'], [1, 0, 0, 'a dog', 'the dog sat'], [2, 0, 0, 'the cat', 'a cat'],
    [0, 0, 1, 'a dog sat', 'the cat'], [1, 1, 1, 'the dog', 'not the cat'], [2, 0, 2, 'a cat sat', 'a dog'], [0, 1, 2, 'the cat', 'not a cat']];
  fs.writeFileSync(path.join(root, 'metadata_random.csv'), ',gold_label,sentence2_has_negation,split,sentence1,sentence2\n' + rows.map((r, i) => [i, ...r].join(',')).join('\n') + '\n');
  const backbone = { onnx: textBackbone(at('models', 'text.onnx')), tokenizer: tokenizerJson(at('models', 'tokenizer.json'), ['the', 'a', 'cat', 'dog', 'sat', 'not']), threads: 1 };
  const out = at('mnli-emb');
  const res = await embedBenchmark({ benchmark: 'multinli', root, backbone, out, chunkRows: 4 });
  assert.deepEqual([res.rows, res.dim, res.computed], [7, 2, 2]);
  const viaFolder = await loadDatasetFile(out, { label: 'y', attr: 'a' });
  const direct = await loadMultiNLI({ root, backbone });
  assert.deepEqual(Array.from(viaFolder.test.x), Array.from(direct.test.x));
  assert.deepEqual(Array.from(viaFolder.train.y), Array.from(direct.train.y));
  // "[CLS] the cat sat [SEP] not a dog [SEP]": ids 2 + 4 + 6 + 8 + 3 + 9 + 5 + 7 + 3 = 47.
  assert.deepEqual(Array.from(viaFolder.train.x.subarray(0, 2)), [47, -23.5]);
  await assert.rejects(embedBenchmark({ benchmark: 'multinli', root, backbone: { onnx: backbone.onnx }, out: at('none') }), isInputError(/needs a tokenizer/));
});
