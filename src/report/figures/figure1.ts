// The paper's Figure 1: accuracy over the epochs (majority and minority, train and test) for ERM
// without noise, ERM with noise and MAT with noise, and each model's decision boundary in the
// (x_y, x_a) plane over the training points.
import type { Evaluation } from '../../eval/metrics.js';
import type { EvalRecord } from '../../eval/selection.js';
import { panels, renderFigure, type Figure } from './render.js';

/** Accuracy of the majority and minority groups along training, per split. */
export interface Figure1Curve {
  label: string;
  steps: number[];
  trainMajority: number[];
  trainMinority: number[];
  testMajority: number[];
  testMinority: number[];
}

/** A linear model's logit difference z_1 − z_0 restricted to the (x_y, x_a) plane: cy·x_y + ca·x_a. */
export interface Figure1Boundary {
  label: string;
  cy: number;
  ca: number;
}

/** Training points in the (x_y, x_a) plane. */
export interface Figure1Points {
  xy: number[];
  xa: number[];
  minority: boolean[];
}

/** Accuracy of the majority (a = y) and minority (a ≠ y) examples of one evaluation. */
export function majorityMinority(ev: Evaluation, numAttributes: number): { majority: number; minority: number } {
  let majCorrect = 0, majCount = 0, minCorrect = 0, minCount = 0;
  ev.groupCounts.forEach((count, g) => {
    const acc = ev.groupAcc[g];
    if (!count || acc === null) return;
    if (g % numAttributes === Math.floor(g / numAttributes)) { majCorrect += acc * count; majCount += count; }
    else { minCorrect += acc * count; minCount += count; }
  });
  return { majority: majCount ? majCorrect / majCount : NaN, minority: minCount ? minCorrect / minCount : NaN };
}

/** A run's Figure 1 curve from its evaluations (which must include the training split). */
export function figure1Curve(label: string, curve: readonly (EvalRecord & { train?: Evaluation })[], numAttributes: number): Figure1Curve {
  const train = curve.map((p) => (p.train ? majorityMinority(p.train, numAttributes) : { majority: NaN, minority: NaN }));
  const test = curve.map((p) => majorityMinority(p.test, numAttributes));
  return {
    label,
    steps: curve.map((p) => p.step),
    trainMajority: train.map((t) => t.majority),
    trainMinority: train.map((t) => t.minority),
    testMajority: test.map((t) => t.majority),
    testMinority: test.map((t) => t.minority),
  };
}

const CURVE_SERIES = [
  ['train majority', 'trainMajority', 'solid', 0],
  ['train minority', 'trainMinority', 'solid', 3],
  ['test majority', 'testMajority', 'dashed', 0],
  ['test minority', 'testMinority', 'dashed', 3],
] as const;

export function figure1Curves(curves: readonly Figure1Curve[]): Figure {
  const { grid, title } = panels(curves.map((c) => c.label));
  const colors = ['#4e79a7', '#e15759'];
  const series = curves.flatMap((c, i) => CURVE_SERIES.map(([name, key, type, color]) => ({
    name, type: 'line', xAxisIndex: i, yAxisIndex: i, showSymbol: false,
    lineStyle: { type, width: 2, color: colors[color ? 1 : 0] }, itemStyle: { color: colors[color ? 1 : 0] },
    data: c.steps.map((s, j) => [s, c[key][j]]),
  })));
  return renderFigure({
    id: 'fig1-curves',
    title: 'Figure 1: accuracy over the epochs',
    caption: 'Majority (blue) and minority (red) accuracy on the training set (solid) and the test set (dashed) along full-batch training: with noise, ERM drives minority training accuracy to 1 while its minority test accuracy stays low; MAT lifts minority test accuracy early.',
    option: {
      title: [{ text: 'Accuracy over the epochs', left: 'center', textStyle: { fontSize: 14 } }, ...title],
      legend: { bottom: 0 },
      grid,
      xAxis: curves.map((_, i) => ({ type: 'value', gridIndex: i, name: 'epoch', nameLocation: 'middle', nameGap: 24 })),
      yAxis: curves.map((_, i) => ({ type: 'value', gridIndex: i, min: 0, max: 1, name: i === 0 ? 'accuracy' : '' })),
      series,
    },
    width: 960,
    height: 360,
  });
}

/** Endpoints of the line cy·x_y + ca·x_a = 0 across a box of half-width `r` (clipped by the axes). */
function boundaryLine(b: Figure1Boundary, r: number): number[][] {
  const norm = Math.hypot(b.cy, b.ca) || 1;
  const dx = -b.ca / norm;
  const dy = b.cy / norm;
  return [[-dx * r, -dy * r], [dx * r, dy * r]];
}

export function figure1Boundaries(points: Figure1Points, boundaries: readonly Figure1Boundary[]): Figure {
  const pts = (minority: boolean) => points.xy.map((x, i) => [x, points.xa[i]]).filter((_, i) => points.minority[i] === minority);
  const ya = Math.max(...points.xa.map(Math.abs)) * 1.05;
  const yy = Math.max(...points.xy.map(Math.abs)) * 1.1;
  const lineColors = ['#59a14f', '#b07aa1', '#f28e2b'];
  return renderFigure({
    id: 'fig1-boundaries',
    title: 'Figure 1: decision boundaries',
    caption: 'Training points in the (x_y, x_a) plane (majority grey, minority red) and where each model\'s logits are equal there (noise coordinates at 0): ERM without noise and MAT separate by the core coordinate x_y, ERM with noise by the spurious x_a.',
    option: {
      title: { text: 'Decision boundaries in the (x_y, x_a) plane', left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      grid: { left: 60, right: 30, top: 40, bottom: 96 },
      xAxis: { type: 'value', name: 'x_y (core)', nameLocation: 'middle', nameGap: 26, min: -yy, max: yy, axisLabel: { formatter: (v: number) => v.toFixed(1) } },
      yAxis: { type: 'value', name: 'x_a (spurious)', nameLocation: 'middle', nameGap: 36, min: -ya, max: ya, axisLabel: { formatter: (v: number) => v.toFixed(0) } },
      series: [
        { name: 'majority (train)', type: 'scatter', symbolSize: 4, itemStyle: { color: '#bab0ac' }, data: pts(false) },
        { name: 'minority (train)', type: 'scatter', symbolSize: 5, itemStyle: { color: '#e15759' }, data: pts(true) },
        ...boundaries.map((b, i) => ({
          name: b.label, type: 'line', showSymbol: false, clip: true,
          lineStyle: { width: 2, color: lineColors[i % lineColors.length] }, itemStyle: { color: lineColors[i % lineColors.length] },
          data: boundaryLine(b, 4 * Math.max(ya, yy)),
        })),
      ],
    },
    width: 640,
    height: 470,
  });
}
