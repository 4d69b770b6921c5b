import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type EvalRecord,
  type Evaluation,
  criterionValue,
  selectCombination,
  selectStep,
  summarizeSeeds,
} from '../src/eval/index.js';

function evaluation(avgAcc: number, worstGroupAcc: number, worstClassAcc = avgAcc): Evaluation {
  return {
    n: 100,
    avgAcc,
    worstGroupAcc,
    groupAcc: [worstGroupAcc, avgAcc],
    groupCounts: [10, 90],
    worstClassAcc,
    balancedAcc: avgAcc,
    classAcc: [worstClassAcc, avgAcc],
    classCounts: [50, 50],
  };
}

function record(step: number, valAvg: number, valWga: number, extra: Partial<EvalRecord> = {}): EvalRecord {
  return { step, val: evaluation(valAvg, valWga), test: evaluation(valAvg - 0.01, valWga - 0.01), ...extra };
}

test('selectStep picks the best criterion, ties to the later step', () => {
  const curve = [record(0, 0.6, 0.5), record(100, 0.9, 0.7), record(200, 0.8, 0.7), record(300, 0.95, 0.6)];
  assert.equal(selectStep(curve, 'va_wga').step, 200);
  assert.equal(selectStep(curve, 'va_avg').step, 300);
  // Ties are decided by step number, not array order.
  assert.equal(selectStep([curve[2], curve[1]], 'va_wga').step, 200);
});

test('selectStep with va_wca reads worst-class accuracy', () => {
  const curve = [
    { step: 0, val: evaluation(0.9, 0.1, 0.4), test: evaluation(0.9, 0.1) },
    { step: 1, val: evaluation(0.8, 0.2, 0.7), test: evaluation(0.8, 0.2) },
    { step: 2, val: evaluation(0.95, 0.3, 0.6), test: evaluation(0.95, 0.3) },
  ];
  assert.equal(selectStep(curve, 'va_wca').step, 1);
});

test('selectStep with va_gi_wga uses inferred groups and fails clearly without them', () => {
  const curve = [
    record(0, 0.9, 0.9, { valInferred: evaluation(0.9, 0.4) }),
    record(1, 0.9, 0.1, { valInferred: evaluation(0.9, 0.6) }),
  ];
  assert.equal(selectStep(curve, 'va_gi_wga').step, 1);
  assert.throws(() => selectStep([record(5, 0.9, 0.9)], 'va_gi_wga'), /va_gi_wga .*step 5 has no valInferred/);
});

test('selectStep never prefers NaN and rejects an empty curve', () => {
  assert.equal(selectStep([record(0, 0.5, 0.2), record(1, 0.5, NaN)], 'va_wga').step, 0);
  assert.equal(selectStep([record(0, 0.5, NaN), record(1, 0.5, 0.2)], 'va_wga').step, 1);
  assert.throws(() => selectStep([], 'va_wga'), /no evaluations/);
});

test('selectCombination: best criterion, then higher val average, then lower combo', () => {
  const runs = [
    { combo: 0, selected: record(10, 0.85, 0.8) },
    { combo: 1, selected: record(20, 0.9, 0.8) },
    { combo: 2, selected: record(30, 0.95, 0.7) },
  ];
  assert.equal(selectCombination(runs, 'va_wga').combo, 1);
  assert.equal(selectCombination(runs, 'va_avg').combo, 2);
  const fullTie = [
    { combo: 3, selected: record(10, 0.9, 0.8) },
    { combo: 1, selected: record(10, 0.9, 0.8) },
    { combo: 2, selected: record(10, 0.9, 0.8) },
  ];
  assert.equal(selectCombination(fullTie, 'va_wga').combo, 1);
  assert.equal(selectCombination([...fullTie].reverse(), 'va_wga').combo, 1);
  assert.equal(selectCombination([{ combo: 'b', selected: record(0, 0.5, 0.5) }, { combo: 'a', selected: record(0, 0.5, 0.5) }], 'va_wga').combo, 'a');
  assert.throws(() => selectCombination([], 'va_wga'), /no runs/);
});

test('criterionValue rejects an unknown criterion', () => {
  assert.throws(() => criterionValue(record(0, 0.5, 0.5), 'te_wga' as never), /unknown selection criterion "te_wga"/);
});

test('summarizeSeeds uses the sample std (n − 1), 0 for a single seed', () => {
  const s = summarizeSeeds([1, 2, 3, 4]);
  assert.equal(s.mean, 2.5);
  assert.equal(s.std, Math.sqrt(5 / 3)); // squares 2.25 + 0.25 + 0.25 + 2.25 = 5, over n − 1 = 3
  assert.equal(s.min, 1);
  assert.equal(s.max, 4);
  assert.equal(s.n, 4);
  assert.deepEqual(summarizeSeeds([0.7]), { mean: 0.7, std: 0, min: 0.7, max: 0.7, n: 1 });
  assert.throws(() => summarizeSeeds([]), /no values/);
});
