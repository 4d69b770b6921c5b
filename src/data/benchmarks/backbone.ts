// Embeddings from a user-supplied ONNX backbone (run by onnxruntime-node), for images and text.
//
// Images: decoded with sharp, converted to sRGB, resized so that the shorter side is `resizeTo`
// (default 256, bilinear) and centre-cropped to `size` × `size` (default 224) — torchvision's standard
// evaluation transform Resize(256) + CenterCrop(224) — scaled to [0, 1] and normalised with the
// ImageNet mean/std, fed as an NCHW float32 batch to the model's first input.
// Text: tokenized with @huggingface/tokenizers from a local tokenizer.json (no hub access), truncated
// to `maxLength` tokens (keeping the closing special token), padded to the longest in the batch, and fed
// as int64 input_ids / attention_mask (/ token_type_ids when the model asks for it).
// Output: the model's first output; [B, D] is used as is (pooled), [B, T, D] gives the first ([CLS])
// position, [B, C, H, W] is averaged over H and W.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { Tokenizer } from '@huggingface/tokenizers';
import { InputError } from '../../util/errors.js';

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

export interface BackboneCommon {
  /** Path of the ONNX model. */
  onnx: string;
  /** Examples per forward pass (default 32). */
  batchSize?: number;
  /** ONNX Runtime intra-op threads (default: the machine's cores). */
  threads?: number;
  /** Called after each batch with (examples done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface ImageBackbone extends BackboneCommon {
  /** Side of the square crop fed to the model (default 224). */
  size?: number;
  /** Shorter side after resizing, before the centre crop (default round(size / 0.875) = 256). */
  resizeTo?: number;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

export interface TextBackbone extends BackboneCommon {
  /** Path of a local tokenizer.json (Hugging Face tokenizers format). */
  tokenizer: string;
  /** Path of tokenizer_config.json (default: the one beside tokenizer.json, when present). */
  tokenizerConfig?: string;
  /** Maximum tokens per example, special tokens included (default 128). */
  maxLength?: number;
}

/** An embedding matrix: n rows of dim float32 values, row-major. */
export interface Embeddings {
  x: Float32Array;
  dim: number;
}

function threadsOf(opts: BackboneCommon): number {
  return opts.threads ?? Math.max(1, os.availableParallelism());
}

export async function openBackbone(opts: BackboneCommon): Promise<ort.InferenceSession> {
  if (!fs.existsSync(opts.onnx)) throw new InputError(`${opts.onnx}: ONNX backbone not found`);
  try {
    return await ort.InferenceSession.create(opts.onnx, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threadsOf(opts),
      interOpNumThreads: 1,
    });
  } catch (e) {
    throw new InputError(`${opts.onnx}: cannot load the ONNX backbone: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Rows of the model's output for a batch of `b` examples: [B, D] as is, [B, T, D] → position 0,
 * [B, C, H, W] → mean over H, W. Written into `out` at row `row0` (allocated on first use).
 */
function poolOutput(source: string, t: ort.Tensor, b: number): { rows: Float32Array; dim: number } {
  const dims = t.dims.map(Number);
  if (dims[0] !== b) throw new InputError(`${source}: the backbone's output has shape [${dims}], expected the batch size ${b} first`);
  const data = t.data;
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new InputError(`${source}: the backbone's first output is of type ${t.type}; expected float32 embeddings`);
  }
  if (dims.length === 2) return { rows: data instanceof Float32Array ? data : Float32Array.from(data), dim: dims[1] };
  if (dims.length === 3) {
    const [, steps, d] = dims;
    const rows = new Float32Array(b * d);
    for (let i = 0; i < b; i++) for (let j = 0; j < d; j++) rows[i * d + j] = data[i * steps * d + j];
    return { rows, dim: d };
  }
  if (dims.length === 4) {
    const [, c, h, w] = dims;
    const rows = new Float32Array(b * c);
    const hw = h * w;
    for (let i = 0; i < b; i++) {
      for (let k = 0; k < c; k++) {
        let s = 0;
        const base = (i * c + k) * hw;
        for (let p = 0; p < hw; p++) s += data[base + p];
        rows[i * c + k] = s / hw;
      }
    }
    return { rows, dim: c };
  }
  throw new InputError(`${source}: the backbone's first output has shape [${dims}]; expected [B, D], [B, T, D] or [B, C, H, W]`);
}

/** Collects pooled batches into one n × dim matrix. */
class Collector {
  private x: Float32Array | null = null;
  dim = 0;
  constructor(private readonly n: number, private readonly source: string) {}
  put(row0: number, rows: Float32Array, dim: number): void {
    if (!this.x) {
      this.dim = dim;
      this.x = new Float32Array(this.n * dim);
    } else if (dim !== this.dim) {
      throw new InputError(`${this.source}: the backbone's embedding size changed from ${this.dim} to ${dim} between batches`);
    }
    this.x.set(rows, row0 * dim);
  }
  result(): Embeddings {
    return { x: this.x ?? new Float32Array(0), dim: this.dim };
  }
}

/** Decode, resize, centre-crop and normalise one image into `out` (CHW) at `offset`. */
export async function preprocessImage(
  file: string,
  out: Float32Array,
  offset: number,
  opts: Pick<ImageBackbone, 'size' | 'resizeTo' | 'mean' | 'std'> = {},
): Promise<void> {
  const size = opts.size ?? 224;
  const resizeTo = opts.resizeTo ?? Math.round(size / 0.875);
  const mean = opts.mean ?? IMAGENET_MEAN;
  const std = opts.std ?? IMAGENET_STD;
  if (resizeTo < size) throw new Error(`preprocessImage: resizeTo (${resizeTo}) must be ≥ size (${size})`);
  let data: Buffer;
  let channels: number;
  try {
    const meta = await sharp(file).metadata();
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    if (!(w > 0 && h > 0)) throw new Error('no image size');
    const scale = resizeTo / Math.min(w, h);
    const w2 = w <= h ? resizeTo : Math.max(resizeTo, Math.floor(w * scale));
    const h2 = h < w ? resizeTo : Math.max(resizeTo, Math.floor(h * scale));
    const res = await sharp(file)
      .removeAlpha()
      .toColourspace('srgb')
      .resize(w2, h2, { fit: 'fill', kernel: 'linear' })
      .extract({ left: Math.round((w2 - size) / 2), top: Math.round((h2 - size) / 2), width: size, height: size })
      .raw()
      .toBuffer({ resolveWithObject: true });
    data = res.data;
    channels = res.info.channels;
  } catch (e) {
    const msg = (e as Error).message;
    if (!fs.existsSync(file)) throw new InputError(`${file}: image not found`, { cause: e });
    throw new InputError(`${file}: cannot decode the image: ${msg}`, { cause: e });
  }
  const plane = size * size;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[p * channels + (channels >= 3 ? c : 0)] / 255;
      out[offset + c * plane + p] = (v - mean[c]) / std[c];
    }
  }
}

/** Embed images (paths) with an ONNX image backbone. */
export async function embedImages(files: readonly string[], opts: ImageBackbone): Promise<Embeddings> {
  const session = await openBackbone(opts);
  try {
    const size = opts.size ?? 224;
    const batch = opts.batchSize ?? 32;
    const inputName = session.inputNames[0];
    const outputName = session.outputNames[0];
    const col = new Collector(files.length, opts.onnx);
    const per = 3 * size * size;
    for (let start = 0; start < files.length; start += batch) {
      const b = Math.min(batch, files.length - start);
      const pixels = new Float32Array(b * per);
      await Promise.all(Array.from({ length: b }, (_, i) => preprocessImage(files[start + i], pixels, i * per, opts)));
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run({ [inputName]: new ort.Tensor('float32', pixels, [b, 3, size, size]) }, [outputName]);
      } catch (e) {
        throw new InputError(`${opts.onnx}: the backbone failed on a [${b}, 3, ${size}, ${size}] image batch: ${(e as Error).message}`, { cause: e });
      }
      const { rows, dim } = poolOutput(opts.onnx, out[outputName] as ort.Tensor, b);
      col.put(start, rows, dim);
      opts.onProgress?.(start + b, files.length);
    }
    return col.result();
  } finally {
    await session.release();
  }
}

// ---------- text ----------

interface TokenizerJson {
  model?: { unk_token?: string };
  padding?: { pad_id?: number } | null;
  [k: string]: unknown;
}

export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  unkId: number | undefined;
  padId: number;
  /** Ids of the special tokens (kept at the end when truncating). */
  specialIds: Set<number>;
}

function readJson(file: string, what: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new InputError(`${file}: ${what} not found`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${file}: ${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Load a tokenizer from a local tokenizer.json (and tokenizer_config.json beside it, when present). */
export function loadTokenizer(tokenizerPath: string, configPath?: string): LoadedTokenizer {
  const json = readJson(tokenizerPath, 'tokenizer.json') as TokenizerJson;
  const cfgFile = configPath ?? path.join(path.dirname(tokenizerPath), 'tokenizer_config.json');
  const config = configPath || fs.existsSync(cfgFile) ? readJson(cfgFile, 'tokenizer_config.json') : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (e) {
    throw new InputError(`${tokenizerPath}: cannot build the tokenizer: ${(e as Error).message}`, { cause: e });
  }
  const idOf = (t: unknown) => (typeof t === 'string' ? tokenizer.token_to_id(t) : undefined);
  const unkId = idOf(json.model?.unk_token) ?? idOf(config.unk_token) ?? idOf('[UNK]') ?? idOf('<unk>');
  const padId = json.padding?.pad_id ?? idOf(config.pad_token) ?? idOf('[PAD]') ?? idOf('<pad>') ?? 0;
  const specialIds = new Set<number>();
  for (const t of (json.added_tokens as { id: number; special?: boolean }[] | undefined) ?? []) if (t.special) specialIds.add(t.id);
  return { tokenizer, unkId, padId, specialIds };
}

/** Token ids of one example (a text or a sentence pair), truncated to maxLength. */
export function encodeText(tok: LoadedTokenizer, text: string | readonly [string, string], maxLength: number): {
  ids: number[];
  typeIds: number[];
} {
  const [a, b] = typeof text === 'string' ? [text, null] : text;
  // (annotated: the package's declaration files use extensionless imports that NodeNext cannot follow)
  const enc: { ids: (number | undefined)[]; tokens: string[]; token_type_ids?: number[] } = tok.tokenizer.encode(a, {
    text_pair: b,
    return_token_type_ids: true,
  });
  const ids = enc.ids.map((id, i): number => {
    if (id !== undefined && id !== null) return id;
    if (tok.unkId === undefined) throw new InputError(`tokenizer: token ${JSON.stringify(enc.tokens[i])} is not in the vocabulary and there is no unknown token`);
    return tok.unkId;
  });
  let typeIds = enc.token_type_ids ?? ids.map(() => 0);
  if (ids.length > maxLength) {
    const last = ids[ids.length - 1];
    const keepLast = tok.specialIds.has(last);
    const cut = keepLast ? maxLength - 1 : maxLength;
    const lastType = typeIds[typeIds.length - 1];
    const kept = ids.slice(0, cut);
    typeIds = typeIds.slice(0, cut);
    if (keepLast) {
      kept.push(last);
      typeIds.push(lastType);
    }
    return { ids: kept, typeIds };
  }
  return { ids, typeIds };
}

/** Embed texts (or sentence pairs) with an ONNX text backbone (BERT-like: first output's [CLS] row, or a pooled output). */
export async function embedTexts(texts: readonly (string | readonly [string, string])[], opts: TextBackbone): Promise<Embeddings> {
  const tok = loadTokenizer(opts.tokenizer, opts.tokenizerConfig);
  const maxLength = opts.maxLength ?? 128;
  const session = await openBackbone(opts);
  try {
    const known = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
    const unknown = session.inputNames.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new InputError(
        `${opts.onnx}: the text backbone asks for inputs ${unknown.join(', ')}; only input_ids, attention_mask and token_type_ids can be fed`,
      );
    }
    if (!session.inputNames.includes('input_ids')) throw new InputError(`${opts.onnx}: the text backbone has no input named input_ids`);
    const batch = opts.batchSize ?? 32;
    const outputName = session.outputNames[0];
    const col = new Collector(texts.length, opts.onnx);
    for (let start = 0; start < texts.length; start += batch) {
      const b = Math.min(batch, texts.length - start);
      const encs = Array.from({ length: b }, (_, i) => encodeText(tok, texts[start + i], maxLength));
      const len = Math.max(1, ...encs.map((e) => e.ids.length));
      const ids = new BigInt64Array(b * len).fill(BigInt(tok.padId));
      const mask = new BigInt64Array(b * len);
      const types = new BigInt64Array(b * len);
      encs.forEach((e, i) => {
        for (let t = 0; t < e.ids.length; t++) {
          ids[i * len + t] = BigInt(e.ids[t]);
          mask[i * len + t] = 1n;
          types[i * len + t] = BigInt(e.typeIds[t] ?? 0);
        }
      });
      const feeds: Record<string, ort.Tensor> = {};
      const all: Record<string, BigInt64Array> = { input_ids: ids, attention_mask: mask, token_type_ids: types };
      for (const name of session.inputNames) feeds[name] = new ort.Tensor('int64', all[name], [b, len]);
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run(feeds, [outputName]);
      } catch (e) {
        throw new InputError(`${opts.onnx}: the backbone failed on a [${b}, ${len}] token batch: ${(e as Error).message}`, { cause: e });
      }
      const { rows, dim } = poolOutput(opts.onnx, out[outputName] as ort.Tensor, b);
      col.put(start, rows, dim);
      opts.onProgress?.(start + b, texts.length);
    }
    return col.result();
  } finally {
    await session.release();
  }
}
