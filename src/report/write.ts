// Writing a report: report.html, and each figure as figures/<id>.svg beside it (for slides, papers
// and READMEs).
import fs from 'node:fs';
import path from 'node:path';
import { renderHtml, type HtmlReport } from './html.js';

export const REPORT_HTML = 'report.html';

/** Write report.html and figures/*.svg into `dir`; returns the path of report.html. */
export function writeHtmlReport(dir: string, report: HtmlReport): string {
  const figuresDir = path.join(dir, 'figures');
  fs.mkdirSync(figuresDir, { recursive: true });
  for (const figure of report.sections.flatMap((s) => s.figures ?? [])) {
    fs.writeFileSync(path.join(figuresDir, `${figure.id}.svg`), figure.svg);
  }
  const file = path.join(dir, REPORT_HTML);
  // Written last and renamed into place, so a reader never sees half a page.
  fs.writeFileSync(`${file}.tmp`, renderHtml(report));
  fs.renameSync(`${file}.tmp`, file);
  return file;
}
