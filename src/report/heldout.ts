// The held-out signal in a report: how well the held-out mistakes (training) and the inferred groups
// (validation) find each class's minority, as a figure and a table, with the plain-words reading.
import type { HeldOutDiagnostics } from '../heldout/diagnostics.js';
import { heldOutSignalBars, type SignalBar } from './figures/runs.js';
import type { HtmlSection } from './html.js';

/** The diagnostics of one held-out run, with what tells it apart (e.g. "seed 1"). */
export interface LabelledDiagnostics {
  label: string;
  diagnostics: HeldOutDiagnostics;
}

const SPLITS = [['train', 'training'], ['val', 'validation']] as const;

const mean = (v: (number | null | undefined)[]): number | null => {
  const x = v.filter((t): t is number => typeof t === 'number');
  return x.length ? x.reduce((s, t) => s + t, 0) / x.length : null;
};

/** A section with the figure (means over the runs), a row per run, split and class, and each run's reading. */
export function heldOutSignalSection(id: string, runs: readonly LabelledDiagnostics[]): HtmlSection {
  const first = runs[0].diagnostics;
  const bars: SignalBar[] = SPLITS.flatMap(([key, name]) => first[key].perClass.map((c, ci) => {
    const rows = runs.map((r) => r.diagnostics[key].perClass[ci]).filter((x) => x !== undefined);
    return { label: `${name}, class ${c.label}`, marked: mean(rows.map((x) => x.errorRate)), precision: mean(rows.map((x) => x.precision)), recall: mean(rows.map((x) => x.recall)) };
  }));
  const rows = runs.flatMap((r) => SPLITS.flatMap(([key, name]) => r.diagnostics[key].perClass.map((c) => [
    r.label, `${name} (${r.diagnostics[key].marks}s)`, c.label, c.count, c.errorRate, c.precision ?? null, c.recall ?? null, c.lift ?? null,
  ])));
  const source = first.source;
  return {
    title: `Held-out signal (${source}): ${id}`,
    text: 'MAT shifts each training example by its held-out prediction, so it helps where the held-out mistakes are the minority groups (the exceptions to the spurious rule), not merely hard or mislabelled examples. Precision: of the marked examples, the fraction in their class\'s training minority; recall: of that minority, the fraction marked.',
    list: runs.map((r) => `${r.label}: flip rate ${r.diagnostics.flipRate.toFixed(3)}, held-out accuracy ${r.diagnostics.heldOutAccuracy.toFixed(3)}; ${r.diagnostics.verdict}`),
    figures: [heldOutSignalBars(id, `Held-out signal against the minority groups: ${id}`, bars)],
    tables: [{
      headers: ['run', 'split (what marks an example)', 'class', 'examples', 'marked', 'minority precision', 'minority recall', 'lift'],
      rows,
      digits: [undefined, undefined, undefined, 0, 3, 3, 3, 2],
    }],
  };
}
