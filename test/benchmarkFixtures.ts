// A tiny Waterbirds folder and a tiny ONNX image backbone, shared by the tests of benchmark folders.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Graph } from '../src/engine/graph.js';
import { emitOnnx } from '../src/engine/onnx.js';

/** Image backbone: the mean of each colour channel of [B, 3, 224, 224] → [B, 3]. */
export function imageBackbone(file: string): string {
  const g = new Graph();
  const px = g.input('pixels', 'float32', ['batch', 3, 224, 224]);
  const pooled = g.reduceMean(g.reduceMean(px, 3), 2);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, emitOnnx(g, { inputs: [px], outputs: [{ name: 'embedding', value: pooled }] }));
  return file;
}

/** Waterbirds layout (metadata.csv, images under root): 8 rows, 4 train, 2 val, 2 test; two solid-colour images. */
export async function waterbirdsFolder(root: string): Promise<string> {
  fs.mkdirSync(path.join(root, 'birds'), { recursive: true });
  const rows = [['a.png', 1, 0, 1], ['b.png', 0, 0, 0], ['a.png', 1, 0, 0], ['b.png', 0, 0, 1], ['a.png', 1, 1, 1], ['b.png', 0, 1, 0], ['a.png', 1, 2, 1], ['b.png', 0, 2, 0]];
  fs.writeFileSync(path.join(root, 'metadata.csv'), 'img_id,img_filename,y,split,place\n' + rows.map((r, i) => `${i},birds/${r.join(',')}`).join('\n') + '\n');
  for (const [file, rgb] of [['a.png', [20, 60, 220]], ['b.png', [200, 30, 40]]] as const) {
    await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(path.join(root, 'birds', file));
  }
  return root;
}

/** Text backbone: [B, T, 2] with every position = (Σ ids·mask) · [1, −0.5]: the [CLS] row is a bag of token ids. */
export function textBackbone(file: string): string {
  const g = new Graph();
  const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'seq']);
  const m = g.mul(g.cast(ids, 'float32'), g.cast(mask, 'float32'));
  const z = g.add(g.mul(m, g.constant(Float32Array.of(0), [1, 1])), g.reduceSum(m, 1, true));
  const h = g.mul(g.unsqueeze(z, 2), g.constant(Float32Array.from([1, -0.5]), [1, 1, 2]));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, emitOnnx(g, { inputs: [ids, mask], outputs: [{ name: 'last_hidden_state', value: h }] }));
  return file;
}

/** A WordLevel tokenizer.json: [CLS] A [SEP] (B [SEP]), lower-cased, split on whitespace. */
export function tokenizerJson(file: string, words: string[]): string {
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];
  const vocab = Object.fromEntries([...special, ...words].map((w, i) => [w, i]));
  const json = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: special.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}
