// The demo's HTML report: the paper's three figures, the runs' curves and per-group accuracies, and
// the tables. Everything it draws is kept in figures.json, so that `mat report DIR --html` can
// rebuild the page from the demo's folder without training anything.
import { figure1Boundaries, figure1Curves, type Figure1Boundary, type Figure1Curve, type Figure1Points } from './figures/figure1.js';
import { figure3, type Figure3Input } from './figures/figure3.js';
import { flipRateBars, groupAccuracyBars, worstGroupCurves, type GroupAccuracies, type RunCurve } from './figures/runs.js';
import type { HtmlReport, HtmlSection, HtmlTable } from './html.js';
import { memorizationSection, type MemorizationResult } from './memorization.js';

export const DEMO_FIGURES_FILE = 'figures.json';

export interface DemoExperimentFigures {
  experiment: string;
  title: string;
  /** The results table of the experiment. */
  table: HtmlTable;
  /** Seed 0's curves, one per method (experiments with step selection). */
  curves?: RunCurve[];
  groupLabels?: string[];
  /** Mean test accuracy per group at the reported step, per method. */
  groupAcc?: GroupAccuracies[];
  /** XRM's flip rate per seed (the held-out stage's diagnostic), where a method used XRM. */
  flipRates?: { label: string; flipRate: number }[];
}

export interface DemoFigureData {
  seeds: number;
  seconds: number;
  experiments: DemoExperimentFigures[];
  fig1?: { curves: Figure1Curve[]; boundaries: Figure1Boundary[]; points: Figure1Points };
  fig3?: Figure3Input;
  memorization: MemorizationResult[];
}

export function demoHtmlReport(data: DemoFigureData): HtmlReport {
  const sections: HtmlSection[] = [];
  for (const exp of data.experiments) {
    const figures = [];
    if (exp.experiment === 'fig1' && data.fig1) {
      figures.push(figure1Curves(data.fig1.curves), figure1Boundaries(data.fig1.points, data.fig1.boundaries));
    }
    if (exp.curves?.length) figures.push(worstGroupCurves(exp.experiment, `Worst-group accuracy over the steps (seed 0): ${exp.experiment}`, exp.curves));
    if (exp.groupAcc?.length && exp.groupLabels) figures.push(groupAccuracyBars(exp.experiment, `Test accuracy per group: ${exp.experiment}`, exp.groupLabels, exp.groupAcc));
    if (exp.flipRates?.length) figures.push(flipRateBars(exp.experiment, exp.flipRates));
    sections.push({ title: exp.title, tables: [exp.table], figures });
  }
  for (const m of data.memorization) sections.push(memorizationSection(m));
  if (data.fig3) {
    sections.push({
      title: 'Figure 3: good, bad and ugly memorization',
      text: 'f(x) = tanh(x) + 0.5·tanh(−5x) from 20 points with label noise N(0, 0.08²), each carrying 30 example-specific coordinates of scale σ.',
      figures: [figure3(data.fig3)],
    });
  }
  return {
    title: 'mat demo',
    intro: `The paper in miniature on built-in data: ${data.seeds} seed(s) per method, test accuracy in % (mean ± std over seeds), ${data.seconds.toFixed(0)} s in all.`,
    sections,
  };
}
