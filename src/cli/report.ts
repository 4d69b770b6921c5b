// `mat report DIR`: Table-1-style tables of a sweep folder under each selection criterion; with
// --html also report.html, for a sweep, a `mat demo` folder, a `mat memorization --out` or a `mat train --out` folder.
import fs from 'node:fs';
import path from 'node:path';
import { writeReport } from '../sweep/report.js';
import { demoHtmlReport, DEMO_FIGURES_FILE, type DemoFigureData } from '../report/demo.js';
import type { HtmlReport } from '../report/html.js';
import { writeHtmlReport } from '../report/write.js';
import { memorizationHtmlReport, type MemorizationResult } from '../report/memorization.js';
import { runHtmlReport, type RunConfigSummary, type RunSummary } from '../report/run.js';
import { sweepHtmlReport } from '../report/sweep.js';
import type { EvalRecord } from '../eval/selection.js';
import { InputError } from '../util/errors.js';

export interface ReportFlags {
  json?: boolean;
  html?: boolean;
}

/** The files that make a folder of each kind, first the one that identifies it. */
const KINDS = {
  demo: ['summary.json', DEMO_FIGURES_FILE],
  memorization: ['memorization.json'],
  run: ['results.jsonl', 'config.json'],
} as const;

function readJsonFile<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new InputError(`${file}: not readable JSON (${(err as Error).message}); rerun the command that wrote it`);
  }
}

/** The report of a demo or memorization folder, rebuilt from its JSON; undefined for other folders. */
function otherKindReport(dir: string): HtmlReport | undefined {
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (KINDS.demo.some(has) && !has('sweep.json')) {
    const missing = KINDS.demo.filter((f) => !has(f));
    if (missing.length) throw new InputError(`${dir}: an incomplete mat demo folder, missing ${missing.join(' and ')}; rerun mat demo --out ${dir}`);
    return demoHtmlReport(readJsonFile<DemoFigureData>(path.join(dir, DEMO_FIGURES_FILE)));
  }
  if (has('memorization.json')) return memorizationHtmlReport(readJsonFile<MemorizationResult>(path.join(dir, 'memorization.json')));
  if (KINDS.run.some(has)) {
    const missing = KINDS.run.filter((f) => !has(f));
    if (missing.length) throw new InputError(`${dir}: an incomplete mat train folder, missing ${missing.join(' and ')}; rerun mat train --out ${dir}`);
    const lines = fs.readFileSync(path.join(dir, 'results.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    if (!lines.length) throw new InputError(`${path.join(dir, 'results.jsonl')}: no evaluations`);
    const curve = lines.map((l, i) => { try { return JSON.parse(l) as EvalRecord; } catch { throw new InputError(`${path.join(dir, 'results.jsonl')}: line ${i + 1} is not JSON`); } });
    // run.json (the summary `mat train --json` prints) adds the held-out signal and convergence.
    const summary = has('run.json') ? readJsonFile<RunSummary>(path.join(dir, 'run.json')) : {};
    return runHtmlReport(readJsonFile<RunConfigSummary>(path.join(dir, 'config.json')), curve, summary);
  }
  return undefined;
}

export async function reportCommand(dir: string, flags: ReportFlags): Promise<void> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new InputError(`${dir}: no such folder`);
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (!has('sweep.json') && !has('runs')) {
    if (!flags.html) {
      throw new InputError(`${dir}: not a sweep folder, missing sweep.json and runs/${[...KINDS.demo, ...KINDS.memorization, ...KINDS.run].some(has) ? ' (for a demo, memorization or run folder, give --html)' : ''}`);
    }
    const report = otherKindReport(dir);
    if (!report) {
      throw new InputError(`${dir}: not a results folder; expected sweep.json and runs/ (mat sweep), ${KINDS.demo.join(' and ')} (mat demo), ${KINDS.memorization[0]} (mat memorization) or ${KINDS.run.join(' and ')} (mat train --out)`);
    }
    console.log(`report: ${writeHtmlReport(dir, report)}`);
    return;
  }
  const result = writeReport(dir);
  if (flags.html) writeHtmlReport(dir, sweepHtmlReport(result.report, result.store));
  if (flags.json) process.stdout.write(JSON.stringify(result.report) + '\n');
  else process.stdout.write(result.markdown + '\n' + (flags.html ? `\nreport: ${path.join(dir, 'report.html')}\n` : ''));
}
