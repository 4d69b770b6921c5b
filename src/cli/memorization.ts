// `mat memorization`: per-example memorization scores of each method's own training (K-fold), per
// group; --json prints the summary, --out DIR saves it with the per-example scores and report.html.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkRunRequest, getAlgorithm } from '../algorithms/registry.js';
import type { Dataset } from '../data/dataset.js';
import { groupsOf } from '../data/dataset.js';
import { resolveDataset, type FileFlags } from '../experiments/datasets.js';
import {
  checkMemorizationRequest, methodMemorization, type MemorizationRun, type MemorizationStop,
} from '../experiments/memorization.js';
import { presetFor } from '../experiments/presets.js';
import type { HeldOutResult } from '../heldout/types.js';
import { heldOutFor } from '../experiments/method.js';
import { writeHtmlReport } from '../report/write.js';
import { memorizationHtmlReport, memorizationResult, memorizationTableRows, MEMORIZATION_TABLE_HEADERS, type MemorizationResult } from '../report/memorization.js';
import { csvTable, markdownTable } from '../report/table.js';
import { InputError } from '../util/errors.js';
import { makeProgress, printNote } from './progress.js';

export interface MemorizationFlags extends FileFlags {
  data: string;
  methods: string;
  folds: number;
  seeds: number;
  steps?: number;
  stop?: MemorizationStop;
  cache: string | false;
  json?: boolean;
  out?: string;
  quiet?: boolean;
}

export async function memorizationCommand(flags: MemorizationFlags): Promise<void> {
  const methods = flags.methods.split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
  if (methods.length === 0) throw new InputError('--methods: give at least one method, e.g. erm,mat');
  for (const m of methods) checkMemorizationRequest(m, flags.folds);
  const ds = await resolveDataset({ ...flags, seed: 0 }, { onNote: printNote });
  // Methods that need the training attribute are refused now, not after the first seeds.
  for (const m of methods) checkRunRequest(getAlgorithm(m), ds);
  const stop: MemorizationStop = flags.stop ?? (ds.name === 'fig1' ? 'final' : 'va_wga');
  if (!ds.train.a) process.stderr.write('mat memorization: the data has no attribute (--attr), so the groups are the classes\n');
  const preset = presetFor(ds);
  if (flags.steps !== undefined) { preset.train.steps = flags.steps; preset.xrm.steps = flags.steps; }
  const progress = makeProgress({ quiet: flags.quiet || flags.json });
  const t0 = performance.now();
  const runs = new Map<string, MemorizationRun[]>(methods.map((m) => [m, []]));
  for (let seed = 0; seed < flags.seeds; seed++) {
    let heldOut: HeldOutResult | undefined;
    for (const method of methods) {
      if (getAlgorithm(method).needsHeldOut && !heldOut) {
        heldOut = await heldOutFor(ds, preset, seed, { cacheDir: flags.cache || undefined, onStep: (t, total, phase) => progress.update(t, total, `seed ${seed} ${phase}`) });
      }
      const run = await methodMemorization(ds, preset, method, {
        seed, folds: flags.folds, stop, heldOut,
        onStep: (t, total, phase) => progress.update(t, total, `seed ${seed} ${phase}`),
      });
      runs.get(method)!.push(run);
      progress.log(`seed ${seed} ${method}: ${run.steps} steps, mean score ${mean(run.scores).toFixed(3)}`);
    }
  }
  progress.stop();
  const result = summarize(ds, { ...flags, stop }, runs, (performance.now() - t0) / 1000);
  if (flags.out) await save(flags.out, ds, result, runs);
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  console.log(`# Memorization scores: ${ds.name}, ${flags.folds} folds, ${flags.seeds} seed(s), ${result.seconds.toFixed(1)} s\n`);
  console.log(markdownTable(MEMORIZATION_TABLE_HEADERS, memorizationTableRows(result), { digits: [undefined, undefined, 0, 3, 3, 3, 3] }));
  for (const [method, m] of Object.entries(result.methods)) {
    console.log(`${method}: minority mean ${fmt(m.minorityMean)}, majority mean ${fmt(m.majorityMean)} (per seed)`);
  }
  if (flags.out) console.log(`\nreport: ${join(flags.out, 'report.html')}`);
}

const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
const fmt = (v: number[]) => v.map((x) => x.toFixed(3)).join(', ');

function summarize(ds: Dataset, flags: MemorizationFlags & { stop: MemorizationStop }, runs: Map<string, MemorizationRun[]>, seconds: number): MemorizationResult {
  return memorizationResult(ds, { folds: flags.folds, seeds: Array.from({ length: flags.seeds }, (_, s) => s), stop: flags.stop, seconds }, runs);
}

async function save(dir: string, ds: Dataset, result: MemorizationResult, runs: Map<string, MemorizationRun[]>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const groups = groupsOf(ds.train, ds.numAttributes);
  const a = ds.train.a;
  const rows = [...runs.values()].flat().flatMap((r) => Array.from(r.scores, (score, i) => [r.method, r.seed, i, ds.train.y[i], a ? a[i] : 0, groups[i], r.foldOf[i], r.heldIn[i], r.heldOut[i], score]));
  await writeFile(join(dir, 'scores.csv'), csvTable(['method', 'seed', 'row', 'y', 'a', 'group', 'fold', 'p_held_in', 'p_held_out', 'score'], rows));
  await writeFile(join(dir, 'memorization.json'), JSON.stringify(result, null, 2) + '\n');
  writeHtmlReport(dir, memorizationHtmlReport(result));
}
