// The report of one run (`mat train --out DIR`): worst-group accuracy over the steps with the step
// selected by validation worst-group accuracy marked, test accuracy per group at that step, and,
// from the run's summary, the held-out signal and the convergence warnings.
import type { Convergence } from '../eval/convergence.js';
import type { Evaluation } from '../eval/metrics.js';
import { selectStep, type EvalRecord } from '../eval/selection.js';
import type { HeldOutDiagnostics } from '../heldout/diagnostics.js';
import { groupAccuracyBars, worstGroupCurves } from './figures/runs.js';
import { heldOutSignalSection } from './heldout.js';
import type { HtmlReport, HtmlSection } from './html.js';

export interface RunConfigSummary {
  dataset?: string;
  algorithm?: string;
  seed?: number;
}

/** What `mat train --out` saves in run.json beyond the curve (older folders have none). */
export interface RunSummary {
  heldOut?: HeldOutDiagnostics;
  convergence?: Convergence;
}

export function runHtmlReport(config: RunConfigSummary, curve: readonly EvalRecord[], summary: RunSummary = {}): HtmlReport {
  const method = config.algorithm ?? 'run';
  const selected = selectStep(curve, 'va_wga');
  const final = curve[curve.length - 1];
  const row = (label: string, p: EvalRecord) => [label, p.step, p.val.worstGroupAcc, p.test.avgAcc, p.test.worstGroupAcc];
  const groups = (ev: Evaluation) => ev.groupAcc.map((_, g) => `group ${g}`);
  const extra: HtmlSection[] = [];
  if (summary.heldOut) extra.push(heldOutSignalSection(config.dataset ?? 'data', [{ label: `seed ${config.seed ?? 0}`, diagnostics: summary.heldOut }]));
  const c = summary.convergence;
  if (c) {
    const fit = c.finalTrainLoss !== undefined ? `Final training loss ${c.finalTrainLoss.toFixed(3)} (predicting the class frequencies scores ${c.priorLoss.toFixed(3)}), training accuracy ${c.finalTrainAccuracy?.toFixed(3) ?? 'n/a'}.` : undefined;
    extra.push({ title: 'Convergence', text: [fit, c.warnings.length ? 'Warnings:' : 'No warnings.'].filter(Boolean).join(' '), list: c.warnings });
  }
  return {
    title: `mat train: ${method} on ${config.dataset ?? 'data'}, seed ${config.seed ?? 0}`,
    sections: [{
      title: 'Accuracy',
      tables: [{ headers: ['step', 'at', 'validation worst-group', 'test average', 'test worst-group'], rows: [row('selected (va_wga)', selected), row('final', final)] }],
      figures: [
        worstGroupCurves(method, `Worst-group accuracy over the steps: ${method}`, [{
          method, steps: curve.map((p) => p.step), valWorstGroup: curve.map((p) => p.val.worstGroupAcc), testWorstGroup: curve.map((p) => p.test.worstGroupAcc), selectedStep: selected.step,
        }]),
        groupAccuracyBars(method, `Test accuracy per group at step ${selected.step}: ${method}`, groups(selected.test), [{ method, groupAcc: selected.test.groupAcc }]),
      ],
    }, ...extra],
  };
}
