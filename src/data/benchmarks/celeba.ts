// CelebA in its standard layout: <root>/list_attr_celeba.txt (line 1: the number of images; line 2: the
// 40 attribute names; then "filename v1 ... v40" with −1 / 1 values, whitespace-separated),
// <root>/list_eval_partition.txt ("filename split", 0 train / 1 val / 2 test), images in
// <root>/img_align_celeba/. The Kaggle CSV variant (list_attr_celeba.csv with an image_id column,
// list_eval_partition.csv with image_id, partition) is read when the .txt files are absent.
// Label Blond_Hair, attribute Male (both configurable); −1 → 0, 1 → 1.
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../dataset.js';
import { InputError, show } from '../../util/errors.js';
import { readCsv, cellText } from '../files/table.js';
import { embedImages } from './backbone.js';
import { buildBenchmarkDataset, featuresFor, type BenchmarkMeta, type ImageBenchmarkOptions } from './common.js';

export interface CelebAOptions extends ImageBenchmarkOptions {
  /** Label attribute (default Blond_Hair). */
  label?: string;
  /** Spurious attribute (default Male). */
  attribute?: string;
  /** Image folder (default <root>/img_align_celeba). */
  images?: string;
}

interface AttrTable {
  source: string;
  files: string[];
  names: string[];
  /** values[r][k] ∈ {−1, 1}. */
  column(name: string): Int8Array;
}

function readAttrTxt(file: string): AttrTable {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length < 2) throw new InputError(`${file}: expected a count line and an attribute-name line, found ${lines.length} lines`);
  const count = Number(lines[0].trim());
  if (!Number.isInteger(count) || count < 0) throw new InputError(`${file}: line 1: expected the number of images, got ${show(lines[0])}`);
  const names = lines[1].trim().split(/\s+/);
  const rows = lines.slice(2);
  if (rows.length !== count) throw new InputError(`${file}: line 1 says ${count} images but the file lists ${rows.length}`);
  const files = new Array<string>(rows.length);
  const values = new Int8Array(rows.length * names.length);
  rows.forEach((line, r) => {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== names.length + 1) {
      throw new InputError(`${file}: line ${r + 3}: expected a file name and ${names.length} values, found ${parts.length} fields`);
    }
    files[r] = parts[0];
    for (let k = 0; k < names.length; k++) {
      const v = parts[k + 1];
      if (v !== '1' && v !== '-1') throw new InputError(`${file}: line ${r + 3}, attribute "${names[k]}": expected -1 or 1, got ${show(v)}`);
      values[r * names.length + k] = v === '1' ? 1 : -1;
    }
  });
  return {
    source: file,
    files,
    names,
    column(name) {
      const k = names.indexOf(name);
      if (k < 0) throw new InputError(`${file}: attribute "${name}" not found; the attributes are: ${names.join(', ')}`);
      return Int8Array.from({ length: rows.length }, (_, r) => values[r * names.length + k]);
    },
  };
}

function readAttrCsv(file: string): AttrTable {
  const table = readCsv(file);
  const idCol = table.names[0];
  const files = Array.from({ length: table.numRows }, (_, r) => cellText(table.columns.get(idCol)!, r).trim());
  const names = table.names.slice(1);
  return {
    source: file,
    files,
    names,
    column(name) {
      const col = table.columns.get(name);
      if (!col || name === idCol) throw new InputError(`${file}: attribute "${name}" not found; the attributes are: ${names.join(', ')}`);
      return Int8Array.from({ length: table.numRows }, (_, r) => {
        const v = cellText(col, r).trim();
        if (v !== '1' && v !== '-1') throw new InputError(`${file}: column "${name}", row ${r + 1}: expected -1 or 1, got ${show(v)}`);
        return v === '1' ? 1 : -1;
      });
    },
  };
}

function readPartition(root: string): { source: string; split: Map<string, number> } {
  const txt = path.join(root, 'list_eval_partition.txt');
  const csv = path.join(root, 'list_eval_partition.csv');
  const split = new Map<string, number>();
  let entries: [string, string, number][]; // file, split text, line/row number
  let source: string;
  if (fs.existsSync(txt)) {
    source = txt;
    entries = [];
    fs.readFileSync(txt, 'utf8').split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      const parts = line.trim().split(/\s+/);
      if (parts.length !== 2) throw new InputError(`${txt}: line ${i + 1}: expected "filename split", found ${parts.length} fields`);
      entries.push([parts[0], parts[1], i + 1]);
    });
  } else if (fs.existsSync(csv)) {
    source = csv;
    const t = readCsv(csv);
    const [fcol, scol] = t.names;
    entries = Array.from({ length: t.numRows }, (_, r) => [cellText(t.columns.get(fcol)!, r).trim(), cellText(t.columns.get(scol)!, r).trim(), r + 1]);
  } else {
    throw new InputError(`${txt}: file not found (the CelebA partition list, "filename split" per line)`);
  }
  for (const [f, s, line] of entries) {
    if (s !== '0' && s !== '1' && s !== '2') throw new InputError(`${source}: line ${line}: expected split 0, 1 or 2, got ${show(s)}`);
    split.set(f, Number(s));
  }
  return { source, split };
}

export function readCelebAMeta(opts: CelebAOptions): BenchmarkMeta & { images: string[] } {
  const txt = path.join(opts.root, 'list_attr_celeba.txt');
  const csv = path.join(opts.root, 'list_attr_celeba.csv');
  let attrs: AttrTable;
  if (fs.existsSync(txt)) attrs = readAttrTxt(txt);
  else if (fs.existsSync(csv)) attrs = readAttrCsv(csv);
  else throw new InputError(`${txt}: file not found (the CelebA attribute list)`);
  const label = opts.label ?? 'Blond_Hair';
  const attribute = opts.attribute ?? 'Male';
  const yv = attrs.column(label);
  const av = attrs.column(attribute);
  const part = readPartition(opts.root);
  const n = attrs.files.length;
  const split = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const s = part.split.get(attrs.files[r]);
    if (s === undefined) throw new InputError(`${part.source}: no split for ${show(attrs.files[r])} (row ${r + 1} of ${attrs.source})`);
    split[r] = s;
  }
  const imageDir = opts.images ?? path.join(opts.root, 'img_align_celeba');
  return {
    name: 'celeba',
    source: attrs.source,
    y: Int32Array.from(yv, (v) => (v > 0 ? 1 : 0)),
    a: Int32Array.from(av, (v) => (v > 0 ? 1 : 0)),
    split,
    classNames: [`not ${label}`, label],
    attributeNames: [`not ${attribute}`, attribute],
    labelWhat: `attribute "${label}"`,
    attrWhat: `attribute "${attribute}"`,
    splitWhat: `the partition in ${path.basename(part.source)}`,
    images: attrs.files.map((f) => path.join(imageDir, f)),
  };
}

/** CelebA (label Blond_Hair, attribute Male by default) with precomputed embeddings or an ONNX image backbone. */
export async function loadCelebA(opts: CelebAOptions): Promise<Dataset> {
  const meta = readCelebAMeta(opts);
  const emb = await featuresFor(meta, opts, (bb) => embedImages(meta.images, bb));
  return buildBenchmarkDataset(meta, emb, opts.name, opts.onNote);
}
