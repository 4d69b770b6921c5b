// MultiNLI in the group_DRO layout: <root>/metadata_random.csv with columns gold_label (0 contradiction,
// 1 entailment, 2 neutral, or those words), sentence2_has_negation (0/1 or True/False), split (0/1/2
// or train/val/test). Attribute = sentence2_has_negation.
// The group_DRO release ships featurized text only; to embed with an ONNX backbone the metadata needs the
// sentences too: columns sentence1 and sentence2 (configurable with `textColumns`), encoded as a pair.
import path from 'node:path';
import type { Dataset } from '../dataset.js';
import { InputError } from '../../util/errors.js';
import { cellText, readCsv } from '../files/table.js';
import { embedTexts } from './backbone.js';
import { buildBenchmarkDataset, codeColumn, featuresFor, splitColumn, type BenchmarkMeta, type TextBenchmarkOptions } from './common.js';

export const MNLI_CLASSES = ['contradiction', 'entailment', 'neutral'] as const;

export interface MultiNLIOptions extends TextBenchmarkOptions {
  /** Metadata file (default <root>/metadata_random.csv). */
  metadata?: string;
  /** Text columns for a backbone: [premise, hypothesis] (default ['sentence1', 'sentence2']). */
  textColumns?: readonly [string, string];
}

export function readMultiNLIMeta(opts: MultiNLIOptions): BenchmarkMeta & { texts?: [string, string][] } {
  const file = opts.metadata ?? path.join(opts.root, 'metadata_random.csv');
  const table = readCsv(file);
  const meta: BenchmarkMeta & { texts?: [string, string][] } = {
    name: 'multinli',
    source: file,
    y: codeColumn(table, 'gold_label', [0, 1, 2], { contradiction: 0, entailment: 1, neutral: 2 }),
    a: codeColumn(table, 'sentence2_has_negation', [0, 1], { false: 0, true: 1 }),
    split: splitColumn(table, 'split'),
    classNames: [...MNLI_CLASSES],
    attributeNames: ['no negation', 'negation'],
    labelWhat: 'column "gold_label"',
    attrWhat: 'column "sentence2_has_negation"',
    splitWhat: 'column "split"',
  };
  if (opts.backbone) {
    const [c1, c2] = opts.textColumns ?? ['sentence1', 'sentence2'];
    for (const c of [c1, c2]) {
      if (!table.columns.has(c)) {
        throw new InputError(
          `${file}: column "${c}" not found; embedding MultiNLI with a backbone needs the sentence pair in columns "${c1}" and "${c2}" ` +
          '(the group_DRO metadata has none: add them, or pass precomputed embeddings)',
        );
      }
    }
    const s1 = table.columns.get(c1)!;
    const s2 = table.columns.get(c2)!;
    meta.texts = Array.from({ length: table.numRows }, (_, r) => [cellText(s1, r), cellText(s2, r)]);
  }
  return meta;
}

/** MultiNLI (3 classes, attribute = negation in the hypothesis) with precomputed embeddings or an ONNX text backbone. */
export async function loadMultiNLI(opts: MultiNLIOptions): Promise<Dataset> {
  const meta = readMultiNLIMeta(opts);
  const emb = await featuresFor(meta, opts, (bb) => embedTexts(meta.texts!, bb));
  return buildBenchmarkDataset(meta, emb, opts.name, opts.onNote);
}
