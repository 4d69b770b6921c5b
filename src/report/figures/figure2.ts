// The paper's Figure 2: memorization-score distributions per group, one box per method side by side.
import type { GroupMemorization } from '../../experiments/memorization.js';
import { renderFigure, type Figure } from './render.js';

export interface Figure2Input {
  /** Dataset name, for the title and the element id. */
  dataset: string;
  /** Per method (in display order), its groups' summaries. */
  methods: { method: string; groups: GroupMemorization[] }[];
  classNames?: string[];
  attributeNames?: string[];
}

const q = (g: GroupMemorization, p: string) => g.quantiles[p] ?? 0;

export function groupLabel(g: Pick<GroupMemorization, 'y' | 'a' | 'minority'>): string {
  return `y=${g.y}, a=${g.a}${g.minority ? ' (minority)' : ''}`;
}

export function figure2(input: Figure2Input): Figure {
  const groups = input.methods[0]?.groups ?? [];
  const categories = groups.map(groupLabel);
  const series = input.methods.flatMap((m) => [
    {
      name: m.method.toUpperCase(), type: 'boxplot', boxWidth: [8, 28],
      // Whiskers at the 10th and 90th percentiles, box at the quartiles, line at the median.
      data: groups.map((g0) => { const g = m.groups.find((x) => x.group === g0.group)!; return [q(g, '0.1'), q(g, '0.25'), q(g, '0.5'), q(g, '0.75'), q(g, '0.9')]; }),
    },
  ]);
  return renderFigure({
    id: `fig2-${input.dataset.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    title: `Figure 2: memorization scores per group, ${input.dataset}`,
    caption: `Distribution of per-example memorization scores p(y|x, trained with x) − p(y|x, trained without x) on ${input.dataset}'s training set per group (box: quartiles and median; whiskers: 10th and 90th percentiles); the paper finds that ERM\'s memorization sits in the minority groups and that MAT lowers it.`,
    option: {
      title: { text: `Memorization scores per group: ${input.dataset}`, left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 70 },
      xAxis: { type: 'category', data: categories },
      yAxis: { type: 'value', name: 'memorization score', nameLocation: 'middle', nameGap: 40 },
      series,
    },
    width: 760,
    height: 380,
  });
}
