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
import { methodMemorization, type MemorizationRun } from '../experiments/memorization.js';
import { fitFigure3 } from '../experiments/figure3.js';
import { demoHtmlReport, DEMO_FIGURES_FILE, type DemoExperimentFigures, type DemoFigureData } from '../report/demo.js';
import { figure1Curve, type Figure1Boundary, type Figure1Curve, type Figure1Points } from '../report/figures/figure1.js';
import type { Figure3Input } from '../report/figures/figure3.js';
import type { RunCurve } from '../report/figures/runs.js';
import { writeHtmlReport } from '../report/write.js';
import { memorizationResult } from '../report/memorization.js';

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
  /** Methods whose memorization scores the demo computes (the paper's Figure 2). */
  memorization?: string[];
}

/** Memorization scores: folds per method and seed. */
const MEMORIZATION_FOLDS = 5;

/** What the demo collects for its figures while it runs. */
interface FigureCollector {
  fig1Curves: Figure1Curve[];
  fig1Boundaries: Figure1Boundary[];
  fig1Points?: Figure1Points;
  runCurves: Map<string, RunCurve[]>;
  memorization: Map<string, Map<string, MemorizationRun[]>>;
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
    memorization: ['erm', 'mat'],
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
    memorization: ['erm', 'mat'],
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
  const collect: FigureCollector = { fig1Curves: [], fig1Boundaries: [], runCurves: new Map(), memorization: new Map() };
  const t0 = performance.now();
  try {
    for (const exp of experiments) {
      progress.log(`== ${exp.title}`);
      for (let seed = 0; seed < seeds; seed++) {
        records.push(...(await runExperimentSeed(exp, seed, flags, progress, partial, collect)));
      }
    }
    const fig3 = experiments.some((e) => e.name === 'fig1') ? await figure3Fits(progress) : undefined;
    progress.stop();
    const seconds = (performance.now() - t0) / 1000;
    const report = renderReport(records, experiments, seeds, seconds);
    const figures = figureData(records, experiments, seeds, seconds, collect, fig3);
    await writeFile(join(partial, 'summary.json'), JSON.stringify(records, null, 2));
    await writeFile(join(partial, 'report.md'), report);
    await writeFile(join(partial, DEMO_FIGURES_FILE), JSON.stringify(figures));
    writeHtmlReport(partial, demoHtmlReport(figures));
    await rm(flags.out, { recursive: true, force: true });
    await rename(partial, flags.out);
    // The last line says where to look (on stderr with --json, whose stdout is the records).
    const reportLine = `report: ${join(flags.out, 'report.html')}`;
    if (flags.json) {
      console.log(JSON.stringify(records));
      console.error(reportLine);
    } else {
      console.log(`${report}\nresults: ${flags.out}/report.md, ${flags.out}/summary.json\n${reportLine}`);
    }
  } catch (err) {
    progress.stop();
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

async function runExperimentSeed(exp: Experiment, seed: number, flags: DemoFlags, progress: Progress, dir: string, collect: FigureCollector): Promise<DemoRecord[]> {
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
    const point = exp.selection === 'final' ? run.final : selectStep(run.curve, 'va_wga') as CurvePoint;
    if (seed === 0) await collectFigures(exp, method.label, ds, run, point, collect);
    await run.result.classifier.dispose();
    const seconds = (performance.now() - started) / 1000;
    const record = toRecord(exp, method.label, ds, run, point, seconds);
    out.push(record);
    const file = `${exp.name}-${method.label.replace(/[^A-Za-z0-9.]+/g, '_')}-seed${seed}.jsonl`;
    await writeFile(join(dir, file), run.curve.map((p) => JSON.stringify(p)).join('\n') + '\n');
    progress.log(`${exp.name} seed ${seed} ${method.label.padEnd(24)} test avg ${record.test_avg_acc.toFixed(3)}  worst-group ${record.test_wga.toFixed(3)}  (${seconds.toFixed(1)} s)`);
  }
  for (const method of exp.memorization ?? []) {
    const ds = exp.dataset(seed);
    const started = performance.now();
    const run = await methodMemorization(ds, presetFor(ds), method, {
      // The XRM run of the experiment's one data variant (no noise level), when a method needed one.
      seed, folds: MEMORIZATION_FOLDS, heldOut: heldOutCache.get(String(undefined)),
      onStep: (t, total, phase) => progress.update(t, total, `${exp.name} seed ${seed} memorization ${phase}`),
    });
    if (!collect.memorization.has(exp.name)) collect.memorization.set(exp.name, new Map());
    const byMethod = collect.memorization.get(exp.name)!;
    byMethod.set(method, [...(byMethod.get(method) ?? []), run]);
    progress.log(`${exp.name} seed ${seed} memorization ${method.padEnd(11)} (${MEMORIZATION_FOLDS} folds, ${run.steps} steps, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  return out;
}

/** Seed 0's curves (and, for Figure 1, the decision boundary in the (x_y, x_a) plane). */
async function collectFigures(exp: Experiment, label: string, ds: Dataset, run: MethodRun, point: CurvePoint, collect: FigureCollector): Promise<void> {
  if (exp.name === 'fig1') {
    collect.fig1Curves.push(figure1Curve(label, run.curve, ds.numAttributes));
    // The model is linear without bias: its logits at the unit vectors of x_y and x_a give the line.
    const probe = new Float32Array(2 * ds.dim);
    probe[0] = 1;
    probe[ds.dim + 1] = 1;
    const z = await run.result.classifier.predictor.run(probe, 2);
    collect.fig1Boundaries.push({ label, cy: z[1] - z[0], ca: z[3] - z[2] });
    const { x, y, a } = ds.train;
    const n = y.length;
    collect.fig1Points ??= {
      xy: Array.from({ length: n }, (_, i) => x[i * ds.dim]),
      xa: Array.from({ length: n }, (_, i) => x[i * ds.dim + 1]),
      minority: Array.from({ length: n }, (_, i) => a![i] !== y[i]),
    };
    return;
  }
  const curves = collect.runCurves.get(exp.name) ?? [];
  curves.push({
    method: label,
    steps: run.curve.map((p) => p.step),
    valWorstGroup: run.curve.map((p) => p.val.worstGroupAcc),
    testWorstGroup: run.curve.map((p) => p.test.worstGroupAcc),
    selectedStep: point.step,
  });
  collect.runCurves.set(exp.name, curves);
}

/** Figure 3: the fitted functions for σ = 1e-4, 1e-3 and 0 (seed 0). */
async function figure3Fits(progress: Progress): Promise<Figure3Input> {
  const fits = [];
  let base: Awaited<ReturnType<typeof fitFigure3>> | undefined;
  for (const [sigma, name] of [[1e-4, 'good'], [1e-3, 'bad'], [0, 'ugly']] as const) {
    const started = performance.now();
    const fit = await fitFigure3({ seed: 0, sigma });
    base ??= fit;
    fits.push({ label: `σ = ${sigma} (${name})`, prediction: Array.from(fit.prediction) });
    progress.log(`fig3 σ = ${sigma}: ${fit.steps} steps to training MSE ${fit.finalLoss.toExponential(1)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  const d = base!.data;
  return {
    grid: Array.from(d.xGridCore),
    truth: Array.from(d.yGrid),
    trainX: Array.from(d.trainIndices, (g) => d.xGridCore[g]),
    trainY: Array.from(d.y),
    fits,
  };
}

function figureData(records: DemoRecord[], experiments: Experiment[], seeds: number, seconds: number, collect: FigureCollector, fig3: Figure3Input | undefined): DemoFigureData {
  const out: DemoExperimentFigures[] = experiments.map((exp) => {
    const { headers, rows } = experimentTable(records, exp);
    const fig: DemoExperimentFigures = { experiment: exp.name, title: exp.title, table: { headers, rows: rows.map((r) => r.map(String)) }, curves: collect.runCurves.get(exp.name) };
    const first = records.find((r) => r.experiment === exp.name);
    if (exp.name !== 'fig1' && first) {
      const G = first.test_group_counts.length;
      const ds = exp.dataset(0);
      fig.groupLabels = Array.from({ length: G }, (_, g) => `y=${Math.floor(g / ds.numAttributes)}, a=${g % ds.numAttributes}`);
      fig.groupAcc = exp.methods.map((m) => {
        const rs = records.filter((r) => r.experiment === exp.name && r.method === m.label);
        return { method: m.label, groupAcc: Array.from({ length: G }, (_, g) => { const v = rs.map((r) => r.test_group_acc[g]).filter((x): x is number => x !== null); return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null; }) };
      });
    }
    // One XRM run per seed is shared by the methods that use it: its flip rate, once per seed.
    const flips = new Map<number, number>();
    for (const r of records) if (r.experiment === exp.name && r.flip_rate !== undefined) flips.set(r.seed, r.flip_rate);
    if (exp.name !== 'fig1' && flips.size) fig.flipRates = [...flips].map(([seed, flipRate]) => ({ label: `seed ${seed}`, flipRate }));
    return fig;
  });
  const memorization = [...collect.memorization.entries()].map(([name, runs]) => {
    const ds = experiments.find((e) => e.name === name)!.dataset(0);
    return memorizationResult(ds, { folds: MEMORIZATION_FOLDS, seeds: Array.from({ length: seeds }, (_, s) => s), stop: 'va_wga', seconds: 0 }, runs);
  });
  const fig1 = collect.fig1Points ? { curves: collect.fig1Curves, boundaries: collect.fig1Boundaries, points: collect.fig1Points } : undefined;
  return { seeds, seconds, experiments: out, fig1, fig3, memorization };
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

function experimentTable(records: DemoRecord[], exp: Experiment): { headers: string[]; rows: (string | number)[][] } {
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
  return { headers, rows };
}

function renderReport(records: DemoRecord[], experiments: Experiment[], seeds: number, seconds: number): string {
  const parts = [`# mat demo\n\n${seeds} seed(s) per method; test accuracy in %, mean ± std over seeds [min–max of worst-group]. Total ${seconds.toFixed(0)} s.\n`];
  for (const exp of experiments) {
    const { headers, rows } = experimentTable(records, exp);
    parts.push(`## ${exp.title}\n\n${markdownTable(headers, rows)}\n`);
  }
  return parts.join('\n');
}
