// Benchmark adapters on tiny fixture folders in the standard layouts, with precomputed embeddings and
// with tiny ONNX backbones built here by the project's own engine. Nothing is downloaded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Graph } from '../src/engine/graph.js';
import { emitOnnx } from '../src/engine/onnx.js';
import { groupsOf, type Dataset } from '../src/data/dataset.js';
import { writeNpy } from '../src/data/files/npy.js';
import { InputError } from '../src/util/errors.js';
import { tokenizerJson as writeTokenizerJson } from './benchmarkFixtures.js';
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  loadBenchmark,
  loadCelebA,
  loadCivilComments,
  loadMultiNLI,
  loadWaterbirds,
} from '../src/data/benchmarks/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-bench-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const at = (...p: string[]) => path.join(dir, ...p);
function write(file: string, text: string | Uint8Array): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function isInputError(...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    for (const p of patterns) assert.match((e as Error).message, p);
    return true;
  };
}

const sizes = (ds: Dataset) => [ds.train.y.length, ds.val.y.length, ds.test.y.length];

/** n × d embeddings with row i = [i, i + 0.5, ...] so that rows can be traced to metadata rows. */
function embeddingsFile(name: string, n: number, d: number): string {
  const x = Float32Array.from({ length: n * d }, (_, k) => Math.floor(k / d) + (k % d) * 0.5);
  const p = at(name);
  writeNpy(p, { data: x, shape: [n, d] });
  return p;
}

// ---------- tiny backbones ----------

/** Image backbone: global average pool over H, W of [B, 3, 224, 224], then a fixed 3 × 4 linear map. */
const W_IMG = Float32Array.from([1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1]);
function imageBackbone(): string {
  const g = new Graph();
  const px = g.input('pixels', 'float32', ['batch', 3, 224, 224]);
  const pooled = g.reduceMean(g.reduceMean(px, 3), 2); // [batch, 3]
  const emb = g.matmul(pooled, g.constant(W_IMG, [3, 4]));
  return write(at('models', 'image.onnx'), emitOnnx(g, { inputs: [px], outputs: [{ name: 'embedding', value: emb }] }));
}

/** Text backbone: [B, T, 3] with row t = (ids_t·mask_t + Σ_t' ids·mask) · w, so position 0 ([CLS]) = (CLS + Σ ids) · w. */
const W_TXT = Float32Array.from([1, 0.5, -1]);
function textBackbone(): string {
  const g = new Graph();
  const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'seq']);
  const m = g.mul(g.cast(ids, 'float32'), g.cast(mask, 'float32'));
  const z = g.add(m, g.reduceSum(m, 1, true));
  const h = g.mul(g.unsqueeze(z, 2), g.constant(W_TXT, [1, 1, 3]));
  return write(at('models', 'text.onnx'), emitOnnx(g, { inputs: [ids, mask], outputs: [{ name: 'last_hidden_state', value: h }] }));
}

const VOCAB: Record<string, number> = {
  '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3,
  the: 4, cat: 5, sat: 6, not: 7, a: 8, dog: 9, is: 10, good: 11, bad: 12, you: 13,
};
/** The fixtures' WordLevel tokenizer.json over VOCAB's words (ids in VOCAB's order after the special tokens). */
function tokenizerJson(): string {
  return writeTokenizerJson(at('models', 'tokenizer.json'), Object.keys(VOCAB).slice(4));
}
/** The [CLS] row the text backbone gives for the token ids after [CLS] (…, [SEP]): (CLS + CLS + Σ ids) · w. */
const clsRow = (ids: number[]) => Array.from(W_TXT, (w) => (2 + 2 + ids.reduce((s, v) => s + v, 0)) * w);
const tok = (words: string) => words.toLowerCase().split(/\s+/).map((w) => VOCAB[w] ?? 1);

/** Embedding the image backbone gives for a solid colour [r, g, b] (0..255). */
function solidEmbedding(rgb: number[]): number[] {
  const c = rgb.map((v, k) => (v / 255 - IMAGENET_MEAN[k]) / IMAGENET_STD[k]);
  return [0, 1, 2, 3].map((j) => c[0] * W_IMG[j] + c[1] * W_IMG[4 + j] + c[2] * W_IMG[8 + j]);
}

async function solidImage(file: string, rgb: number[], format: 'png' | 'jpeg', w = 40, h = 30): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toFile(file);
}

function assertClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: expected ${expected[i]}, got ${actual[i]}`);
  }
}

// ---------- Waterbirds ----------

const RED = [200, 30, 40];
const BLUE = [20, 60, 220];

async function waterbirdsFixture(): Promise<string> {
  const root = at('waterbird_complete95_forest2water2');
  // img_id, img_filename, y, split, place, place_filename — 7 rows: 3 train, 2 val, 2 test.
  const rows = [
    [1, '001.Black_footed_Albatross/a1.png', 1, 0, 1],
    [2, '002.Laysan_Albatross/a2.jpg', 1, 0, 0],
    [3, '010.Red_winged_Blackbird/b1.png', 0, 0, 0],
    [4, '010.Red_winged_Blackbird/b2.png', 0, 1, 1],
    [5, '001.Black_footed_Albatross/a1.png', 1, 1, 1],
    [6, '010.Red_winged_Blackbird/b1.png', 0, 2, 0],
    [7, '002.Laysan_Albatross/a2.jpg', 1, 2, 0],
  ];
  write(
    path.join(root, 'metadata.csv'),
    'img_id,img_filename,y,split,place,place_filename\n' +
      rows.map((r) => `${r.join(',')},/b/bamboo_forest/00000${r[0]}.jpg`).join('\n') + '\n',
  );
  await solidImage(path.join(root, '001.Black_footed_Albatross/a1.png'), BLUE, 'png');
  await solidImage(path.join(root, '002.Laysan_Albatross/a2.jpg'), BLUE, 'jpeg', 30, 50);
  await solidImage(path.join(root, '010.Red_winged_Blackbird/b1.png'), RED, 'png', 25, 25);
  await solidImage(path.join(root, '010.Red_winged_Blackbird/b2.png'), RED, 'png', 60, 20);
  return root;
}

test('Waterbirds: metadata.csv + precomputed embeddings, and + an ONNX image backbone', async () => {
  const root = await waterbirdsFixture();
  const emb = embeddingsFile('wb.npy', 7, 5);
  const ds = await loadWaterbirds({ root, embeddings: emb });
  assert.equal(ds.name, 'waterbirds');
  assert.deepEqual(sizes(ds), [3, 2, 2]);
  assert.equal(ds.dim, 5);
  assert.equal(ds.numClasses, 2);
  assert.equal(ds.numAttributes, 2);
  assert.deepEqual(ds.attributeNames, ['land', 'water']);
  assert.deepEqual(Array.from(groupsOf(ds.train, 2)), [3, 2, 0]);
  assert.deepEqual(Array.from(groupsOf(ds.val, 2)), [1, 3]);
  assert.deepEqual(Array.from(ds.test.ids!), [5, 6]);
  assert.equal(ds.test.x[0], 5, 'test row 0 is metadata row 5');

  const saved = at('wb-computed.npy');
  const viaOnnx = await loadWaterbirds({ root, backbone: { onnx: imageBackbone(), batchSize: 3, threads: 1 }, saveEmbeddings: saved });
  assert.deepEqual(sizes(viaOnnx), [3, 2, 2]);
  assert.equal(viaOnnx.dim, 4);
  assert.equal(viaOnnx.train.x.length, 3 * 4);
  assertClose(viaOnnx.train.x.subarray(0, 4), solidEmbedding(BLUE), 1e-4, 'PNG row');
  assertClose(viaOnnx.train.x.subarray(4, 8), solidEmbedding(BLUE), 0.05, 'JPEG row');
  assertClose(viaOnnx.train.x.subarray(8, 12), solidEmbedding(RED), 1e-4, 'red row');
  assertClose(viaOnnx.val.x.subarray(0, 4), solidEmbedding(RED), 1e-4, 'wide image, centre crop');
  // The saved embeddings load back as precomputed ones.
  const again = await loadWaterbirds({ root, embeddings: saved });
  assert.deepEqual(Array.from(again.test.x), Array.from(viaOnnx.test.x));
});

test('Waterbirds errors: misaligned embeddings, missing image, bad metadata values', async () => {
  const root = at('waterbird_complete95_forest2water2');
  if (!fs.existsSync(root)) await waterbirdsFixture();
  await assert.rejects(
    loadWaterbirds({ root, embeddings: embeddingsFile('wb-short.npy', 6, 5) }),
    isInputError(/wb-short\.npy/, /6 rows/, /metadata\.csv has 7 rows/, /one embedding per metadata row/),
  );
  await assert.rejects(loadWaterbirds({ root }), isInputError(/no features/));
  await assert.rejects(
    loadWaterbirds({ root, embeddings: embeddingsFile('wb-ok.npy', 7, 2), backbone: { onnx: 'x.onnx' } }),
    isInputError(/either precomputed embeddings or an ONNX backbone/),
  );
  await assert.rejects(loadWaterbirds({ root: at('nowhere'), embeddings: 'e.npy' }), isInputError(/nowhere.*metadata\.csv: CSV file not found/));

  const broken = at('wb-broken');
  fs.cpSync(root, broken, { recursive: true });
  const meta = fs.readFileSync(path.join(broken, 'metadata.csv'), 'utf8');
  write(path.join(broken, 'metadata.csv'), meta.replace('4,010.Red_winged_Blackbird/b2.png,0,1,1', '4,010.Red_winged_Blackbird/b2.png,0,1,2'));
  await assert.rejects(
    loadWaterbirds({ root: broken, embeddings: embeddingsFile('wb-b.npy', 7, 2) }),
    isInputError(/wb-broken.*metadata\.csv/, /column "place", row 4: expected one of 0, 1, got "2"/),
  );
  fs.rmSync(path.join(broken, '010.Red_winged_Blackbird/b2.png'));
  write(path.join(broken, 'metadata.csv'), meta);
  await assert.rejects(
    loadWaterbirds({ root: broken, backbone: { onnx: imageBackbone(), threads: 1 } }),
    isInputError(/b2\.png: image not found/),
  );
  // A split with no examples.
  write(path.join(broken, 'metadata.csv'), meta.replace(/,0,2,0,\//g, ',0,1,0,/').replace(/,1,2,0,\//g, ',1,1,0,/'));
  await assert.rejects(
    loadWaterbirds({ root: broken, embeddings: embeddingsFile('wb-c.npy', 7, 2) }),
    isInputError(/split "test" has no examples/, /train 3, val 4, test 0/),
  );
});

// ---------- CelebA ----------

async function celebaFixture(): Promise<string> {
  const root = at('celeba');
  const names = ['5_o_Clock_Shadow', 'Blond_Hair', 'Male', 'Smiling'];
  // file, 5_o_Clock_Shadow, Blond_Hair, Male, Smiling; partition
  const rows: [string, number[], number][] = [
    ['000001.jpg', [-1, 1, -1, 1], 0],
    ['000002.jpg', [-1, -1, -1, 1], 0],
    ['000003.jpg', [1, -1, 1, -1], 0],
    ['000004.jpg', [1, 1, 1, -1], 0],
    ['000005.jpg', [-1, 1, -1, -1], 1],
    ['000006.jpg', [1, -1, 1, 1], 1],
    ['000007.jpg', [-1, 1, 1, 1], 2],
    ['000008.jpg', [-1, -1, -1, 1], 2],
  ];
  const pad = (v: number) => (v === 1 ? ' 1' : '-1');
  write(
    path.join(root, 'list_attr_celeba.txt'),
    `${rows.length}\n${names.join(' ')} \n` + rows.map(([f, v]) => `${f} ${v.map(pad).join(' ')}`).join('\n') + '\n',
  );
  write(path.join(root, 'list_eval_partition.txt'), rows.map(([f, , s]) => `${f} ${s}`).join('\n') + '\n');
  for (const [f, v] of rows) await solidImage(path.join(root, 'img_align_celeba', f), v[1] === 1 ? [230, 200, 60] : [60, 40, 30], 'jpeg', 18, 22);
  return root;
}

test('CelebA: list_attr_celeba.txt + list_eval_partition.txt, Blond_Hair × Male, embeddings and backbone', async () => {
  const root = await celebaFixture();
  const ds = await loadCelebA({ root, embeddings: embeddingsFile('celeba.npy', 8, 3) });
  assert.equal(ds.name, 'celeba');
  assert.deepEqual(sizes(ds), [4, 2, 2]);
  assert.deepEqual(Array.from(ds.train.y), [1, 0, 0, 1]);
  assert.deepEqual(Array.from(ds.train.a!), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(groupsOf(ds.test, 2)), [3, 0]);
  assert.deepEqual(ds.classNames, ['not Blond_Hair', 'Blond_Hair']);
  assert.deepEqual(ds.attributeNames, ['not Male', 'Male']);
  const smiling = await loadCelebA({ root, label: 'Smiling', embeddings: embeddingsFile('celeba2.npy', 8, 3) });
  assert.deepEqual(Array.from(smiling.train.y), [1, 1, 0, 0]);

  const viaOnnx = await loadCelebA({ root, backbone: { onnx: imageBackbone(), batchSize: 5, threads: 1 } });
  assert.deepEqual(sizes(viaOnnx), [4, 2, 2]);
  assert.equal(viaOnnx.dim, 4);
  assertClose(viaOnnx.train.x.subarray(0, 4), solidEmbedding([230, 200, 60]), 0.05, 'blond image');
  assertClose(viaOnnx.train.x.subarray(4, 8), solidEmbedding([60, 40, 30]), 0.05, 'dark image');

  await assert.rejects(
    loadCelebA({ root, embeddings: embeddingsFile('celeba-long.npy', 9, 3) }),
    isInputError(/celeba-long\.npy: the embeddings have 9 rows but .*list_attr_celeba\.txt has 8 rows/),
  );
  await assert.rejects(
    loadCelebA({ root, label: 'Eyeglasses', embeddings: embeddingsFile('celeba3.npy', 8, 3) }),
    isInputError(/list_attr_celeba\.txt: attribute "Eyeglasses" not found/, /Blond_Hair, Male/),
  );
  // The Kaggle CSV variant of the same files.
  const kaggle = at('celeba-kaggle');
  const lines = fs.readFileSync(path.join(root, 'list_attr_celeba.txt'), 'utf8').trim().split('\n');
  write(
    path.join(kaggle, 'list_attr_celeba.csv'),
    ['image_id,' + lines[1].trim().split(/\s+/).join(','), ...lines.slice(2).map((l) => l.trim().split(/\s+/).join(','))].join('\n') + '\n',
  );
  write(
    path.join(kaggle, 'list_eval_partition.csv'),
    'image_id,partition\n' + fs.readFileSync(path.join(root, 'list_eval_partition.txt'), 'utf8').trim().split('\n').map((l) => l.replace(' ', ',')).join('\n') + '\n',
  );
  const fromCsv = await loadCelebA({ root: kaggle, embeddings: embeddingsFile('celeba5.npy', 8, 3) });
  assert.deepEqual(Array.from(fromCsv.train.y), Array.from(ds.train.y));
  assert.deepEqual(Array.from(fromCsv.test.a!), Array.from(ds.test.a!));

  const broken = at('celeba-broken');
  fs.mkdirSync(broken);
  fs.copyFileSync(path.join(root, 'list_attr_celeba.txt'), path.join(broken, 'list_attr_celeba.txt'));
  write(path.join(broken, 'list_eval_partition.txt'), fs.readFileSync(path.join(root, 'list_eval_partition.txt'), 'utf8').replace('000006.jpg 1\n', ''));
  await assert.rejects(
    loadCelebA({ root: broken, embeddings: embeddingsFile('celeba4.npy', 8, 3) }),
    isInputError(/list_eval_partition\.txt: no split for "000006\.jpg" \(row 6 of/),
  );
});

// ---------- MultiNLI ----------

function multinliFixture(withText: boolean): string {
  const root = at(withText ? 'multinli-text' : 'multinli');
  const rows: [number, number, number, string, string][] = [
    [0, 1, 0, 'the cat sat', 'the cat is not a dog'],
    [1, 0, 0, 'a dog', 'the dog sat'],
    [2, 0, 0, 'the cat', 'a cat'],
    [0, 0, 1, 'a dog is good', 'the dog is bad'],
    [1, 1, 1, 'you sat', 'you did not sit'],
    [2, 0, 2, 'the cat is good', 'a dog'],
    [0, 1, 2, 'the cat', 'not a cat'],
  ];
  const header = withText ? ',gold_label,sentence2_has_negation,split,sentence1,sentence2' : ',gold_label,sentence2_has_negation,split';
  write(
    path.join(root, 'metadata_random.csv'),
    header + '\n' + rows.map((r, i) => [i, r[0], r[1], r[2], ...(withText ? [r[3], r[4]] : [])].join(',')).join('\n') + '\n',
  );
  return root;
}

test('MultiNLI: metadata_random.csv, 3 classes × negation, embeddings and a text backbone on sentence pairs', async () => {
  const root = multinliFixture(false);
  const ds = await loadMultiNLI({ root, embeddings: embeddingsFile('mnli.npy', 7, 4) });
  assert.equal(ds.name, 'multinli');
  assert.deepEqual(sizes(ds), [3, 2, 2]);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual(ds.classNames, ['contradiction', 'entailment', 'neutral']);
  assert.deepEqual(Array.from(groupsOf(ds.train, 2)), [1, 2, 4]);
  assert.deepEqual(Array.from(groupsOf(ds.test, 2)), [4, 1]);
  await assert.rejects(
    loadMultiNLI({ root, backbone: { onnx: textBackbone(), tokenizer: tokenizerJson() } }),
    isInputError(/metadata_random\.csv: column "sentence1" not found/, /precomputed embeddings/),
  );

  const withText = multinliFixture(true);
  const viaOnnx = await loadMultiNLI({ root: withText, backbone: { onnx: textBackbone(), tokenizer: tokenizerJson(), batchSize: 4, threads: 1 } });
  assert.deepEqual(sizes(viaOnnx), [3, 2, 2]);
  assert.equal(viaOnnx.dim, 3);
  // Row 0: [CLS] the cat sat [SEP] the cat is not a dog [SEP]
  const ids0 = [...tok('the cat sat'), 3, ...tok('the cat is not a dog'), 3];
  assertClose(viaOnnx.train.x.subarray(0, 3), clsRow(ids0), 1e-4, 'pair row 0');
  // Row 4 (val 1) has an unknown word ("did", "sit" → [UNK] = 1).
  const ids4 = [...tok('you sat'), 3, ...tok('you did not sit'), 3];
  assertClose(viaOnnx.val.x.subarray(3, 6), clsRow(ids4), 1e-4, 'pair with unknown words');
  // Truncation keeps the closing [SEP]: maxLength 4 → [CLS] the cat [SEP].
  const short = await loadMultiNLI({ root: withText, backbone: { onnx: textBackbone(), tokenizer: tokenizerJson(), maxLength: 4, threads: 1 } });
  assertClose(short.train.x.subarray(0, 3), clsRow([4, 5, 3]), 1e-4, 'truncated row 0');

  await assert.rejects(
    loadMultiNLI({ root: withText, backbone: { onnx: textBackbone(), tokenizer: at('models', 'missing.json') } }),
    isInputError(/missing\.json: tokenizer\.json not found/),
  );
  await assert.rejects(
    loadMultiNLI({ root: withText, backbone: { onnx: at('models', 'missing.onnx'), tokenizer: tokenizerJson() } }),
    isInputError(/missing\.onnx: ONNX backbone not found/),
  );

  const bad = at('multinli-bad');
  write(path.join(bad, 'metadata_random.csv'), fs.readFileSync(path.join(root, 'metadata_random.csv'), 'utf8').replace('\n3,0,0,1', '\n3,5,0,1'));
  await assert.rejects(
    loadMultiNLI({ root: bad, embeddings: embeddingsFile('mnli2.npy', 7, 4) }),
    isInputError(/column "gold_label", row 4: expected one of 0, 1, 2, contradiction, entailment, neutral, got "5"/),
  );
});

// ---------- CivilComments ----------

const IDS = ['male', 'female', 'LGBTQ', 'christian', 'muslim', 'other_religions', 'black', 'white'];
function civilFixture(): string {
  const root = at('civilcomments_v1.0');
  // comment, toxicity, split, identity values (in IDS order)
  const rows: [string, number, string, number[]][] = [
    ['you are good', 0.1, 'train', [0, 0, 0, 0, 0, 0, 0, 0]], // none
    ['you are bad', 0.8, 'train', [0, 0.6, 0, 0, 0, 0, 0.9, 0]], // female and black → female
    ['the cat is good', 0.5, 'train', [0, 0, 0, 0, 0, 0, 0, 1]], // toxic at exactly 0.5; white
    ['a dog', 0.2, 'train', [0.4, 0, 0, 0, 0, 0, 0, 0]], // 0.4 < 0.5 → none
    ['the dog is bad', 0.9, 'val', [1, 0, 0, 0.7, 0, 0, 0, 0]], // male first
    ['not good', 0.0, 'val', [0, 0, 0, 0, 1, 0, 0, 0]], // muslim
    ['bad bad', 0.7, 'test', [0, 0, 0, 0, 0, 0, 0, 0]], // none
    ['good', 0.3, 'test', [0, 0, 1, 0, 0, 0, 0, 0]], // LGBTQ
  ];
  const header = ['id', 'comment_text', 'split', 'toxicity', 'severe_toxicity', ...IDS, 'identity_any'].join(',');
  write(
    path.join(root, 'all_data_with_identities.csv'),
    header + '\n' + rows.map(([t, tox, s, v], i) => [239500 + i, `"${t}"`, s, tox, 0, ...v, v.some((x) => x >= 0.5) ? 1 : 0].join(',')).join('\n') + '\n',
  );
  return root;
}

test('CivilComments: toxicity ≥ 0.5, first identity present (or none), 18 groups y·9 + a that never collide', async () => {
  const root = civilFixture();
  const ds = await loadCivilComments({ root, embeddings: embeddingsFile('civil.npy', 8, 2) });
  assert.equal(ds.name, 'civilcomments');
  assert.deepEqual(sizes(ds), [4, 2, 2]);
  assert.equal(ds.numAttributes, 9);
  assert.deepEqual(ds.attributeNames, [...IDS, 'none']);
  assert.deepEqual(Array.from(ds.train.y), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(ds.train.a!), [8, 1, 7, 8]);
  assert.deepEqual(Array.from(ds.val.a!), [0, 4]);
  assert.deepEqual(Array.from(ds.test.a!), [8, 2]);
  const groups = [...groupsOf(ds.train, 9), ...groupsOf(ds.val, 9), ...groupsOf(ds.test, 9)];
  assert.deepEqual(groups, [8, 10, 16, 8, 9, 4, 17, 2]);
  // (y = 1, a = 0) and (y = 0, a = 2) would both be group 2 under 2·y + a; here they are 9 and 2.

  const any = await loadCivilComments({ root, attributeMode: 'any', embeddings: embeddingsFile('civil2.npy', 8, 2) });
  assert.equal(any.numAttributes, 2);
  assert.deepEqual(Array.from(any.train.a!), [0, 1, 1, 0]);

  const viaOnnx = await loadBenchmark('civilcomments', { root, backbone: { onnx: textBackbone(), tokenizer: tokenizerJson(), threads: 1 } });
  assert.deepEqual(sizes(viaOnnx), [4, 2, 2]);
  assert.equal(viaOnnx.dim, 3);
  assertClose(viaOnnx.train.x.subarray(3, 6), clsRow([...tok('you are bad'), 3]), 1e-4, 'comment row 1');

  await assert.rejects(
    loadCivilComments({ root, embeddings: embeddingsFile('civil-bad.npy', 7, 2) }),
    isInputError(/civil-bad\.npy: the embeddings have 7 rows but .*all_data_with_identities\.csv has 8 rows/),
  );
  const bad = at('civil-bad');
  const text = fs.readFileSync(path.join(root, 'all_data_with_identities.csv'), 'utf8');
  write(path.join(bad, 'all_data_with_identities.csv'), text.replace(',val,', ',extra,'));
  await assert.rejects(
    loadCivilComments({ root: bad, embeddings: embeddingsFile('civil3.npy', 8, 2) }),
    isInputError(/column "split", row 5: expected train \/ val/, /got "extra"/),
  );
  write(path.join(bad, 'all_data_with_identities.csv'), text.replace(/,muslim,/, ',islam,'));
  await assert.rejects(
    loadCivilComments({ root: bad, embeddings: embeddingsFile('civil4.npy', 8, 2) }),
    isInputError(/all_data_with_identities\.csv: column "muslim" not found/),
  );
});
