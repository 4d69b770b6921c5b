// mat report and methods that train on validation groups (DFR): listed in their own block, never
// selected by a validation criterion; each run scored by its own tuning's held-out half.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Evaluation } from '../src/eval/metrics.js';
import { buildReport, readStore, reportCsv, reportMarkdown } from '../src/sweep/report.js';
import { runDir, writeDone, writeJsonAtomic, writeResults, writeSweepConfig } from '../src/sweep/store.js';

function ev(avg: number, wga: number): Evaluation {
  return { n: 100, avgAcc: avg, worstGroupAcc: wga, groupAcc: [wga, avg], groupCounts: [50, 50], worstClassAcc: wga, balancedAcc: avg, classAcc: [wga, avg], classCounts: [50, 50] };
}

function makeRun(root: string, algorithm: string, combo: number, seed: number, curve: unknown[]) {
  const dir = runDir(root, { dataset: 'toy', algorithm, combo, seed });
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path.join(dir, 'config.json'), { hparams: { lr: combo } });
  writeResults(dir, curve);
  writeDone(dir, { status: 'ok', id: `toy/${algorithm}/c${combo}-s${seed}`, finishedAt: '', seconds: 0, steps: 20 });
}

/** A DFR point: validation as measured on the whole set (trained on), and its own selection half. */
function dfrPoint(valWga: number, selectionWga: number, testWga: number) {
  return { step: 20, loss: 0.1, val: ev(0.9, valWga), test: ev(0.8, testWga), dfr: { C: 0.1, selection: ev(0.85, selectionWga) } };
}

test('DFR is reported apart and selected by its own tuning half, not by validation accuracy it trained on', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-report-dfr-'));
  try {
    writeSweepConfig(root, { version: 1, datasets: [{ kind: 'builtin', key: 'toy', name: 'toy' }], algorithms: ['erm', 'dfr'], combos: 2, seeds: 2 });
    for (const seed of [0, 1]) {
      makeRun(root, 'erm', 0, seed, [{ step: 20, loss: 0.1, val: ev(0.9, 0.5), test: ev(0.9, 0.4) }]);
      // Combination 0 looks best on the validation set it was fitted on; combination 1 on its held-out half.
      makeRun(root, 'dfr', 0, seed, [dfrPoint(0.99, 0.6, 0.7)]);
      makeRun(root, 'dfr', 1, seed, [dfrPoint(0.8, 0.75, 0.85)]);
    }
    const report = buildReport(readStore(root));
    assert.deepEqual(report.methods, ['erm']);
    assert.deepEqual(report.validationTrainedMethods, ['dfr']);
    assert.ok(report.cells.every((c) => c.method !== 'dfr'), 'DFR appears under a validation criterion');
    const cell = report.validationTrained.find((c) => c.method === 'dfr' && c.dataset === 'toy')!;
    assert.equal(cell.combo, 1);
    assert.equal(cell.criterionMean, 0.75);
    assert.equal(cell.testWorstGroup!.mean, 0.85);
    const md = reportMarkdown(report);
    assert.match(md, /## Validation groups used for training/);
    const criteriaBlocks = md.split('## Validation groups used for training')[0];
    assert.ok(!/\| dfr /.test(criteriaBlocks), 'dfr in a criterion table');
    assert.match(reportCsv(report), /own tuning \(val groups used for training\),toy,dfr,1/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
