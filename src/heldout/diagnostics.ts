// How trustworthy a held-out signal is (XRM or K-fold), measured against the true groups where the
// attribute is known. MAT shifts the logits by the held-out prediction: it helps where the held-out
// mistakes are the minority groups (ColorMNIST), not where they are merely hard examples.
import type { Dataset, Split } from '../data/dataset.js';
import { predictionsFromLogits } from '../eval/metrics.js';
import type { HeldOutResult } from './types.js';

/** One class of one split. */
export interface ClassSignal {
  label: number;
  count: number;
  /** Fraction of the class's examples the held-out signal marks as mistakes. */
  errorRate: number;
  /** With the attribute: examples of the class outside its most common attribute value in training. */
  minorityCount?: number;
  /** Of the marked examples, the fraction in the minority (null: nothing marked). */
  precision?: number | null;
  /** Of the minority, the fraction marked (null: no minority). */
  recall?: number | null;
  /** precision / (minority share of the class): 1 means the marks ignore the groups. */
  lift?: number | null;
}

export interface SplitSignal {
  /** What marks an example: 'held-out mistake' (train), 'cross-mistake' (val: either model wrong). */
  marks: string;
  perClass: ClassSignal[];
  /** Over all classes (micro-averaged), with the attribute. */
  precision?: number | null;
  recall?: number | null;
}

export interface HeldOutDiagnostics {
  source: string;
  flipRate: number;
  degenerate: boolean;
  /** Accuracy of the held-out predictions on the training labels. */
  heldOutAccuracy: number;
  train: SplitSignal;
  val: SplitSignal;
  /** A plain-words reading of the numbers. */
  verdict: string;
}

/** Precision and recall of marks against the minority at or above this count as a match. */
export const MATCH_THRESHOLD = 0.5;

/** Each class's most common attribute value in `split` (undefined without an attribute). */
function majorityAttributes(split: Split, k: number, numAttributes: number): number[] | undefined {
  if (!split.a || numAttributes < 2) return undefined;
  const counts = Array.from({ length: k }, () => new Array<number>(numAttributes).fill(0));
  for (let i = 0; i < split.y.length; i++) counts[split.y[i]][split.a[i]]++;
  return counts.map((c) => c.indexOf(Math.max(...c)));
}

/**
 * Marks against the minority of each class: the examples outside the class's majority attribute
 * value *in training*, where the spurious rule is learned (a group-balanced validation split has no
 * minority of its own).
 */
function splitSignal(split: Split, marked: (i: number) => boolean, k: number, majorityOf: number[] | undefined, marks: string): SplitSignal {
  const n = split.y.length;
  const a = majorityOf && split.a;
  const perClass: ClassSignal[] = [];
  let tp = 0, markedAll = 0, minorityAll = 0;
  for (let c = 0; c < k; c++) {
    let count = 0, errors = 0, hits = 0, minority = 0;
    for (let i = 0; i < n; i++) {
      if (split.y[i] !== c) continue;
      count++;
      const inMinority = a ? a[i] !== majorityOf![c] : false;
      if (inMinority) minority++;
      if (marked(i)) {
        errors++;
        if (inMinority) hits++;
      }
    }
    const row: ClassSignal = { label: c, count, errorRate: count ? errors / count : 0 };
    if (a && count) {
      row.minorityCount = minority;
      row.precision = errors ? hits / errors : null;
      row.recall = minority ? hits / minority : null;
      row.lift = errors && minority ? (hits / errors) / (minority / count) : null;
      tp += hits;
      markedAll += errors;
      minorityAll += minority;
    }
    perClass.push(row);
  }
  const out: SplitSignal = { marks, perClass };
  if (a) {
    out.precision = markedAll ? tp / markedAll : null;
    out.recall = minorityAll ? tp / minorityAll : null;
  }
  return out;
}

/** Diagnostics of held-out predictions for `ds` (train: held-out mistakes; val: inferred groups). */
export function heldOutDiagnostics(ho: HeldOutResult, ds: Dataset): HeldOutDiagnostics {
  const k = ds.numClasses;
  const y = ds.train.y;
  const pred = predictionsFromLogits(ho.heldOutLogits, y.length, k);
  let right = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) right++;
  const majorityOf = majorityAttributes(ds.train, k, ds.numAttributes);
  const train = splitSignal(ds.train, (i) => pred[i] !== y[i], k, majorityOf, 'held-out mistake');
  const val = splitSignal(ds.val, (i) => ho.valInferredGroups[i] % 2 === 1, k, majorityOf, 'cross-mistake');
  const d: HeldOutDiagnostics = { source: ho.source, flipRate: ho.flipRate, degenerate: ho.degenerate, heldOutAccuracy: y.length ? right / y.length : 0, train, val, verdict: '' };
  d.verdict = verdictOf(d);
  return d;
}

function verdictOf(d: HeldOutDiagnostics): string {
  if (d.degenerate) return 'degenerate: some class got a single inferred group, so the held-out signal found no minority; MAT has nothing to shift.';
  const signal = d.val.recall !== undefined ? d.val : d.train.recall !== undefined ? d.train : undefined;
  if (!signal) return `no attribute to compare with: held-out accuracy ${d.heldOutAccuracy.toFixed(3)}${d.source === 'xrm' ? `, flip rate ${d.flipRate.toFixed(3)}` : ''}. Check the per-class error rates: MAT helps when the mistakes are a spurious minority, not hard examples.`;
  const where = signal === d.val ? 'validation' : 'training';
  const p = signal.precision ?? 0;
  const r = signal.recall ?? 0;
  if (p >= MATCH_THRESHOLD && r >= MATCH_THRESHOLD) {
    return `the held-out mistakes match the minority groups on ${where} data (precision ${p.toFixed(2)}, recall ${r.toFixed(2)}): the regime where MAT helps.`;
  }
  return `the held-out mistakes do not match the minority groups on ${where} data (precision ${p.toFixed(2)}, recall ${r.toFixed(2)}): they are mostly other examples (hard or mislabelled ones), so MAT's shift does not target the minority. Compare with ERM before trusting MAT here.`;
}

/** The diagnostics as Markdown-ish lines for the terminal. */
export function formatDiagnostics(d: HeldOutDiagnostics): string[] {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(3));
  const lines = [`held-out signal (${d.source}): flip rate ${d.flipRate.toFixed(3)}, held-out accuracy ${d.heldOutAccuracy.toFixed(3)}${d.degenerate ? ', degenerate' : ''}`];
  for (const [name, s] of [['train', d.train], ['val', d.val]] as const) {
    const parts = s.perClass.map((c) => `class ${c.label}: ${s.marks}s ${f(c.errorRate)}` + (c.recall !== undefined ? `, minority precision ${f(c.precision)} recall ${f(c.recall)}` : ''));
    lines.push(`  ${name}: ${parts.join('; ')}`);
  }
  lines.push(`  ${d.verdict}`);
  return lines;
}
