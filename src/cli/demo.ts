// `mat demo`: the paper in miniature on built-in data. Figure 1 (ERM without and with noise,
// MAT with noise) and ColorMNIST (ERM, JTT, GroupDRO, XRM+GroupDRO, MAT), a table on stdout,
// and a results folder (JSON + Markdown) written atomically: an interrupted demo leaves the
// previous folder untouched and no partial results under the final name.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getAlgorithm } from '../algorithms/registry.js';
import { loadBuiltin } from '../data/builtin.js';
import type { Dataset } from '../data/dataset.js';
import { selectStep, summarizeSeeds } from '../eval/selection.js';
import { formatMeanStd, markdownTable } from '../report/table.js';
import { runMethod, xrmFor, type MethodRun } from '../experiments/method.js';
import type { CurvePoint } from '../train/loop.js';
import { presetFor } from '../experiments/presets.js';
import { makeProgress, type Progress } from './progress.js';
import { splitSummary } from './train.js';

export interface DemoFlags {
  only?: 'fig1' | 'cmnist' | 'embeddings';
  seeds?: number;
  out: string;
  json?: boolean;
  quiet?: boolean;
}

export interface DemoRecord {
  experiment: string;
  method: string;
  seed: number;
  /** 'final' (the last step) or the selection criterion that picked the step. */
  selection: string;
  step: number;
  test_avg_acc: number;
  test_wga: number;
  test_group_acc: (number | null)[];
  test_group_counts: number[];
  test_majority_acc?: number;
  test_minority_acc?: number;
  flip_rate?: number;
  seconds: number;
}

interface Experiment {
  name: string;
  title: string;
  /** Methods: label, dataset options, algorithm, hyperparameters. */
  methods: { label: string; noise?: number; algorithm: string; hparams?: Record<string, number | string> }[];
  dataset(seed: number, noise?: number): Dataset;
  /** How the reported step is chosen. */
  selection: 'final' | 'va_wga';
}

const EXPERIMENTS: Experiment[] = [
  {
    name: 'fig1',
    title: 'Figure 1: linear model, 1,800 dimensions, 99 minority training points',
    methods: [
      { label: 'ERM, noise 0', noise: 0, algorithm: 'erm' },
      { label: 'ERM, noise 0.5', noise: 0.5, algorithm: 'erm' },
      { label: 'MAT, noise 0.5, τ = 0.1', noise: 0.5, algorithm: 'mat', hparams: { tau: 0.1 } },
    ],
    dataset: (seed, noise) => loadBuiltin('fig1', { seed, noise: noise ?? 0.5 }),
    selection: 'final',
  },
  {
    name: 'cmnist',
    title: 'ColorMNIST: MLP 392-390-390-2, groups (label, colour), step selected by validation worst-group accuracy',
    methods: [
      { label: 'ERM', algorithm: 'erm' },
      { label: 'JTT', algorithm: 'jtt' },
      { label: 'GroupDRO (true groups)', algorithm: 'groupdro' },
      { label: 'XRM + GroupDRO', algorithm: 'xrm+groupdro' },
      { label: 'MAT', algorithm: 'mat' },
    ],
    dataset: (seed) => loadBuiltin('cmnist', { seed }),
    selection: 'va_wga',
  },
  {
    name: 'embeddings',
    title: 'Spurious embeddings (Waterbirds-shaped): linear head, step selected by validation worst-group accuracy',
    methods: [
      { label: 'ERM', algorithm: 'erm' },
      { label: 'XRM + GroupDRO', algorithm: 'xrm+groupdro' },
      { label: 'MAT', algorithm: 'mat' },
    ],
    dataset: (seed) => loadBuiltin('embeddings', { seed }),
    selection: 'va_wga',
  },
];

export async function demoCommand(flags: DemoFlags): Promise<void> {
  const seeds = flags.seeds ?? 3;
  const experiments = EXPERIMENTS.filter((e) => (flags.only ? e.name === flags.only : e.name !== 'embeddings'));
  const progress = makeProgress({ quiet: flags.quiet });
  const partial = `${flags.out}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const records: DemoRecord[] = [];
  const t0 = performance.now();
  try {
    for (const exp of experiments) {
      progress.log(`== ${exp.title}`);
      for (let seed = 0; seed < seeds; seed++) {
        records.push(...(await runExperimentSeed(exp, seed, flags, progress, partial)));
      }
    }
    progress.stop();
    const report = renderReport(records, experiments, seeds, (performance.now() - t0) / 1000);
    await writeFile(join(partial, 'summary.json'), JSON.stringify(records, null, 2));
    await writeFile(join(partial, 'report.md'), report);
    await rm(flags.out, { recursive: true, force: true });
    await rename(partial, flags.out);
    if (flags.json) console.log(JSON.stringify(records));
    else console.log(`${report}\nresults: ${flags.out}/report.md, ${flags.out}/summary.json`);
  } catch (err) {
    progress.stop();
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

async function runExperimentSeed(exp: Experiment, seed: number, flags: DemoFlags, progress: Progress, dir: string): Promise<DemoRecord[]> {
  const out: DemoRecord[] = [];
  // One XRM run per dataset variant and seed, shared by the methods that need held-out predictions.
  const heldOutCache = new Map<string, Awaited<ReturnType<typeof xrmFor>>>();
  for (const method of exp.methods) {
    const ds = exp.dataset(seed, method.noise);
    const preset = presetFor(ds, { noise: method.noise });
    const onStep = (t: number, total: number, phase: string) => progress.update(t, total, `${exp.name} seed ${seed} ${method.label} [${phase}]`);
    const started = performance.now();
    let heldOut = heldOutCache.get(String(method.noise));
    if (getAlgorithm(method.algorithm).needsHeldOut && !heldOut) {
      heldOut = await xrmFor(ds, preset, seed, { onStep });
      heldOutCache.set(String(method.noise), heldOut);
    }
    const run = await runMethod(ds, preset, method.algorithm, seed, { hparams: method.hparams, heldOut, onStep });
    await run.result.classifier.dispose();
    const seconds = (performance.now() - started) / 1000;
    const point = exp.selection === 'final' ? run.final : selectStep(run.curve, 'va_wga') as CurvePoint;
    const record = toRecord(exp, method.label, ds, run, point, seconds);
    out.push(record);
    const file = `${exp.name}-${method.label.replace(/[^A-Za-z0-9.]+/g, '_')}-seed${seed}.jsonl`;
    await writeFile(join(dir, file), run.curve.map((p) => JSON.stringify(p)).join('\n') + '\n');
    progress.log(`${exp.name} seed ${seed} ${method.label.padEnd(24)} test avg ${record.test_avg_acc.toFixed(3)}  worst-group ${record.test_wga.toFixed(3)}  (${seconds.toFixed(1)} s)`);
  }
  return out;
}

function toRecord(exp: Experiment, label: string, ds: Dataset, run: MethodRun, point: CurvePoint, seconds: number): DemoRecord {
  const s = splitSummary(ds, point.test);
  return {
    experiment: exp.name,
    method: label,
    seed: run.seed,
    selection: exp.selection,
    step: point.step,
    test_avg_acc: point.test.avgAcc,
    test_wga: point.test.worstGroupAcc,
    test_group_acc: point.test.groupAcc,
    test_group_counts: point.test.groupCounts,
    test_majority_acc: s.majority,
    test_minority_acc: s.minority,
    flip_rate: run.heldOut?.flipRate,
    seconds: Math.round(seconds * 100) / 100,
  };
}

function renderReport(records: DemoRecord[], experiments: Experiment[], seeds: number, seconds: number): string {
  const parts = [`# mat demo\n\n${seeds} seed(s) per method; test accuracy in %, mean ± std over seeds [min–max of worst-group]. Total ${seconds.toFixed(0)} s.\n`];
  for (const exp of experiments) {
    const rows = exp.methods.map((m) => {
      const rs = records.filter((r) => r.experiment === exp.name && r.method === m.label);
      const avg = summarizeSeeds(rs.map((r) => r.test_avg_acc));
      const wga = summarizeSeeds(rs.map((r) => r.test_wga));
      const row: (string | number)[] = [m.label, formatMeanStd(avg.mean, avg.std, 1, { percent: true }), `${formatMeanStd(wga.mean, wga.std, 1, { percent: true })} [${(wga.min * 100).toFixed(1)}–${(wga.max * 100).toFixed(1)}]`];
      if (exp.name === 'fig1') {
        const maj = summarizeSeeds(rs.map((r) => r.test_majority_acc ?? NaN));
        const min = summarizeSeeds(rs.map((r) => r.test_minority_acc ?? NaN));
        row.push(formatMeanStd(maj.mean, maj.std, 1, { percent: true }), formatMeanStd(min.mean, min.std, 1, { percent: true }));
      }
      return row;
    });
    const headers = ['method', 'test average', 'test worst-group'];
    if (exp.name === 'fig1') headers.push('test majority', 'test minority');
    parts.push(`## ${exp.title}\n\n${markdownTable(headers, rows)}\n`);
  }
  return parts.join('\n');
}
