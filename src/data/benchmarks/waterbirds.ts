// Waterbirds (Sagawa et al. 2020) in its standard layout: <root>/metadata.csv with columns
// img_filename, y (0 landbird, 1 waterbird), place (0 land, 1 water), split (0 train, 1 val, 2 test);
// images at <root>/<img_filename>. Attribute = place.
import path from 'node:path';
import type { Dataset } from '../dataset.js';
import { readCsv } from '../files/table.js';
import { embedImages } from './backbone.js';
import { buildBenchmarkDataset, codeColumn, featuresFor, splitColumn, type BenchmarkMeta, type ImageBenchmarkOptions } from './common.js';

export interface WaterbirdsOptions extends ImageBenchmarkOptions {
  /** Metadata file (default <root>/metadata.csv). */
  metadata?: string;
}

export function readWaterbirdsMeta(opts: WaterbirdsOptions): BenchmarkMeta & { images: string[] } {
  const file = opts.metadata ?? path.join(opts.root, 'metadata.csv');
  const table = readCsv(file, { columns: ['img_filename', 'y', 'place', 'split'] });
  const images = (table.columns.get('img_filename')!.values as string[]).map((f) => path.join(opts.root, f.trim()));
  return {
    name: 'waterbirds',
    source: file,
    y: codeColumn(table, 'y', [0, 1]),
    a: codeColumn(table, 'place', [0, 1]),
    split: splitColumn(table, 'split'),
    classNames: ['landbird', 'waterbird'],
    attributeNames: ['land', 'water'],
    labelWhat: 'column "y"',
    attrWhat: 'column "place"',
    splitWhat: 'column "split"',
    images,
  };
}

/** Waterbirds with precomputed embeddings or an ONNX image backbone. */
export async function loadWaterbirds(opts: WaterbirdsOptions): Promise<Dataset> {
  const meta = readWaterbirdsMeta(opts);
  const emb = await featuresFor(meta, opts, (bb) => embedImages(meta.images, bb));
  return buildBenchmarkDataset(meta, emb, opts.name, opts.onNote);
}
