// The report of one run (`mat train --out DIR`): worst-group accuracy over the steps with the step
// selected by validation worst-group accuracy marked, and test accuracy per group at that step.
import type { Evaluation } from '../eval/metrics.js';
import { selectStep, type EvalRecord } from '../eval/selection.js';
import { groupAccuracyBars, worstGroupCurves } from './figures/runs.js';
import type { HtmlReport } from './html.js';

export interface RunConfigSummary {
  dataset?: string;
  algorithm?: string;
  seed?: number;
}

export function runHtmlReport(config: RunConfigSummary, curve: readonly EvalRecord[]): HtmlReport {
  const method = config.algorithm ?? 'run';
  const selected = selectStep(curve, 'va_wga');
  const final = curve[curve.length - 1];
  const row = (label: string, p: EvalRecord) => [label, p.step, p.val.worstGroupAcc, p.test.avgAcc, p.test.worstGroupAcc];
  const groups = (ev: Evaluation) => ev.groupAcc.map((_, g) => `group ${g}`);
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
    }],
  };
}
