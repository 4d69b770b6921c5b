// CivilComments in the WILDS layout: <root>/all_data_with_identities.csv with columns comment_text,
// toxicity (a fraction of annotators; ≥ 0.5 → toxic = 1), split (train / val / test) and identity
// columns male, female, LGBTQ, christian, muslim, other_religions, black, white (fractions; empty = 0).
//
// Attribute (default mode 'identity'): the first identity, in the order listed above, whose value is
// ≥ 0.5; 'none' when no identity reaches 0.5. So a comment that mentions both "female" and "black" gets
// a = female. A = 9 values (8 identities, then 'none' = 8) and groups g = y·9 + a, 18 in all, which never
// collide (the official code's 2·y + a does). Mode 'any' gives a binary attribute: any identity ≥ 0.5.
import path from 'node:path';
import type { Dataset } from '../dataset.js';
import { InputError, show } from '../../util/errors.js';
import { cellNumber, cellText, getColumn, readCsv } from '../files/table.js';
import { embedTexts } from './backbone.js';
import { buildBenchmarkDataset, featuresFor, splitColumn, type BenchmarkMeta, type TextBenchmarkOptions } from './common.js';

export const CIVIL_IDENTITIES = ['male', 'female', 'LGBTQ', 'christian', 'muslim', 'other_religions', 'black', 'white'] as const;

export interface CivilCommentsOptions extends TextBenchmarkOptions {
  /** Metadata file (default <root>/all_data_with_identities.csv). */
  metadata?: string;
  /** 'identity' (default): first identity present, or 'none'; 'any': none / some identity. */
  attributeMode?: 'identity' | 'any';
  /** Text column for a backbone (default comment_text). */
  textColumn?: string;
}

export function readCivilCommentsMeta(opts: CivilCommentsOptions): BenchmarkMeta & { texts?: string[] } {
  const file = opts.metadata ?? path.join(opts.root, 'all_data_with_identities.csv');
  const textColumn = opts.textColumn ?? 'comment_text';
  const wanted = ['toxicity', 'split', ...CIVIL_IDENTITIES, ...(opts.backbone ? [textColumn] : [])];
  const table = readCsv(file, { columns: wanted });
  const n = table.numRows;
  const tox = getColumn(table, 'toxicity');
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const v = cellNumber(tox, r);
    if (v === null || !Number.isFinite(v)) {
      throw new InputError(`${file}: column "toxicity", row ${r + 1}: expected a number (fraction of annotators), got ${show(cellText(tox, r))}`);
    }
    y[r] = v >= 0.5 ? 1 : 0;
  }
  const mode = opts.attributeMode ?? 'identity';
  const none = mode === 'identity' ? CIVIL_IDENTITIES.length : 0;
  const a = new Int32Array(n).fill(none);
  const present = new Uint8Array(n);
  CIVIL_IDENTITIES.forEach((idName, k) => {
    const col = getColumn(table, idName);
    for (let r = 0; r < n; r++) {
      const v = cellNumber(col, r);
      if (v === null) {
        if (cellText(col, r).trim() === '') continue; // empty: not annotated, counted as 0
        throw new InputError(`${file}: column "${idName}", row ${r + 1}: expected a number in [0, 1], got ${show(cellText(col, r))}`);
      }
      if (v >= 0.5 && !present[r]) {
        present[r] = 1;
        a[r] = mode === 'identity' ? k : 1;
      }
    }
  });
  const meta: BenchmarkMeta & { texts?: string[] } = {
    name: 'civilcomments',
    source: file,
    y,
    a,
    split: splitColumn(table, 'split'),
    classNames: ['non-toxic', 'toxic'],
    attributeNames: mode === 'identity' ? [...CIVIL_IDENTITIES, 'none'] : ['no identity', 'identity'],
    labelWhat: 'column "toxicity" (≥ 0.5)',
    attrWhat: mode === 'identity' ? `columns ${CIVIL_IDENTITIES.join(', ')}` : 'any identity column ≥ 0.5',
    splitWhat: 'column "split"',
  };
  if (opts.backbone) {
    const col = getColumn(table, textColumn);
    meta.texts = Array.from({ length: n }, (_, r) => cellText(col, r));
  }
  return meta;
}

/** CivilComments (toxicity, identity attribute) with precomputed embeddings or an ONNX text backbone. */
export async function loadCivilComments(opts: CivilCommentsOptions): Promise<Dataset> {
  const meta = readCivilCommentsMeta(opts);
  const emb = await featuresFor(meta, opts, (bb) => embedTexts(meta.texts!, bb));
  return buildBenchmarkDataset(meta, emb, opts.name, opts.onNote);
}
