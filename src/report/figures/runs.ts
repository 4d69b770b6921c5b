// Figures of runs and sweeps: validation and test worst-group accuracy over the steps with the
// selected step marked, per-group test accuracy per method, XRM's flip rates and the held-out signal.
import { PALETTE, renderFigure, type Figure } from './render.js';

export interface RunCurve {
  method: string;
  steps: number[];
  valWorstGroup: number[];
  testWorstGroup: number[];
  /** The step selection picked. */
  selectedStep: number;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_');

export function worstGroupCurves(id: string, title: string, runs: readonly RunCurve[]): Figure {
  // One colour per method: validation solid, test dashed.
  const color = (i: number) => PALETTE[i % PALETTE.length];
  const series = runs.flatMap((r, i) => [
    { name: `${r.method} validation`, type: 'line', showSymbol: false, lineStyle: { type: 'solid', color: color(i) }, itemStyle: { color: color(i) }, data: r.steps.map((s, j) => [s, r.valWorstGroup[j]]),
      markLine: { symbol: 'none', label: { show: false }, lineStyle: { type: 'dotted' }, data: [{ xAxis: r.selectedStep }] } },
    { name: `${r.method} test`, type: 'line', showSymbol: false, lineStyle: { type: 'dashed', color: color(i) }, itemStyle: { color: color(i) }, data: r.steps.map((s, j) => [s, r.testWorstGroup[j]]),
      markPoint: { symbol: 'circle', symbolSize: 8, label: { show: false }, data: [{ coord: [r.selectedStep, r.testWorstGroup[r.steps.indexOf(r.selectedStep)] ?? 0] }] } },
  ]);
  return renderFigure({
    id: `curves-${slug(id)}`,
    title,
    caption: 'Worst-group accuracy on validation (solid) and test (dashed) along training; the dotted line marks the step selected by validation worst-group accuracy and the dot the test value there.',
    option: {
      title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0, type: 'plain' },
      grid: { left: 60, right: 20, top: 40, bottom: 50 + 30 * Math.ceil(runs.length / 2) },
      xAxis: { type: 'value', max: 'dataMax', name: 'step', nameLocation: 'middle', nameGap: 24 },
      yAxis: { type: 'value', min: 0, max: 1, name: 'worst-group accuracy', nameLocation: 'middle', nameGap: 40 },
      series,
    },
    width: 760,
    height: 310 + 30 * Math.ceil(runs.length / 2),
  });
}

export interface GroupAccuracies {
  method: string;
  /** Test accuracy per group (null: group absent). */
  groupAcc: (number | null)[];
}

export function groupAccuracyBars(id: string, title: string, groupLabels: readonly string[], methods: readonly GroupAccuracies[]): Figure {
  return renderFigure({
    id: `groups-${slug(id)}`,
    title,
    caption: 'Test accuracy of each group at the selected step, per method (the mean over seeds where there are several): the worst group is what the methods are judged on.',
    option: {
      title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 75 },
      xAxis: { type: 'category', data: [...groupLabels] },
      yAxis: { type: 'value', min: 0, max: 1, name: 'test accuracy', nameLocation: 'middle', nameGap: 40 },
      series: methods.map((m) => ({ name: m.method, type: 'bar', data: m.groupAcc.map((v) => v ?? 0) })),
    },
    width: 760,
    height: 360,
  });
}

export function flipRateBars(id: string, rows: readonly { label: string; flipRate: number }[]): Figure {
  return renderFigure({
    id: `flips-${slug(id)}`,
    title: `XRM flip rates: ${id}`,
    caption: 'Fraction of training labels the XRM twins flipped, per run: the held-out stage\'s estimate of how much of the training set the majority rule misclassifies (on ColorMNIST, the colour-disagrees-with-label rate).',
    option: {
      title: { text: `XRM flip rates: ${id}`, left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 75 },
      xAxis: { type: 'category', data: rows.map((r) => r.label) },
      yAxis: { type: 'value', name: 'flip rate', nameLocation: 'middle', nameGap: 40 },
      series: [{ name: 'flip rate', type: 'bar', data: rows.map((r) => r.flipRate) }],
    },
    width: 760,
    height: 320,
  });
}

/** One bar group of the held-out signal: a split and class, the fraction marked, and the match with its minority. */
export interface SignalBar {
  label: string;
  marked: number | null;
  precision: number | null;
  recall: number | null;
}

export function heldOutSignalBars(id: string, title: string, bars: readonly SignalBar[]): Figure {
  const withMinority = bars.some((b) => b.precision !== null || b.recall !== null);
  const series = [
    { name: 'marked', type: 'bar', data: bars.map((b) => b.marked ?? 0) },
    ...(withMinority ? [
      { name: 'minority precision', type: 'bar', data: bars.map((b) => b.precision ?? 0) },
      { name: 'minority recall', type: 'bar', data: bars.map((b) => b.recall ?? 0) },
    ] : []),
  ];
  return renderFigure({
    id: `signal-${slug(id)}`,
    title,
    caption: withMinority
      ? 'Per split and class: the fraction of examples the held-out signal marks (training: held-out mistakes; validation: the inferred minority), and how well the marks find the class\'s minority (precision and recall near 1: the regime where MAT helps).'
      : 'Per split and class: the fraction of examples the held-out signal marks (training: held-out mistakes; validation: the inferred minority); without an attribute there is no minority to compare with.',
    option: {
      title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 75 },
      xAxis: { type: 'category', data: bars.map((b) => b.label) },
      yAxis: { type: 'value', min: 0, max: 1, name: 'fraction', nameLocation: 'middle', nameGap: 40 },
      series,
    },
    width: 760,
    height: 340,
  });
}
