// One run of a sweep, inside a worker: a held-out source (the XRM twins), or one algorithm trained
// with one hyperparameter combination and seed. Writes the run folder (store.ts); done.json last.
import fs from 'node:fs';
import path from 'node:path';
import { getAlgorithm, runAlgorithm } from '../algorithms/registry.js';
import type { Dataset } from '../data/dataset.js';
import type { Execution } from '../engine/index.js';
import { getHeldOutSource, isHeldOutSource, type HeldOutSource } from '../heldout/registry.js';
import type { HeldOutResult } from '../heldout/types.js';
import { heldOutDiagnostics } from '../heldout/diagnostics.js';
import { DivergenceError, type CurvePoint } from '../train/loop.js';
import { familyOf, presetForSpec, type DatasetSpec } from '../experiments/datasets.js';
import { algorithmHParams, applyTrainingHParams, drawHParams, searchSpace, type HParams } from './hparams.js';
import {
  CONFIG_FILE, FAILED_FILE, MODEL_FILE, loadCheckpoint, readHeldOut, removeCheckpoints, removeTempFiles, runId, saveCheckpoint,
  writeDone, writeFileAtomic, writeHeldOut, writeJsonAtomic, writeResults,
  type DoneRecord, type RunConfig, type RunKey,
} from './store.js';

export interface RunTask extends RunKey {
  /** Absolute path of the run folder. */
  dir: string;
  /** Absolute path of the XRM run whose predictions this run uses (held-out logits, inferred val groups). */
  heldOutDir?: string;
  /** The XRM run's id, recorded in config.json. */
  heldOutFrom?: string;
  /** Overrides the preset's step count. */
  steps?: number;
  /** K-fold's folds (held-out source 'kfold'). */
  folds?: number;
  /** How the run executes (threads: its share of the cores). */
  execution: Execution;
}

export interface RunHooks {
  /** The run starts at this step (> 0 when resumed). */
  onStart?(step: number, total: number): void;
  onStep?(step: number): void;
}

/** The settings and hyperparameters of a run, from the dataset, the combination and the overrides. */
export function planRun(spec: DatasetSpec, ds: Dataset, task: Pick<RunTask, 'algorithm' | 'combo' | 'steps' | 'folds'>) {
  const preset = presetForSpec(spec, ds);
  if (task.steps !== undefined) {
    preset.train.steps = task.steps;
    preset.xrm.steps = task.steps;
  }
  const base = isHeldOutSource(task.algorithm) ? preset.xrm : preset.train;
  const hparams = drawHParams(searchSpace(task.algorithm, familyOf(spec), base), task.combo);
  const xrm = { ...applyTrainingHParams(preset.xrm, hparams), ...(task.folds !== undefined ? { folds: task.folds } : {}) };
  return { preset, hparams, train: applyTrainingHParams(preset.train, hparams), xrm };
}

function finalSummary(curve: readonly CurvePoint[]): DoneRecord['final'] {
  const last = curve[curve.length - 1];
  return {
    step: last.step, valAvg: last.val.avgAcc, valWorstGroup: last.val.worstGroupAcc, testAvg: last.test.avgAcc, testWorstGroup: last.test.worstGroupAcc,
    trainLoss: last.trainLoss, trainAvg: last.train?.avgAcc, trainWorstGroup: last.train?.worstGroupAcc,
  };
}

/** Run one task to completion and write done.json. Deterministic given the task. */
export async function executeRun(spec: DatasetSpec, ds: Dataset, task: RunTask, hooks: RunHooks = {}): Promise<DoneRecord> {
  const t0 = performance.now();
  const id = runId(task);
  fs.mkdirSync(task.dir, { recursive: true });
  removeTempFiles(task.dir);
  fs.rmSync(path.join(task.dir, FAILED_FILE), { force: true });
  const { preset, hparams, train, xrm } = planRun(spec, ds, task);
  const source = isHeldOutSource(task.algorithm) ? getHeldOutSource(task.algorithm) : undefined;
  const settings = source ? xrm : train;
  const config: RunConfig = {
    id,
    dataset: task.dataset,
    algorithm: task.algorithm,
    combo: task.combo,
    seed: task.seed,
    hparams,
    settings: {
      model: settings.model.toJSON(),
      optimizer: settings.optimizer,
      lr: settings.lr,
      steps: settings.steps,
      batchSize: settings.batchSize,
      evalEvery: preset.train.evalEvery,
      loss: source ? preset.xrm.loss : undefined,
      ...(source && task.folds !== undefined ? { folds: task.folds } : {}),
    },
    heldOutFrom: task.heldOutFrom,
    datasetSpec: spec,
  };
  writeJsonAtomic(path.join(task.dir, CONFIG_FILE), config);
  const done = (record: Omit<DoneRecord, 'id' | 'finishedAt' | 'seconds'>): DoneRecord => {
    const full: DoneRecord = { id, finishedAt: new Date().toISOString(), seconds: Math.round((performance.now() - t0) / 10) / 100, ...record };
    writeDone(task.dir, full);
    return full;
  };
  if (source) return executeHeldOut(source, ds, task, xrm, preset.train.evalEvery, hooks, done);

  const heldOut: HeldOutResult | undefined = task.heldOutDir ? readHeldOut(task.heldOutDir) : undefined;
  const algorithm = getAlgorithm(task.algorithm);
  if (algorithm.needsHeldOut && !heldOut) throw new Error(`${id}: ${algorithm.name} needs an XRM run, none given`);
  const fingerprint = JSON.stringify({ hparams, settings: config.settings, heldOutFrom: task.heldOutFrom ?? null });
  const resumable = algorithm.resumable;
  const checkpoint = resumable ? loadCheckpoint(task.dir, fingerprint) : undefined;
  if (!checkpoint) removeCheckpoints(task.dir);
  const prefix = checkpoint?.curve ?? [];
  // The curve on disk is the checkpointed one: evaluations after the checkpoint are redone.
  writeResults(task.dir, prefix);
  const startStep = checkpoint?.state.step ?? 0;
  hooks.onStart?.(startStep, train.steps);
  const everyEval = train.evalEvery > 0 ? train.evalEvery : Math.max(1, Math.ceil(train.steps / 10));
  let result;
  try {
    result = await runAlgorithm(algorithm, {
      dataset: ds,
      hparams: algorithmHParams(hparams),
      heldOut,
      settings: {
        ...train,
        seed: task.seed,
        execution: task.execution,
        valInferredGroups: heldOut ? { groups: heldOut.valInferredGroups, numGroups: 2 * ds.numClasses } : undefined,
        onStep: hooks.onStep,
        resume: checkpoint?.state,
        checkpointEvery: resumable ? everyEval : undefined,
        onCheckpoint: resumable
          ? (state, curve) => {
            const full = [...prefix, ...curve];
            saveCheckpoint(task.dir, state, full, fingerprint);
            writeResults(task.dir, full);
          }
          : undefined,
      },
    });
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    removeCheckpoints(task.dir);
    return done({ status: 'diverged', steps: train.steps, divergedAt: err.step, error: err.message, resumedFrom: startStep || undefined });
  }
  try {
    const curve = [...prefix, ...result.curve];
    writeResults(task.dir, curve);
    const modelFile = path.join(task.dir, MODEL_FILE);
    writeFileAtomic(modelFile, result.classifier.predictor.exportBytes());
    removeCheckpoints(task.dir);
    return done({ status: 'ok', steps: train.steps, resumedFrom: startStep || undefined, final: finalSummary(curve) });
  } finally {
    await result.classifier.dispose();
  }
}

async function executeHeldOut(
  source: HeldOutSource,
  ds: Dataset,
  task: RunTask,
  settings: ReturnType<typeof planRun>['xrm'],
  logEvery: number,
  hooks: RunHooks,
  done: (r: Omit<DoneRecord, 'id' | 'finishedAt' | 'seconds'>) => DoneRecord,
): Promise<DoneRecord> {
  // Held-out runs have no checkpoints: an interrupted one starts over (it is deterministic).
  const total = source.totalSteps(settings);
  hooks.onStart?.(0, total);
  const trace: { step: number; flipRate: number }[] = [];
  const every = logEvery > 0 ? logEvery : Math.max(1, Math.ceil(settings.steps / 10));
  let ho: HeldOutResult;
  try {
    ho = await source.run(ds, { ...settings, seed: task.seed, execution: task.execution }, (t, _total, flipRate) => {
      if (t % every === 0 || t === total) trace.push({ step: t, flipRate });
      hooks.onStep?.(t);
    });
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    writeResults(task.dir, trace);
    return done({ status: 'diverged', steps: settings.steps, divergedAt: err.step, error: err.message });
  }
  writeResults(task.dir, trace);
  writeHeldOut(task.dir, ho);
  return done({ status: 'ok', steps: settings.steps, flipRate: ho.flipRate, degenerate: ho.degenerate, diagnostics: heldOutDiagnostics(ho, ds) });
}
