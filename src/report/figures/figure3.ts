// The paper's Figure 3: good, bad and ugly memorization. The functions fitted with example-specific
// coordinates of scale σ, against the true function and the training points.
import { panels, renderFigure, type Figure } from './render.js';

export interface Figure3Fit {
  label: string;
  /** The fitted function on the grid. */
  prediction: number[];
}

export interface Figure3Input {
  grid: number[];
  truth: number[];
  trainX: number[];
  trainY: number[];
  fits: Figure3Fit[];
}

export function figure3(input: Figure3Input): Figure {
  const { grid, title } = panels(input.fits.map((f) => f.label));
  const line = (ys: readonly number[]) => input.grid.map((x, i) => [x, ys[i]]);
  const series = input.fits.flatMap((f, i) => [
    { name: 'true function', type: 'line', xAxisIndex: i, yAxisIndex: i, showSymbol: false, lineStyle: { color: '#bab0ac', width: 3 }, itemStyle: { color: '#bab0ac' }, data: line(input.truth) },
    { name: 'fitted function', type: 'line', xAxisIndex: i, yAxisIndex: i, showSymbol: false, lineStyle: { color: '#4e79a7', width: 1.5 }, itemStyle: { color: '#4e79a7' }, data: line(f.prediction) },
    { name: 'training points', type: 'scatter', xAxisIndex: i, yAxisIndex: i, symbolSize: 6, itemStyle: { color: '#e15759' }, data: input.trainX.map((x, j) => [x, input.trainY[j]]) },
  ]);
  return renderFigure({
    id: 'fig3-fits',
    title: 'Figure 3: good, bad and ugly memorization',
    caption: 'A 31-300-300-1 tanh network fitted to 20 noisy points until the training loss is below 1e-6, with example-specific coordinates of scale σ: with tiny ones it fits the noise through them and still learns the function (good); with larger ones it fits every point through its own coordinates and learns too little of the function (bad); without them it bends the function itself through every point (ugly).',
    option: {
      title: [{ text: 'Fitted functions', left: 'center', textStyle: { fontSize: 14 } }, ...title],
      legend: { bottom: 0 },
      grid,
      xAxis: input.fits.map((_, i) => ({ type: 'value', gridIndex: i, min: -1.5, max: 1.5, name: 'x', nameLocation: 'middle', nameGap: 24 })),
      yAxis: input.fits.map((_, i) => ({ type: 'value', gridIndex: i, min: -1, max: 1, name: i === 0 ? 'y' : '' })),
      series,
    },
    width: 960,
    height: 340,
  });
}
