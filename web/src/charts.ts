// The page's plots: Apache ECharts (the library the project's reports use), only the parts drawn here.
import { LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, ScatterChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

export type Chart = echarts.ECharts;

const CURVES = ['majority train', 'minority train', 'majority test', 'minority test'];
const CURVE_STYLE = [
  { color: '#2b6cb0', type: 'dashed' }, { color: '#c05621', type: 'dashed' },
  { color: '#2b6cb0', type: 'solid' }, { color: '#c05621', type: 'solid' },
] as const;

export function curveChart(el: HTMLElement, steps: number): Chart {
  const chart = echarts.init(el);
  chart.setOption({
    animation: false,
    title: { text: 'accuracy while training', left: 'center', textStyle: { fontSize: 12 } },
    legend: { bottom: 0, itemWidth: 18, textStyle: { fontSize: 11 } },
    grid: { left: 40, right: 12, top: 36, bottom: 48 },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 20, min: 0, max: steps },
    yAxis: { type: 'value', min: 0, max: 1 },
    tooltip: { trigger: 'axis' },
    series: CURVES.map((name, i) => ({
      name, type: 'line', showSymbol: false, data: [],
      lineStyle: { color: CURVE_STYLE[i].color, type: CURVE_STYLE[i].type }, itemStyle: { color: CURVE_STYLE[i].color },
    })),
  });
  return chart;
}

/** points: [step, majority train, minority train, majority test, minority test] per evaluation. */
export function updateCurves(chart: Chart, points: readonly number[][]): void {
  chart.setOption({ series: CURVES.map((_, i) => ({ data: points.map((p) => [p[0], p[i + 1]]) })) });
}

const GROUP_NAMES = ['y = 0, majority', 'y = 0, minority', 'y = 1, minority', 'y = 1, majority'];
const GROUP_COLORS = ['#90b4dc', '#1a4e8a', '#b3261e', '#f0a79e'];

export function boundaryChart(el: HTMLElement, x0: Float32Array, x1: Float32Array, groups: Int32Array): Chart {
  const chart = echarts.init(el);
  const byGroup = GROUP_NAMES.map(() => [] as number[][]);
  for (let i = 0; i < x0.length; i++) byGroup[groups[i]].push([x0[i], x1[i]]);
  chart.setOption({
    animation: false,
    title: { text: 'decision boundary on test points (core x_y, spurious x_a)', left: 'center', textStyle: { fontSize: 12 } },
    legend: { bottom: 0, itemWidth: 10, textStyle: { fontSize: 11 } },
    grid: { left: 40, right: 12, top: 36, bottom: 48 },
    xAxis: { type: 'value', min: -1.6, max: 1.6, name: 'x_y', nameLocation: 'middle', nameGap: 20 },
    yAxis: { type: 'value', min: -8, max: 8 },
    series: [
      ...GROUP_NAMES.map((name, g) => ({ name, type: 'scatter', symbolSize: 3, data: byGroup[g], itemStyle: { color: GROUP_COLORS[g] } })),
      { name: 'boundary', type: 'line', data: [], showSymbol: false, lineStyle: { color: '#111', width: 2 }, itemStyle: { color: '#111' } },
    ],
  });
  return chart;
}

/** The line w0·x_y + w1·x_a = 0 (noise coordinates at 0), clipped to the plot. */
export function updateBoundary(chart: Chart, [w0, w1]: [number, number]): void {
  let line: number[][];
  if (Math.abs(w1) * 1.6 > Math.abs(w0) * 8 * 1e-3 && Math.abs(w1) > 1e-12) {
    line = [-1.6, 1.6].map((x) => [x, -(w0 / w1) * x]).map(([x, y]) => {
      const yc = Math.max(-8, Math.min(8, y));
      return [y === yc ? x : -(w1 / w0) * yc, yc];
    });
  } else {
    line = [[0, -8], [0, 8]];
  }
  chart.setOption({ series: [...GROUP_NAMES.map(() => ({})), { data: line }] });
}
