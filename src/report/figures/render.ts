// Charts drawn by Apache ECharts and rendered to SVG strings in Node (server-side rendering: no DOM,
// no browser, no network). Every figure of the reports goes through renderFigure.
import * as echarts from 'echarts';

/** A rendered chart, with what a reader (and a test) needs to know about it. */
export interface Figure {
  /** Stable id, also the HTML element id. */
  id: string;
  title: string;
  /** One sentence: what the figure shows. */
  caption: string;
  /** The chart as an SVG document string. */
  svg: string;
  /** The names of the series drawn (legend entries). */
  series: string[];
}

export interface FigureSpec {
  id: string;
  title: string;
  caption: string;
  option: echarts.EChartsCoreOption;
  width?: number;
  height?: number;
}

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function renderFigure(spec: FigureSpec): Figure {
  const width = spec.width ?? 760;
  const height = spec.height ?? 360;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    const legend = spec.option.legend && !Array.isArray(spec.option.legend) ? { itemGap: 18, ...(spec.option.legend as object) } : spec.option.legend;
    chart.setOption({ animation: false, backgroundColor: '#ffffff', color: PALETTE, textStyle: { fontFamily: 'sans-serif' }, ...spec.option, legend });
    const seriesOption = (spec.option.series ?? []) as { name?: string }[];
    const series = [...new Set(seriesOption.map((s) => s.name).filter((n): n is string => typeof n === 'string'))];
    return { id: spec.id, title: spec.title, caption: spec.caption, svg: chart.renderToSVGString(), series };
  } finally {
    chart.dispose();
  }
}

/** `count` side-by-side grids (panels) with their titles, for multi-panel figures. */
export function panels(titles: readonly string[], opts: { top?: number; bottom?: number; gap?: number } = {}) {
  const count = titles.length;
  const gap = opts.gap ?? 5;
  const left = 6;
  const width = (100 - left - 2 - gap * (count - 1)) / count;
  const grid = titles.map((_, i) => ({ left: `${left + i * (width + gap)}%`, width: `${width}%`, top: opts.top ?? 70, bottom: opts.bottom ?? 64 }));
  const title = titles.map((text, i) => ({ text, left: `${left + i * (width + gap) + width / 2}%`, top: 38, textAlign: 'center', textStyle: { fontSize: 12, fontWeight: 'normal' } }));
  return { grid, title };
}
