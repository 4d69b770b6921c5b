// Model selection over a hand-made sweep folder: best step per run (ties: later step), best
// combination by the criterion averaged over seeds (ties: validation average accuracy), incomplete
// or diverged combinations left out, XRM run chosen by flip rate (degenerate counts 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Evaluation } from '../src/eval/metrics.js';
import { buildReport, readStore, reportCsv, writeReport } from '../src/sweep/report.js';
import { runDir, writeDone, writeJsonAtomic, writeResults, writeSweepConfig, type DoneRecord } from '../src/sweep/store.js';
import { selectXrmRun } from '../src/sweep/selection.js';

function ev(avg: number, wga: number, wca = wga): Evaluation {
  return { n: 100, avgAcc: avg, worstGroupAcc: wga, groupAcc: [wga, avg], groupCounts: [50, 50], worstClassAcc: wca, balancedAcc: avg, classAcc: [wca, avg], classCounts: [50, 50] };
}

/** One evaluation: validation (avg, wga, wca), test (avg, wga), inferred-group validation wga. */
function point(step: number, val: [number, number, number], testAcc: [number, number], inferredWga = val[1]) {
  return { step, loss: 0.1, val: ev(val[0], val[1], val[2]), test: ev(testAcc[0], testAcc[1]), valInferred: ev(val[0], inferredWga) };
}

function makeRun(root: string, algorithm: string, combo: number, seed: number, done: Partial<DoneRecord>, curve: unknown[] = [], hparams = { lr: combo }) {
  const dir = runDir(root, { dataset: 'toy', algorithm, combo, seed });
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path.join(dir, 'config.json'), { hparams });
  writeResults(dir, curve);
  writeDone(dir, { status: 'ok', id: `toy/${algorithm}/c${combo}-s${seed}`, finishedAt: '', seconds: 0, steps: 20, ...done });
}

function handMadeStore(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-report-'));
  writeSweepConfig(root, { version: 1, datasets: [{ kind: 'builtin', key: 'toy', name: 'toy' }], algorithms: ['xrm', 'erm'], combos: 5, seeds: 2 });
  // combo 0: seed 0 ties at val wga 0.7 on steps 10 and 20 → step 20; seed 1 best 0.6 → mean 0.65, val avg 0.8.
  makeRun(root, 'erm', 0, 0, {}, [point(0, [0.5, 0.5, 0.5], [0.5, 0.5]), point(10, [0.8, 0.7, 0.7], [0.8, 0.6]), point(20, [0.8, 0.7, 0.7], [0.9, 0.65])]);
  makeRun(root, 'erm', 0, 1, {}, [point(10, [0.8, 0.6, 0.6], [0.7, 0.5]), point(20, [0.9, 0.55, 0.95], [0.95, 0.4])]);
  // combo 1: mean val wga 0.65 too, but val avg 0.85 → wins va_wga on the tie.
  makeRun(root, 'erm', 1, 0, {}, [point(10, [0.85, 0.65, 0.65], [0.84, 0.7], 0.1)]);
  makeRun(root, 'erm', 1, 1, {}, [point(10, [0.85, 0.65, 0.65], [0.86, 0.8], 0.1)]);
  // combo 2: one seed only (incomplete); combo 3: a diverged seed. Both look better but are left out.
  makeRun(root, 'erm', 2, 0, {}, [point(10, [0.99, 0.99, 0.99], [0.99, 0.99])]);
  makeRun(root, 'erm', 3, 0, {}, [point(10, [0.99, 0.99, 0.99], [0.99, 0.99])]);
  makeRun(root, 'erm', 3, 1, { status: 'diverged', error: 'training diverged' });
  // combo 4 has an unfinished run (no done.json): ignored.
  fs.mkdirSync(runDir(root, { dataset: 'toy', algorithm: 'erm', combo: 4, seed: 0 }), { recursive: true });
  // XRM: c0 degenerate with the largest flip rate (counts 0), c1 0.1, c2 diverged → c1.
  makeRun(root, 'xrm', 0, 0, { flipRate: 0.3, degenerate: true });
  makeRun(root, 'xrm', 1, 0, { flipRate: 0.1, degenerate: false });
  makeRun(root, 'xrm', 2, 0, { status: 'diverged' });
  return root;
}

test('selection: later step on ties, best seed-averaged criterion, ties by validation average, incomplete combos left out', () => {
  const root = handMadeStore();
  const report = buildReport(readStore(root));
  assert.deepEqual(report.methods, ['erm']);
  const cell = (criterion: string) => report.cells.find((c) => c.criterion === criterion && c.method === 'erm' && c.dataset === 'toy')!;

  const wga = cell('va_wga');
  assert.equal(wga.combo, 1);
  assert.ok(Math.abs(wga.criterionMean! - 0.65) < 1e-12);
  assert.deepEqual(wga.hparams, { lr: 1 });
  assert.ok(Math.abs(wga.testAvg!.mean - 0.85) < 1e-12);
  assert.ok(Math.abs(wga.testWorstGroup!.mean - 0.75) < 1e-12);
  assert.ok(Math.abs(wga.testWorstGroup!.std - Math.sqrt(0.005)) < 1e-12, 'sample std over seeds');
  assert.deepEqual(wga.excluded.map((e) => e.combo), [2, 3]);

  // va_gi_wga: combo 1's inferred-group accuracy is 0.1 → combo 0, whose seed 0 ties on steps 10/20 → step 20.
  const gi = cell('va_gi_wga');
  assert.equal(gi.combo, 0);
  assert.deepEqual(gi.selectedSteps, [20, 10]);
  assert.ok(Math.abs(gi.testAvg!.mean - 0.8) < 1e-12);

  // va_wca: seed 1 of combo 0 reaches 0.95 worst-class at step 20 → mean (0.7 + 0.95) / 2 beats 0.65.
  const wca = cell('va_wca');
  assert.equal(wca.combo, 0);
  assert.deepEqual(wca.selectedSteps, [20, 20]);

  assert.equal(report.xrm.length, 1);
  assert.equal(report.xrm[0].combo, 1);
  assert.equal(report.xrm[0].flipRate, 0.1);
  assert.equal(selectXrmRun([
    { combo: 0, record: { status: 'ok', flipRate: 0.2, degenerate: false } as DoneRecord },
    { combo: 1, record: { status: 'ok', flipRate: 0.2, degenerate: false } as DoneRecord },
  ]), 0, 'ties go to the lower combination');
  fs.rmSync(root, { recursive: true, force: true });
});

test('report files: Markdown tables per criterion, CSV and JSON', () => {
  const root = handMadeStore();
  const { markdown, report } = writeReport(root);
  for (const criterion of ['va_wga', 'va_gi_wga', 'va_wca']) assert.match(markdown, new RegExp(`## Selected by ${criterion}`));
  assert.match(markdown, /\| erm +\| +85\.0 ± 1\.4 \| +75\.0 ± 7\.1 \|/);
  assert.match(markdown, /c2: 1 of 2 seeds finished; c3: diverged on seed 1/);
  const csv = fs.readFileSync(path.join(root, 'report.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 1 + 3);
  assert.match(csv[1], /^va_wga,toy,erm,1,2,/);
  const json = JSON.parse(fs.readFileSync(path.join(root, 'report.json'), 'utf8'));
  assert.equal(json.cells.length, report.cells.length);
  assert.equal(fs.readFileSync(path.join(root, 'report.md'), 'utf8'), markdown);
  assert.equal(reportCsv(report), fs.readFileSync(path.join(root, 'report.csv'), 'utf8'));
  fs.rmSync(root, { recursive: true, force: true });
});
