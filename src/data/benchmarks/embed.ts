// Run an ONNX backbone once over a benchmark folder and keep the result as a folder of .npy files
// (x.npy float32 n × d in metadata order, y.npy, a.npy, split.npy) that `--data DIR` reads.
// Resumable: rows are embedded in chunks, each saved as it finishes (<out>/.chunks/NNNNNN.npy); a rerun
// with the same settings reuses the saved chunks, and one whose output is complete does nothing.
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../../util/errors.js';
import { firstNonFinite } from '../files/assemble.js';
import { npyHeader, readNpy, writeNpy } from '../files/npy.js';
import { embedImages, embedTexts, type Embeddings, type ImageBackbone, type TextBackbone } from './backbone.js';
import type { BenchmarkMeta } from './common.js';
import { readCelebAMeta } from './celeba.js';
import { readCivilCommentsMeta } from './civilcomments.js';
import { readMultiNLIMeta } from './multinli.js';
import { readWaterbirdsMeta } from './waterbirds.js';
import type { BenchmarkName } from './index.js';

export interface EmbedBenchmarkOptions {
  benchmark: BenchmarkName;
  /** The benchmark's folder in its standard layout. */
  root: string;
  /** The backbone (image benchmarks) or the backbone and its tokenizer (text benchmarks). */
  backbone: ImageBackbone | TextBackbone;
  /** Output folder. */
  out: string;
  /** Rows per saved chunk (default 1024). */
  chunkRows?: number;
  /** Called after each chunk with (rows done, total rows). */
  onProgress?: (done: number, total: number) => void;
  /** Called after each chunk with its index and whether it was computed now (false: reused). */
  onChunk?: (index: number, computed: boolean) => void;
}

export interface EmbedResult {
  rows: number;
  dim: number;
  /** Chunks computed by this call, and chunks reused from an earlier one. */
  computed: number;
  reused: number;
}

const SETTINGS_FILE = 'embed.json';

/** The metadata and a function that embeds rows [start, end) of it. */
function benchmarkInputs(opts: EmbedBenchmarkOptions): { meta: BenchmarkMeta; embed(start: number, end: number): Promise<Embeddings> } {
  const common = { root: opts.root, backbone: opts.backbone as never };
  switch (opts.benchmark) {
    case 'waterbirds':
    case 'celeba': {
      const meta = opts.benchmark === 'waterbirds' ? readWaterbirdsMeta(common) : readCelebAMeta(common);
      return { meta, embed: (s, e) => embedImages(meta.images.slice(s, e), opts.backbone as ImageBackbone) };
    }
    case 'multinli':
    case 'civilcomments': {
      const bb = opts.backbone as TextBackbone;
      if (!bb.tokenizer) throw new InputError(`${opts.benchmark} is a text benchmark: its backbone needs a tokenizer.json`);
      const meta = opts.benchmark === 'multinli' ? readMultiNLIMeta(common) : readCivilCommentsMeta(common);
      const texts = meta.texts!;
      return { meta, embed: (s, e) => embedTexts(texts.slice(s, e), bb) };
    }
    default:
      throw new InputError(`unknown benchmark "${opts.benchmark as string}"`);
  }
}

export async function embedBenchmark(opts: EmbedBenchmarkOptions): Promise<EmbedResult> {
  const chunkRows = opts.chunkRows ?? 1024;
  if (!(Number.isInteger(chunkRows) && chunkRows >= 1)) throw new InputError(`chunk rows must be an integer ≥ 1, got ${chunkRows}`);
  const { meta, embed } = benchmarkInputs(opts);
  const n = meta.y.length;
  const bb = opts.backbone as TextBackbone;
  const settings = {
    benchmark: opts.benchmark,
    root: path.resolve(opts.root),
    metadata: meta.source,
    rows: n,
    backbone: path.resolve(bb.onnx),
    backboneBytes: fs.statSync(bb.onnx).size,
    ...(bb.tokenizer ? { tokenizer: path.resolve(bb.tokenizer) } : {}),
    ...(bb.maxLength ? { maxLength: bb.maxLength } : {}),
    chunkRows,
  };
  fs.mkdirSync(opts.out, { recursive: true });
  const settingsFile = path.join(opts.out, SETTINGS_FILE);
  if (fs.existsSync(settingsFile)) {
    const before = fs.readFileSync(settingsFile, 'utf8');
    if (before !== JSON.stringify(settings, null, 2)) {
      throw new InputError(
        `${opts.out}: holds embeddings made with other settings (${settingsFile}); remove the folder or choose another --out`,
      );
    }
  } else {
    const clash = ['x.npy', 'y.npy', 'a.npy', 'split.npy'].filter((f) => fs.existsSync(path.join(opts.out, f)));
    if (clash.length) throw new InputError(`${opts.out}: already holds ${clash.join(', ')} not written by mat embed; choose another --out`);
    fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  }
  const xFile = path.join(opts.out, 'x.npy');
  if (fs.existsSync(xFile)) {
    const x = readNpy(xFile);
    opts.onProgress?.(n, n);
    return { rows: n, dim: x.shape[1], computed: 0, reused: 0 };
  }

  const chunkDir = path.join(opts.out, '.chunks');
  fs.mkdirSync(chunkDir, { recursive: true });
  const chunks = Math.ceil(n / chunkRows);
  const chunkFile = (c: number) => path.join(chunkDir, `${String(c).padStart(6, '0')}.npy`);
  let dim = -1;
  let computed = 0;
  let reused = 0;
  for (let c = 0; c < chunks; c++) {
    const start = c * chunkRows;
    const end = Math.min(n, start + chunkRows);
    const file = chunkFile(c);
    let chunkDim: number;
    if (fs.existsSync(file)) {
      const saved = readNpy(file);
      if (saved.shape[0] !== end - start) throw new InputError(`${file}: holds ${saved.shape[0]} rows, expected ${end - start}; remove ${chunkDir} to start over`);
      chunkDim = saved.shape[1];
      reused++;
      opts.onChunk?.(c, false);
    } else {
      const emb = await embed(start, end);
      const bad = firstNonFinite(emb.x, emb.dim);
      if (bad) throw new InputError(`${bb.onnx}: the backbone gave a non-finite embedding (${bad.value}) for metadata row ${start + bad.row + 1}`);
      const tmp = `${file}.partial`;
      writeNpy(tmp, { data: emb.x, shape: [end - start, emb.dim] });
      fs.renameSync(tmp, file);
      chunkDim = emb.dim;
      computed++;
      opts.onChunk?.(c, true);
    }
    if (dim >= 0 && chunkDim !== dim) throw new InputError(`${file}: embeddings of size ${chunkDim}, earlier chunks ${dim}; remove ${chunkDir} to start over`);
    dim = chunkDim;
    opts.onProgress?.(end, n);
  }

  // x.npy: the chunks one after another under one header, written beside and renamed when whole.
  const tmp = `${xFile}.partial`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, npyHeader('<f4', [n, dim]));
    for (let c = 0; c < chunks; c++) {
      const x = readNpy(chunkFile(c)).data as Float32Array;
      fs.writeSync(fd, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    }
  } finally {
    fs.closeSync(fd);
  }
  writeNpy(path.join(opts.out, 'y.npy'), meta.y);
  writeNpy(path.join(opts.out, 'a.npy'), meta.a);
  writeNpy(path.join(opts.out, 'split.npy'), meta.split);
  fs.renameSync(tmp, xFile);
  fs.rmSync(chunkDir, { recursive: true, force: true });
  return { rows: n, dim, computed, reused };
}
