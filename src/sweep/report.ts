// Table-1-style reports over a sweep folder (design.md 2.4): for each selection criterion, per
// dataset and method, the step of each run with the best validation criterion (ties: later step),
// then the combination with the best criterion averaged over seeds (ties: validation average
// accuracy, then the lower combination), and the test average and worst-group accuracy of that
// combination's seeds at their selected steps, mean ± std over seeds.
import fs from 'node:fs';
import path from 'node:path';
import type { Evaluation } from '../eval/metrics.js';
import { isHeldOutSource } from '../heldout/registry.js';
import { ALGORITHMS } from '../algorithms/registry.js';
import {
  criterionValue, selectCombination, selectStep, summarizeSeeds,
  type EvalRecord, type SelectionCriterion, type SeedSummary,
} from '../eval/selection.js';
import { csvTable, formatMeanStd, markdownTable, type Cell } from '../report/table.js';
import { InputError } from '../util/errors.js';
import type { HParams } from './hparams.js';
import { selectXrmRun } from './selection.js';
import { convergenceOf, type ConvergencePoint } from '../eval/convergence.js';
import type { HeldOutDiagnostics } from '../heldout/diagnostics.js';
import {
  CONFIG_FILE, DONE_FILE, parseRunFolder, readJson, readResults, readSweepConfig, writeFileAtomic,
  type DoneRecord, type RunConfig, type SweepConfig,
} from './store.js';

export const REPORT_CRITERIA: readonly SelectionCriterion[] = ['va_wga', 'va_gi_wga', 'va_wca'];

const CRITERION_TITLES: Record<SelectionCriterion, string> = {
  va_wga: 'worst-group validation accuracy, true validation groups',
  va_gi_wga: 'worst-group validation accuracy, XRM-inferred validation groups (no group labels anywhere)',
  va_wca: 'worst-class validation accuracy (no groups needed)',
  va_avg: 'average validation accuracy',
};

/** A finished run as the report sees it. */
export interface StoredRun {
  dataset: string;
  algorithm: string;
  combo: number;
  seed: number;
  done: DoneRecord;
  hparams: HParams;
  heldOutFrom?: string;
  curve: EvalRecord[];
}

export interface Store {
  root: string;
  config?: SweepConfig;
  runs: StoredRun[];
}

/** Read every finished run of a sweep folder (runs without done.json are ignored). */
export function readStore(root: string): Store {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new InputError(`${root}: no such folder`);
  const config = fs.existsSync(path.join(root, 'sweep.json')) ? readSweepConfig(root) : undefined;
  const runsDir = path.join(root, 'runs');
  if (!config && !fs.existsSync(runsDir)) throw new InputError(`${root}: not a sweep folder (no sweep.json, no runs/)`);
  const runs: StoredRun[] = [];
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : []);
  for (const dataset of list(runsDir)) {
    for (const algorithm of list(path.join(runsDir, dataset))) {
      for (const folder of list(path.join(runsDir, dataset, algorithm))) {
        const key = parseRunFolder(folder);
        const dir = path.join(runsDir, dataset, algorithm, folder);
        if (!key || !fs.existsSync(path.join(dir, DONE_FILE))) continue;
        const done = readJson<DoneRecord>(path.join(dir, DONE_FILE));
        const cfg = fs.existsSync(path.join(dir, CONFIG_FILE)) ? readJson<Partial<RunConfig>>(path.join(dir, CONFIG_FILE)) : {};
        runs.push({
          dataset, algorithm, ...key, done, hparams: cfg.hparams ?? {}, heldOutFrom: cfg.heldOutFrom,
          curve: isHeldOutSource(algorithm) ? [] : readResults<EvalRecord>(dir),
        });
      }
    }
  }
  return { root, config, runs };
}

export interface CellResult {
  dataset: string;
  method: string;
  criterion: SelectionCriterion;
  /** The selected combination, or undefined with `note` saying why there is none. */
  combo?: number;
  hparams?: HParams;
  seeds?: number[];
  /** The criterion at the selected steps, averaged over seeds. */
  criterionMean?: number;
  valAvgMean?: number;
  selectedSteps?: number[];
  testAvg?: SeedSummary;
  testWorstGroup?: SeedSummary;
  /** Combinations left out: incomplete (missing seeds) or with a diverged seed. */
  excluded: { combo: number; reason: string }[];
  note?: string;
  /** Convergence warnings of the selected combination's runs, per seed ("seed 1: …"). */
  warnings?: string[];
}

export interface XrmSelection {
  dataset: string;
  seed: number;
  combo?: number;
  flipRate?: number;
  degenerate?: boolean;
  candidates: { combo: number; flipRate?: number; degenerate?: boolean; status: string }[];
  /** The selected run's held-out signal against the true groups. */
  diagnostics?: HeldOutDiagnostics;
}

export interface Report {
  root: string;
  config?: SweepConfig;
  finishedRuns: number;
  datasets: string[];
  methods: string[];
  criteria: SelectionCriterion[];
  cells: CellResult[];
  /** Methods that fit on validation group labels (DFR), listed apart from `methods`. */
  validationTrainedMethods: string[];
  /** Their cells: each run scored by its own tuning's held-out half of validation (see validationTrainedCell). */
  validationTrained: CellResult[];
  xrm: XrmSelection[];
}

/** Whether a method fits on validation group labels (the registry's usesValidationGroups). */
export function usesValidationGroups(method: string): boolean {
  return !!ALGORITHMS.find((a) => a.name === method)?.usesValidationGroups;
}

/**
 * A method that trains on validation groups, selected without pretending validation is untouched:
 * each run's point is scored by the evaluation its own tuning made on the half of the validation
 * set that the tuning fit did not see (DFR's `dfr.selection`), and combinations are compared by that
 * score averaged over seeds.
 */
export function validationTrainedCell(runs: readonly StoredRun[], expectedSeeds?: number): Omit<CellResult, 'dataset' | 'method' | 'criterion'> {
  const scored = runs.map((r) => ({
    ...r,
    curve: r.curve.map((p) => {
      const selection = (p as EvalRecord & { dfr?: { selection?: Evaluation } }).dfr?.selection;
      return selection ? { ...p, val: selection } : p;
    }),
  }));
  return selectCell(scored, 'va_wga', expectedSeeds);
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** Select within runs, then across combinations, for one dataset, method and criterion. */
export function selectCell(runs: readonly StoredRun[], criterion: SelectionCriterion, expectedSeeds?: number): Omit<CellResult, 'dataset' | 'method' | 'criterion'> {
  const byCombo = new Map<number, StoredRun[]>();
  for (const r of runs) {
    if (!byCombo.has(r.combo)) byCombo.set(r.combo, []);
    byCombo.get(r.combo)!.push(r);
  }
  const seedCount = expectedSeeds ?? Math.max(0, ...[...byCombo.values()].map((rs) => rs.length));
  const excluded: { combo: number; reason: string }[] = [];
  type Candidate = { combo: number; selected: EvalRecord; runs: StoredRun[]; records: EvalRecord[] };
  const candidates: Candidate[] = [];
  for (const [combo, rs] of [...byCombo.entries()].sort((a, b) => a[0] - b[0])) {
    const diverged = rs.filter((r) => r.done.status !== 'ok');
    if (diverged.length) {
      const where = (r: StoredRun) => `${r.seed}${r.done.divergedAt !== undefined ? ` (step ${r.done.divergedAt})` : ''}`;
      excluded.push({ combo, reason: `diverged on seed ${diverged.map(where).join(', ')}` });
      continue;
    }
    if (rs.length < seedCount) {
      excluded.push({ combo, reason: `${rs.length} of ${seedCount} seeds finished` });
      continue;
    }
    const sorted = [...rs].sort((a, b) => a.seed - b.seed);
    if (sorted.some((r) => r.curve.length === 0)) {
      excluded.push({ combo, reason: 'a run has no evaluations' });
      continue;
    }
    let records: EvalRecord[];
    try {
      records = sorted.map((r) => selectStep(r.curve, criterion));
    } catch (err) {
      return { excluded, note: criterion === 'va_gi_wga' ? 'no XRM-inferred validation groups (the sweep has no XRM runs)' : (err as Error).message };
    }
    // A record whose validation metrics are the seed means: selectCombination compares these.
    const avgEval = (pick: (r: EvalRecord) => Evaluation | undefined): Evaluation => {
      const evs = records.map(pick);
      return {
        avgAcc: mean(evs.map((e) => e?.avgAcc ?? NaN)),
        worstGroupAcc: mean(evs.map((e) => e?.worstGroupAcc ?? NaN)),
        worstClassAcc: mean(evs.map((e) => e?.worstClassAcc ?? NaN)),
      } as Evaluation;
    };
    const selected: EvalRecord = {
      step: 0,
      val: avgEval((r) => r.val),
      test: avgEval((r) => r.test),
      valInferred: records.every((r) => r.valInferred) ? avgEval((r) => r.valInferred) : undefined,
    };
    candidates.push({ combo, selected, runs: sorted, records });
  }
  if (candidates.length === 0) return { excluded, note: byCombo.size ? 'no combination finished on every seed' : 'no finished runs' };
  const best = selectCombination(candidates, criterion);
  const warnings = best.runs.flatMap((r) => convergenceOf(r.curve as ConvergencePoint[], criterion).warnings.map((w) => `seed ${r.seed}: ${w}`));
  return {
    warnings,
    combo: best.combo,
    hparams: best.runs[0].hparams,
    seeds: best.runs.map((r) => r.seed),
    criterionMean: criterionValue(best.selected, criterion),
    valAvgMean: best.selected.val.avgAcc,
    selectedSteps: best.records.map((r) => r.step),
    testAvg: summarizeSeeds(best.records.map((r) => r.test.avgAcc)),
    testWorstGroup: summarizeSeeds(best.records.map((r) => r.test.worstGroupAcc)),
    excluded,
  };
}

export function buildReport(store: Store, criteria: readonly SelectionCriterion[] = REPORT_CRITERIA): Report {
  const datasets = store.config?.datasets.map((d) => d.key) ?? [...new Set(store.runs.map((r) => r.dataset))];
  const all = (store.config?.algorithms ?? [...new Set(store.runs.map((r) => r.algorithm))]).filter((a) => !isHeldOutSource(a));
  const methods = all.filter((a) => !usesValidationGroups(a));
  const validationTrainedMethods = all.filter(usesValidationGroups);
  const validationTrained: CellResult[] = [];
  for (const method of validationTrainedMethods) {
    for (const dataset of datasets) {
      const runs = store.runs.filter((r) => r.dataset === dataset && r.algorithm === method);
      validationTrained.push({ dataset, method, criterion: 'va_wga', ...validationTrainedCell(runs, store.config?.seeds) });
    }
  }
  const cells: CellResult[] = [];
  for (const criterion of criteria) {
    for (const method of methods) {
      for (const dataset of datasets) {
        const runs = store.runs.filter((r) => r.dataset === dataset && r.algorithm === method);
        cells.push({ dataset, method, criterion, ...selectCell(runs, criterion, store.config?.seeds) });
      }
    }
  }
  const xrm: XrmSelection[] = [];
  for (const dataset of datasets) {
    const twins = store.runs.filter((r) => r.dataset === dataset && isHeldOutSource(r.algorithm));
    for (const seed of [...new Set(twins.map((r) => r.seed))].sort((a, b) => a - b)) {
      const rs = twins.filter((r) => r.seed === seed).sort((a, b) => a.combo - b.combo);
      const combo = selectXrmRun(rs.map((r) => ({ combo: r.combo, record: r.done })), store.config?.xrmSelect);
      const chosen = rs.find((r) => r.combo === combo);
      xrm.push({
        dataset, seed, combo, flipRate: chosen?.done.flipRate, degenerate: chosen?.done.degenerate, diagnostics: chosen?.done.diagnostics,
        candidates: rs.map((r) => ({ combo: r.combo, flipRate: r.done.flipRate, degenerate: r.done.degenerate, status: r.done.status })),
      });
    }
  }
  return { root: store.root, config: store.config, finishedRuns: store.runs.length, datasets, methods, criteria: [...criteria], cells, validationTrainedMethods, validationTrained, xrm };
}

/** The criterion column of validation-trained cells in report.md and report.csv. */
const VALIDATION_TRAINED_LABEL = 'own tuning (val groups used for training)';

function formatHParams(hp: HParams | undefined): string {
  if (!hp) return '';
  return Object.entries(hp).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(3) : v}`).join(' ');
}

function pct(s: SeedSummary | undefined): string {
  return s ? formatMeanStd(s.mean, s.std, 1, { percent: true }) : 'n/a';
}

export function reportMarkdown(report: Report): string {
  const out: string[] = [];
  const c = report.config;
  out.push(`# Sweep report: ${report.root}`, '');
  if (c) {
    out.push(`${report.finishedRuns} finished runs; datasets ${report.datasets.join(', ')}; algorithms ${c.algorithms.join(', ')}; ${c.combos} combinations × ${c.seeds} seeds${c.steps ? `; ${c.steps} steps` : ''}.`);
  } else {
    out.push(`${report.finishedRuns} finished runs.`);
  }
  out.push('Test accuracy (%) at the selected step, mean ± std over seeds of the selected combination.', '');
  for (const criterion of report.criteria) {
    out.push(`## Selected by ${criterion}: ${CRITERION_TITLES[criterion]}`, '');
    const headers = ['method', ...report.datasets.flatMap((d) => [`${d} avg`, `${d} worst group`])];
    const rows: Cell[][] = report.methods.map((method) => [
      method,
      ...report.datasets.flatMap((dataset) => {
        const cell = report.cells.find((x) => x.criterion === criterion && x.method === method && x.dataset === dataset)!;
        return [pct(cell.testAvg), pct(cell.testWorstGroup)];
      }),
    ]);
    out.push(markdownTable(headers, rows, { align: headers.map((_, i) => (i === 0 ? 'left' : 'right')) }));
  }
  if (report.validationTrainedMethods.length) {
    out.push('## Validation groups used for training', '');
    out.push(`${report.validationTrainedMethods.join(', ')} fit${report.validationTrainedMethods.length === 1 ? 's' : ''} the last layer on the validation set's group labels, so ` +
      'its validation accuracy is not a held-out estimate and it is never selected by the criteria above. Each run is scored by its own tuning ' +
      '(worst-group accuracy on the half of the validation set that its tuning fit did not see); the combination with the best mean score is shown. ' +
      'Numbers here used validation groups to train: compare them with the tables above knowing that.', '');
    const headers = ['method', ...report.datasets.flatMap((d) => [`${d} avg`, `${d} worst group`])];
    const vrows: Cell[][] = report.validationTrainedMethods.map((method) => [
      method,
      ...report.datasets.flatMap((dataset) => {
        const cell = report.validationTrained.find((x) => x.method === method && x.dataset === dataset)!;
        return [pct(cell.testAvg), pct(cell.testWorstGroup)];
      }),
    ]);
    out.push(markdownTable(headers, vrows, { align: headers.map((_, i) => (i === 0 ? 'left' : 'right')) }));
  }
  out.push('## Selected combinations', '');
  const labelled = [...report.cells, ...report.validationTrained.map((c) => ({ ...c, criterion: VALIDATION_TRAINED_LABEL }))];
  const rows: Cell[][] = labelled.map((cell) => [
    cell.criterion, cell.dataset, cell.method,
    cell.combo ?? null,
    cell.criterionMean ?? null,
    cell.selectedSteps ? cell.selectedSteps.join(', ') : null,
    cell.combo !== undefined ? formatHParams(cell.hparams) : (cell.note ?? ''),
    cell.excluded.length ? cell.excluded.map((e) => `c${e.combo}: ${e.reason}`).join('; ') : '',
  ]);
  out.push(markdownTable(['criterion', 'dataset', 'method', 'combo', 'val criterion', 'steps (per seed)', 'hyperparameters', 'left out'], rows, { digits: [undefined, undefined, undefined, 0, 4] }));
  if (report.xrm.length) {
    const rule = report.config?.xrmSelect === 'capped' ? 'the largest flip rate at most twice the median' : 'the largest flip rate';
    out.push(`## XRM runs (held-out predictions): ${rule} per seed`, '');
    const xrows: Cell[][] = report.xrm.map((x) => [
      x.dataset, x.seed, x.combo ?? null, x.flipRate ?? null, x.degenerate === undefined ? null : x.degenerate ? 'yes' : 'no',
      x.candidates.map((k) => `c${k.combo}: ${k.status !== 'ok' ? k.status : `${k.flipRate?.toFixed(3)}${k.degenerate ? ' (degenerate)' : ''}`}`).join(', '),
    ]);
    out.push(markdownTable(['dataset', 'seed', 'selected combo', 'flip rate', 'degenerate', 'all combinations'], xrows, { digits: [undefined, 0, 0, 4] }));
    const withSignal = report.xrm.filter((x) => x.diagnostics);
    if (withSignal.length) {
      out.push('## Held-out signal of the selected runs: do the held-out mistakes find the minority groups?', '');
      const f = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(2));
      const srows: Cell[][] = withSignal.map((x) => {
        const d = x.diagnostics!;
        const perClass = (s: typeof d.train) => s.perClass.map((c) => `${c.label}: ${f(c.errorRate)}` + (c.recall !== undefined ? ` (P ${f(c.precision)}, R ${f(c.recall)})` : '')).join('; ');
        return [x.dataset, x.seed, d.heldOutAccuracy, perClass(d.train), perClass(d.val), d.verdict];
      });
      out.push(markdownTable(['dataset', 'seed', 'held-out accuracy', 'train: mistake rate per class (precision, recall vs minority)', 'val: cross-mistake rate per class (precision, recall)', 'reading'], srows, { digits: [undefined, 0, 3] }));
    }
  }
  const warned = report.cells.filter((cell) => cell.warnings?.length);
  if (warned.length) {
    out.push('## Warnings', '');
    for (const cell of warned) for (const w of cell.warnings!) out.push(`- ${cell.dataset}, ${cell.method} (selected by ${cell.criterion}), ${w}`);
    out.push('');
  }
  return out.join('\n');
}

export function reportCsv(report: Report): string {
  const headers = [
    'criterion', 'dataset', 'method', 'combo', 'seeds', 'criterion_mean', 'val_avg_mean',
    'test_avg_mean', 'test_avg_std', 'test_worst_group_mean', 'test_worst_group_std', 'selected_steps', 'hparams', 'note',
  ];
  const labelled = [...report.cells, ...report.validationTrained.map((c) => ({ ...c, criterion: VALIDATION_TRAINED_LABEL }))];
  const rows: Cell[][] = labelled.map((c) => [
    c.criterion, c.dataset, c.method, c.combo ?? null, c.seeds?.length ?? null, c.criterionMean ?? null, c.valAvgMean ?? null,
    c.testAvg?.mean ?? null, c.testAvg?.std ?? null, c.testWorstGroup?.mean ?? null, c.testWorstGroup?.std ?? null,
    c.selectedSteps?.join(' ') ?? null, c.hparams ? JSON.stringify(c.hparams) : null, c.note ?? null,
  ]);
  return csvTable(headers, rows);
}

/** Build the report of a sweep folder and write report.md, report.csv and report.json into it. */
export function writeReport(root: string): { report: Report; markdown: string; store: Store } {
  const store = readStore(root);
  const report = buildReport(store);
  const markdown = reportMarkdown(report);
  writeFileAtomic(path.join(root, 'report.md'), markdown);
  writeFileAtomic(path.join(root, 'report.csv'), reportCsv(report));
  writeFileAtomic(path.join(root, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  return { report, markdown, store };
}
