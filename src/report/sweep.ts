// The sweep report as an HTML page: the Table-1-style tables under each selection criterion, and per
// dataset the selected runs' worst-group curves, per-group test accuracy, XRM's flip rates, the
// selected XRM runs' held-out signal and the convergence warnings.
import type { Report, Store, CellResult } from '../sweep/report.js';
import type { EvalRecord } from '../eval/selection.js';
import { formatMeanStd } from './table.js';
import { flipRateBars, groupAccuracyBars, worstGroupCurves, type GroupAccuracies, type RunCurve } from './figures/runs.js';
import type { Figure } from './figures/render.js';
import { heldOutSignalSection } from './heldout.js';
import type { HtmlReport, HtmlSection } from './html.js';

const pct = (s: CellResult['testAvg']) => (s ? formatMeanStd(s.mean, s.std, 1, { percent: true }) : 'n/a');

function datasetFigures(report: Report, store: Store, dataset: string): Figure[] {
  const cells = report.cells.filter((c) => c.criterion === 'va_wga' && c.dataset === dataset && c.combo !== undefined);
  const curves: RunCurve[] = [];
  const groupAcc: GroupAccuracies[] = [];
  let groupCount = 0;
  for (const cell of cells) {
    const runs = store.runs.filter((r) => r.dataset === dataset && r.algorithm === cell.method && r.combo === cell.combo).sort((a, b) => a.seed - b.seed);
    if (!runs.length) continue;
    const first = runs[0];
    curves.push({
      method: cell.method,
      steps: first.curve.map((p) => p.step),
      valWorstGroup: first.curve.map((p) => p.val.worstGroupAcc),
      testWorstGroup: first.curve.map((p) => p.test.worstGroupAcc),
      selectedStep: cell.selectedSteps?.[0] ?? first.curve[first.curve.length - 1].step,
    });
    const selected = runs.map((r, i) => r.curve.find((p) => p.step === cell.selectedSteps?.[i])).filter((p): p is EvalRecord => !!p);
    const G = selected[0]?.test.groupAcc?.length ?? 0;
    groupCount = Math.max(groupCount, G);
    groupAcc.push({
      method: cell.method,
      groupAcc: Array.from({ length: G }, (_, g) => {
        const v = selected.map((p) => p.test.groupAcc[g]).filter((x): x is number => x !== null && x !== undefined);
        return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
      }),
    });
  }
  const figures: Figure[] = [];
  if (curves.length) figures.push(worstGroupCurves(dataset, `Worst-group accuracy over the steps (selected combination, first seed): ${dataset}`, curves));
  if (groupCount) figures.push(groupAccuracyBars(dataset, `Test accuracy per group at the selected step: ${dataset}`, Array.from({ length: groupCount }, (_, g) => `group ${g}`), groupAcc));
  const flips = report.xrm.filter((x) => x.dataset === dataset).flatMap((x) => x.candidates.filter((c) => c.flipRate !== undefined).map((c) => ({ label: `seed ${x.seed} c${c.combo}`, flipRate: c.flipRate! })));
  if (flips.length) figures.push(flipRateBars(dataset, flips));
  return figures;
}

export function sweepHtmlReport(report: Report, store: Store): HtmlReport {
  const criteria: HtmlSection[] = report.criteria.map((criterion) => ({
    title: `Selected by ${criterion}`,
    tables: [{
      headers: ['method', ...report.datasets.flatMap((d) => [`${d} avg`, `${d} worst group`])],
      rows: report.methods.map((method) => [method, ...report.datasets.flatMap((dataset) => {
        const cell = report.cells.find((x) => x.criterion === criterion && x.method === method && x.dataset === dataset);
        return [pct(cell?.testAvg), pct(cell?.testWorstGroup)];
      })]),
    }],
  }));
  const datasets: HtmlSection[] = report.datasets.flatMap((dataset) => {
    const warnings = report.cells.filter((c) => c.dataset === dataset && c.warnings?.length)
      .flatMap((c) => c.warnings!.map((w) => `${c.method} (selected by ${c.criterion}), ${w}`));
    const runs: HtmlSection = { title: `Runs: ${dataset}`, figures: datasetFigures(report, store, dataset), ...(warnings.length ? { text: 'Warnings:', list: [...new Set(warnings)] } : {}) };
    const signal = report.xrm.filter((x) => x.dataset === dataset && x.diagnostics).map((x) => ({ label: `seed ${x.seed}, c${x.combo}`, diagnostics: x.diagnostics! }));
    return signal.length ? [runs, heldOutSignalSection(dataset, signal)] : [runs];
  });
  return {
    title: `Sweep report: ${report.root}`,
    intro: `${report.finishedRuns} finished runs. Test accuracy (%) at the selected step, mean ± std over seeds of the selected combination.`,
    sections: [...criteria, ...datasets],
  };
}
