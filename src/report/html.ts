// One self-contained HTML report: figures inline as SVG, tables, a sentence per figure. No script,
// no stylesheet or font from the network: the file opens from disk anywhere.
import type { Cell } from './table.js';
import type { Figure } from './figures/render.js';

export interface HtmlTable {
  caption?: string;
  headers: string[];
  rows: Cell[][];
  /** Digits for numbers, per column; without, integers print as they are and others with 3. */
  digits?: (number | undefined)[];
}

export interface HtmlSection {
  title: string;
  text?: string;
  /** Short lines shown as a list under the text. */
  list?: string[];
  figures?: Figure[];
  tables?: HtmlTable[];
}

export interface HtmlReport {
  title: string;
  intro?: string;
  sections: HtmlSection[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function cellText(v: Cell, digits: number | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return !Number.isFinite(v) || (digits === undefined && Number.isInteger(v)) ? String(v) : v.toFixed(digits ?? 3);
  return v;
}

function tableHtml(t: HtmlTable): string {
  const head = t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(cellText(c, t.digits?.[i]))}</td>`).join('')}</tr>`).join('\n');
  return `<table>${t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function figureHtml(f: Figure): string {
  // data-series lists what the chart draws, so a reader of the file (or a test) can check it.
  return `<figure id="${escapeHtml(f.id)}" data-figure="${escapeHtml(f.id)}" data-series="${escapeHtml(JSON.stringify(f.series))}">
${f.svg}
<figcaption><strong>${escapeHtml(f.title)}.</strong> ${escapeHtml(f.caption)}</figcaption>
</figure>`;
}

const STYLE = `body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444;margin-top:.3em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:bold;margin-bottom:.3em}`;

export function renderHtml(report: HtmlReport): string {
  const sections = report.sections.map((s) => [
    `<section><h2>${escapeHtml(s.title)}</h2>`,
    s.text ? `<p>${escapeHtml(s.text)}</p>` : '',
    s.list?.length ? `<ul>${s.list.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '',
    ...(s.tables ?? []).map(tableHtml),
    ...(s.figures ?? []).map(figureHtml),
    '</section>',
  ].filter(Boolean).join('\n'));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body><h1>${escapeHtml(report.title)}</h1>
${report.intro ? `<p>${escapeHtml(report.intro)}</p>` : ''}
${sections.join('\n')}
</body></html>
`;
}
