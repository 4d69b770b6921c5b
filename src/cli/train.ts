// `mat train`: one algorithm on one dataset and seed; prints accuracy per group on train and test.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { builtinDatasets } from '../data/builtin.js';
import type { Evaluation } from '../eval/metrics.js';
import { selectStep } from '../eval/selection.js';
import { runHtmlReport } from '../report/run.js';
import { markdownTable } from '../report/table.js';
import { writeHtmlReport } from '../report/write.js';
import { fit } from '../experiments/fit.js';
import { describeData, resolveDataset } from '../experiments/datasets.js';
import { makeProgress, printNote } from './progress.js';
import { getAlgorithm, type HParamValue } from '../algorithms/registry.js';
import { checkFeatureScaling } from '../data/standardize.js';
import { convergenceOf } from '../eval/convergence.js';
import { formatDiagnostics } from '../heldout/diagnostics.js';
import { getHeldOutSource } from '../heldout/registry.js';
import { InputError } from '../util/errors.js';

export interface TrainFlags {
  data: string;
  label?: string;
  attr?: string;
  split?: string;
  embeddings?: string;
  backbone?: string;
  tokenizer?: string;
  noise?: number;
  algorithm: string;
  seed: number;
  steps?: number;
  lr?: number;
  batchSize?: number | 'full';
  hparam: Record<string, HParamValue>;
  out?: string;
  cache: string | false;
  json?: boolean;
  quiet?: boolean;
  /** Held-out source ('xrm' or 'kfold') and K-fold's folds. */
  heldout?: string;
  folds?: number;
  /** Linear heads' feature scaling ('standard' or 'none'). */
  scale?: string;
}

/** fit()'s heldOut option from --heldout and --folds. */
function heldOutOption(flags: TrainFlags): { source: string; folds?: number } | undefined {
  if (flags.folds !== undefined && flags.heldout !== 'kfold') throw new InputError('--folds applies to --heldout kfold');
  if (flags.heldout === undefined) return undefined;
  getHeldOutSource(flags.heldout);
  return flags.folds !== undefined ? { source: flags.heldout, folds: flags.folds } : { source: flags.heldout };
}

export async function trainCommand(flags: TrainFlags): Promise<void> {
  const heldOut = heldOutOption(flags);
  const scale = flags.scale === undefined ? undefined : checkFeatureScaling(flags.scale);
  const ds = await resolveDataset({ ...flags, scale }, { onNote: printNote });
  const progress = makeProgress({ quiet: flags.quiet || flags.json });
  const t0 = performance.now();
  const clf = await fit(ds, {
    method: flags.algorithm,
    hparams: flags.hparam,
    heldOut,
    seed: flags.seed,
    preset: { noise: flags.noise, scale },
    steps: flags.steps,
    lr: flags.lr,
    batchSize: flags.batchSize,
    evalTrain: true,
    keepBest: 'va_wga',
    cacheDir: flags.cache || undefined,
    onProgress: (t, total, phase) => progress.update(t, total, phase),
  });
  progress.stop();
  const seconds = (performance.now() - t0) / 1000;
  const final = clf.curve[clf.curve.length - 1];
  // The paper's protocol reports the step with the best validation worst-group accuracy; the
  // tables are the final step's, so both are shown (and both models saved).
  const selected = selectStep(clf.curve, 'va_wga');
  const best = clf.best;
  if (!best || best.step !== selected.step) throw new Error(`internal: the kept parameters are of step ${best?.step}, the selected step is ${selected.step}`);
  const convergence = convergenceOf(clf.curve, 'va_wga');
  const summary = {
    dataset: ds.name,
    algorithm: clf.method,
    seed: flags.seed,
    hparams: clf.hparams,
    steps: final.step,
    seconds: Math.round(seconds * 100) / 100,
    train: final.train ? splitSummary(ds, final.train) : undefined,
    test: splitSummary(ds, final.test),
    flipRate: clf.heldOut?.flipRate,
    heldOut: clf.heldOut?.diagnostics,
    convergence,
    selected: { criterion: 'va_wga', step: selected.step, val: splitSummary(ds, selected.val), test: splitSummary(ds, selected.test) },
  };
  if (flags.out) {
    const s = clf.settings;
    await mkdir(flags.out, { recursive: true });
    await writeFile(join(flags.out, 'config.json'), JSON.stringify({ dataset: ds.name, algorithm: clf.method, seed: flags.seed, hparams: clf.hparams, model: s.model.toJSON(), optimizer: s.optimizer, lr: s.lr, steps: s.steps, batchSize: s.batchSize }, null, 2));
    await writeFile(join(flags.out, 'data.json'), JSON.stringify(describeData(ds, { ...flags, scale }), null, 2));
    await writeFile(join(flags.out, 'results.jsonl'), clf.curve.map((p) => JSON.stringify(p)).join('\n') + '\n');
    await writeFile(join(flags.out, 'run.json'), JSON.stringify(summary, null, 2) + '\n');
    await clf.exportOnnx(join(flags.out, 'model.onnx'));
    await clf.exportOnnx(join(flags.out, 'model-va_wga.onnx'), best.params);
    writeHtmlReport(flags.out, runHtmlReport({ dataset: ds.name, algorithm: clf.method, seed: flags.seed }, clf.curve, summary));
  }
  await clf.dispose();
  if (flags.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  console.log(`${clf.method} on ${ds.name}, seed ${flags.seed}: ${final.step} steps in ${seconds.toFixed(1)} s${clf.heldOut ? ` (${clf.heldOut.source} flip rate ${clf.heldOut.flipRate.toFixed(3)}, held-out accuracy ${clf.heldOut.accuracy.toFixed(3)})` : ''}`);
  const rows: (string | number | null)[][] = [];
  for (const [split, ev] of [['train', final.train], ['test', final.test]] as const) {
    if (!ev) continue;
    const s = splitSummary(ds, ev);
    rows.push([split, s.average, s.worstGroup, s.majority ?? null, s.minority ?? null]);
  }
  console.log(markdownTable(['split', 'average', 'worst group', 'majority (a = y)', 'minority (a ≠ y)'], rows, { digits: 3 }));
  console.log();
  console.log(groupTable(ds, final.test));
  const chosen = summary.selected.test;
  if (clf.heldOut) console.log(`\n${formatDiagnostics(clf.heldOut.diagnostics).join('\n')}`);
  const trainFit = convergence.finalTrainLoss !== undefined ? `final training loss ${convergence.finalTrainLoss.toFixed(3)}, accuracy ${convergence.finalTrainAccuracy!.toFixed(3)}` : '';
  if (trainFit) console.log(`\n${trainFit}`);
  for (const w of convergence.warnings) console.log(`warning: ${w}`);
  console.log(`\nselected by validation worst-group accuracy (va_wga): step ${selected.step}, test average ${chosen.average.toFixed(3)}, worst group ${chosen.worstGroup.toFixed(3)}` +
    (selected.step === final.step ? ' (the final step)' : ` (the tables above are step ${final.step})`));
  if (getAlgorithm(clf.method).usesValidationGroups) {
    console.log(`${clf.method} fits its last layer on the validation groups: its validation accuracy is not a held-out estimate, so the step and model above were not chosen on untouched data (mat report lists it apart)`);
  }
  if (flags.out) {
    console.log(`\nsaved config.json, data.json, results.jsonl, run.json, model.onnx (step ${final.step}) and model-va_wga.onnx (step ${selected.step}) in ${flags.out}`);
    console.log(`report: ${join(flags.out, 'report.html')}`);
  }
}

/**
 * Average, worst-group, and majority/minority accuracy where the attribute's values name the
 * class they point to (the built-in datasets: majority means a = y). For other data the groups
 * are listed one by one instead.
 */
export function splitSummary(ds: Dataset, ev: Evaluation) {
  const out: { average: number; worstGroup: number; majority?: number; minority?: number } = { average: ev.avgAcc, worstGroup: ev.worstGroupAcc };
  const aligned = Object.prototype.hasOwnProperty.call(builtinDatasets, ds.name);
  if (aligned && ds.numAttributes === ds.numClasses) {
    let majCorrect = 0, majCount = 0, minCorrect = 0, minCount = 0;
    ev.groupCounts.forEach((count, g) => {
      const acc = ev.groupAcc[g];
      if (!count || acc === null) return;
      const y = Math.floor(g / ds.numAttributes);
      const a = g % ds.numAttributes;
      if (a === y) { majCorrect += acc * count; majCount += count; }
      else { minCorrect += acc * count; minCount += count; }
    });
    if (majCount) out.majority = majCorrect / majCount;
    if (minCount) out.minority = minCorrect / minCount;
  }
  return out;
}

function groupTable(ds: Dataset, ev: Evaluation): string {
  const rows = ev.groupCounts.map((count, g) => {
    const y = Math.floor(g / ds.numAttributes);
    const a = g % ds.numAttributes;
    return [g, ds.classNames?.[y] ?? y, ds.attributeNames?.[a] ?? a, count, ev.groupAcc[g]];
  });
  return markdownTable(['group', 'y', 'a', 'test count', 'test accuracy'], rows, { digits: [0, 0, 0, 0, 3] });
}
