// The memorization report: what `mat memorization --json` prints and `--out` saves, as an HTML page.
import type { Dataset } from '../data/dataset.js';
import { minorityMajorityMeans, summarizeMemorization, type GroupMemorization, type MemorizationRun, type MemorizationStop } from '../experiments/memorization.js';
import { figure2, groupLabel } from './figures/figure2.js';
import type { HtmlReport, HtmlSection } from './html.js';
import type { Cell } from './table.js';

export interface MethodMemorizationSummary {
  groups: GroupMemorization[];
  /** Mean score of the minority groups' examples, per seed. */
  minorityMean: number[];
  /** Mean score of the majority groups' examples, per seed. */
  majorityMean: number[];
  /** Training steps of the scored models, per seed. */
  steps: number[];
}

export interface MemorizationResult {
  dataset: string;
  folds: number;
  seeds: number[];
  stop: MemorizationStop;
  seconds: number;
  methods: Record<string, MethodMemorizationSummary>;
}

/** The summary of each method's runs (one per seed). */
export function memorizationResult(ds: Pick<Dataset, 'name' | 'numClasses' | 'numAttributes'>, meta: Omit<MemorizationResult, 'dataset' | 'methods'>, runs: ReadonlyMap<string, readonly MemorizationRun[]>): MemorizationResult {
  const methods: MemorizationResult['methods'] = {};
  for (const [method, rs] of runs) {
    const groups = summarizeMemorization(ds, rs);
    const split = rs.map((r) => minorityMajorityMeans(r, groups));
    methods[method] = { groups, minorityMean: split.map((s) => s.minority), majorityMean: split.map((s) => s.majority), steps: rs.map((r) => r.steps) };
  }
  return { dataset: ds.name, ...meta, methods };
}

const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));

export function memorizationTableRows(result: MemorizationResult): Cell[][] {
  return Object.entries(result.methods).flatMap(([method, m]) => m.groups.map((g) => [
    method, groupLabel(g), g.n, g.mean, g.quantiles['0.1'], g.quantiles['0.5'], g.quantiles['0.9'], g.seedMeans.map(f3).join(', '),
  ]));
}

export const MEMORIZATION_TABLE_HEADERS = ['method', 'group', 'n', 'mean', 'q10', 'median', 'q90', 'mean per seed'];

export function memorizationSection(result: MemorizationResult): HtmlSection {
  const methods = Object.entries(result.methods);
  const summaryRows: Cell[][] = methods.map(([method, m]) => [method, m.minorityMean.map(f3).join(', '), m.majorityMean.map(f3).join(', '), m.steps.join(', ')]);
  return {
    title: `Memorization scores: ${result.dataset}`,
    text: `Score of a training example: the probability of its label from the model trained on every fold minus that from the model trained without its fold (${result.folds} folds; ${result.seeds.length} seed(s); models stopped ${result.stop === 'va_wga' ? 'at the step with the best validation worst-group accuracy' : 'at the last step'}). Quantiles pool the seeds.`,
    tables: [
      { caption: 'Mean score of minority and majority examples, per seed', headers: ['method', 'minority mean', 'majority mean', 'steps'], rows: summaryRows },
      { caption: 'Per group', headers: MEMORIZATION_TABLE_HEADERS, rows: memorizationTableRows(result) },
    ],
    figures: [figure2({ dataset: result.dataset, methods: methods.map(([method, m]) => ({ method, groups: m.groups })) })],
  };
}

export function memorizationHtmlReport(result: MemorizationResult): HtmlReport {
  return {
    title: `mat memorization: ${result.dataset}`,
    intro: `Which training examples each method needs to have seen to get right, per group (${result.seconds.toFixed(0)} s).`,
    sections: [memorizationSection(result)],
  };
}
