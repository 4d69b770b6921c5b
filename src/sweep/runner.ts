// The sweep coordinator: plans the runs (datasets × algorithms × combinations × seeds), skips the
// finished ones, and runs the rest in a pool of worker threads sized to the machine, XRM first.
//
// Two phases per (dataset, seed): every XRM combination runs first; then every other run of that
// seed uses the XRM run with the largest final flip rate (degenerate runs count 0; ties → lower
// combination): MAT and XRM+GroupDRO take its held-out predictions, and every run takes its inferred
// validation groups for the va_gi_wga criterion. Seeds whose XRM runs are finished proceed while
// other seeds' XRM runs still train.
//
// Other processes may share the folder (a second `mat sweep`, Slurm array tasks, on other machines):
// every run is claimed before it starts (claims.ts); a run another live process holds is waited for
// (its done.json polled), a run whose owner is gone is taken over and resumes from its checkpoint.
//
// Workers are worker_threads (a kill -9 of the sweep ends them too), sized to os.availableParallelism()
// with ONNX Runtime threads split between them: threads = max(1, floor(cores / workers)). The
// coordinator loads each dataset once into SharedArrayBuffers that every worker reads: memory is one
// copy of the data + per-worker models and buffers, not workers × dataset.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { getAlgorithm } from '../algorithms/registry.js';
import type { Dataset } from '../data/dataset.js';
import { resolveExecution, type ExecutionOptions } from '../engine/index.js';
import { DEFAULT_HELD_OUT_SOURCE, HELD_OUT_SOURCES, getHeldOutSource, isHeldOutSource } from '../heldout/registry.js';
import { parseDataArg, type DatasetSpec, type FileFlags } from '../experiments/datasets.js';
import type { FromLoader } from './loader.js';
import { InputError } from '../util/errors.js';
import { planRun, type RunTask } from './execute.js';
import { XRM_SELECTION_RULES, selectXrmRun, type XrmSelectionRule } from './selection.js';
import { claimRun, currentOwner, liveClaim, type ClaimOwner } from './claims.js';
import {
  INDEX_FILE, removeStaleTempFiles, checkSweepFolder, readDone, runDir, runId, writeFailed, writeFileAtomic, writeSweepConfig,
  type DoneRecord, type RunKey, type SweepConfig,
} from './store.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';

export interface SweepOptions extends FileFlags {
  /** Built-in names or data files, comma-separated. */
  data: string;
  algorithms: string[];
  combos: number;
  seeds: number;
  steps?: number;
  /** The held-out source for the methods that need one (default XRM); also named by putting it in `algorithms`. */
  heldout?: string;
  /** K-fold's folds. */
  folds?: number;
  /** Which held-out run a seed's methods use: 'flip' (the official rule, default) or 'capped'. */
  xrmSelect?: string;
  out: string;
  /** Worker threads (default: the machine's cores, at most the number of runs left). */
  workers?: number;
  /** How runs execute; `threads` per worker (default: max(1, floor(cores / workers))). */
  execution?: ExecutionOptions;
  quiet?: boolean;
  /** Progress display (the CLI passes a progress bar); default: none. */
  progress?: SweepProgress;
  /** Receives the data loaders' notes (labels mapped to 0..K−1, float16 converted, ...). */
  onNote?: (message: string) => void;
}

/** How one process takes part in a sweep whose configuration is settled. */
export interface ExecuteOptions {
  out: string;
  workers?: number;
  execution?: ExecutionOptions;
  quiet?: boolean;
  progress?: SweepProgress;
  /** Run ids this process may execute (a Slurm array task's slice); default: every run. Others are only waited for while claimed. */
  only?: readonly string[];
  /** The Slurm job this process runs in, recorded in its claims. */
  job?: string;
  /** Recorded with failures: where this process's output goes (a Slurm array task's log). */
  log?: string;
  /**
   * Runs of `only` that another live process holds: waited for (default), or, when false, left to it
   * (Slurm array tasks: each takes the free runs of its phase, in `only`'s order).
   */
  waitForOthers?: boolean;
  /** How often runs claimed by other processes are checked (ms). */
  pollMs?: number;
  /** Receives the data loaders' notes (labels mapped to 0..K−1, float16 converted, ...). */
  onNote?: (message: string) => void;
}

/** What the runner reports progress to (the CLI's cli-progress bar fits). */
export interface SweepProgress {
  update(value: number, total: number, label: string): void;
  log(line: string): void;
  stop(): void;
}

const SILENT: SweepProgress = { update() {}, log() {}, stop() {} };

export interface SweepSummary {
  root: string;
  total: number;
  /** Finished before this call: not recomputed. */
  skipped: number;
  /** Finished by this call. */
  executed: number;
  /** Finished meanwhile by other processes sharing the folder. */
  elsewhere: number;
  /** Of those, resumed from a checkpoint. */
  resumed: number;
  diverged: number;
  failed: { id: string; message: string }[];
  /** Runs that could not start because the XRM runs they depend on failed or all diverged. */
  blocked: { id: string; message: string }[];
  workers: number;
  threads: number;
  seconds: number;
}

/** Validate the flags and normalise them into the configuration stored in sweep.json. */
export function makeSweepConfig(opts: SweepOptions): SweepConfig {
  if (!(Number.isInteger(opts.combos) && opts.combos >= 1)) throw new InputError(`--combos must be an integer ≥ 1, got ${opts.combos}`);
  if (!(Number.isInteger(opts.seeds) && opts.seeds >= 1)) throw new InputError(`--seeds must be an integer ≥ 1, got ${opts.seeds}`);
  if (opts.steps !== undefined && !(Number.isInteger(opts.steps) && opts.steps >= 1)) throw new InputError(`--steps must be an integer ≥ 1, got ${opts.steps}`);
  const names: string[] = [];
  for (const raw of opts.algorithms) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    if (!isHeldOutSource(name)) {
      try {
        getAlgorithm(name);
      } catch (err) {
        throw new InputError(`--algorithms: ${(err as Error).message}, ${HELD_OUT_SOURCES.map((s) => s.name).join(', ')}`);
      }
    }
    if (!names.includes(name)) names.push(name);
  }
  if (names.length === 0) throw new InputError('--algorithms: name at least one algorithm');
  // One held-out source feeds the other runs of a seed; the default one when none is named and some algorithm needs it.
  if (opts.heldout !== undefined) {
    const wanted = getHeldOutSource(opts.heldout.trim().toLowerCase()).name;
    const other = names.find((n) => isHeldOutSource(n) && n !== wanted);
    if (other) throw new InputError(`--heldout ${wanted} and --algorithms ${other}: name one held-out source`);
    if (!names.includes(wanted)) names.unshift(wanted);
  }
  const sources = names.filter(isHeldOutSource);
  if (sources.length > 1) throw new InputError(`--algorithms: name one held-out source, not ${sources.join(' and ')}`);
  const needsHeldOut = names.some((n) => !isHeldOutSource(n) && getAlgorithm(n).needsHeldOut);
  const source = sources[0] ?? (needsHeldOut ? DEFAULT_HELD_OUT_SOURCE : undefined);
  const algorithms = source ? [source, ...names.filter((n) => n !== source)] : names;
  const config: SweepConfig = {
    version: 1,
    datasets: parseDataArg(opts.data, opts),
    algorithms,
    combos: opts.combos,
    seeds: opts.seeds,
  };
  if (opts.steps !== undefined) config.steps = opts.steps;
  if (opts.folds !== undefined) {
    if (source !== 'kfold') throw new InputError('--folds applies to --heldout kfold');
    if (!(Number.isInteger(opts.folds) && opts.folds >= 2)) throw new InputError(`--folds must be an integer ≥ 2, got ${opts.folds}`);
    config.folds = opts.folds;
  }
  if (opts.xrmSelect !== undefined && opts.xrmSelect !== 'flip') {
    if (!(XRM_SELECTION_RULES as readonly string[]).includes(opts.xrmSelect)) throw new InputError(`--xrm-select must be ${XRM_SELECTION_RULES.join(' or ')}, got '${opts.xrmSelect}'`);
    config.xrmSelect = opts.xrmSelect as XrmSelectionRule;
  }
  return config;
}

/** Every run of the sweep, XRM runs first. */
export function planRuns(config: SweepConfig): RunKey[] {
  const runs: RunKey[] = [];
  for (const algorithm of config.algorithms) {
    for (const ds of config.datasets) {
      for (let seed = 0; seed < config.seeds; seed++) {
        for (let combo = 0; combo < config.combos; combo++) runs.push({ dataset: ds.key, algorithm, combo, seed });
      }
    }
  }
  return runs;
}

/** `elsewhere`: claimed by another live process; `skipped`: not this process's to run (`only`) and not claimed. */
type RunState = 'done' | 'pending' | 'ready' | 'running' | 'elsewhere' | 'skipped' | 'failed' | 'blocked';

interface PlannedRun extends RunKey {
  id: string;
  dir: string;
  state: RunState;
  record?: DoneRecord;
  steps: number;
  progress: number;
  error?: string;
}

interface PoolWorker {
  worker: Worker;
  busy?: PlannedRun;
  alive: boolean;
}

export async function runSweep(opts: SweepOptions): Promise<SweepSummary> {
  return executeSweep(makeSweepConfig(opts), opts);
}

/** Take part in a sweep: run (a slice of) its unfinished runs in this process, sharing the folder with any others. */
export async function executeSweep(config: SweepConfig, opts: ExecuteOptions): Promise<SweepSummary> {
  const t0 = performance.now();
  const root = path.resolve(opts.out);
  const existed = checkSweepFolder(root, config);
  const only = opts.only ? new Set(opts.only) : undefined;
  const order = new Map(opts.only?.map((id, i) => [id, i]));
  const owner: ClaimOwner = currentOwner(opts.job);
  const runs: PlannedRun[] = planRuns(config).map((k) => {
    const dir = runDir(root, k);
    const record = readDone(dir);
    return { ...k, id: runId(k), dir, state: record ? 'done' : 'pending', record, steps: 0, progress: 0 };
  });
  const pending = runs.filter((r) => r.state === 'pending');
  const mine = pending.filter((r) => !only || only.has(r.id));
  const skipped = runs.length - pending.length;
  const cores = Math.max(1, os.availableParallelism());
  const workerCount = Math.max(1, Math.min(opts.workers ?? cores, mine.length || 1));
  const execution = resolveExecution({ ...opts.execution, threads: opts.execution?.threads ?? Math.max(1, Math.floor(cores / workerCount)) });
  const threads = execution.threads;
  const summary: SweepSummary = {
    root, total: runs.length, skipped, executed: 0, elsewhere: 0, resumed: 0, diverged: 0, failed: [], blocked: [],
    workers: mine.length ? workerCount : 0, threads, seconds: 0,
  };
  if (mine.length === 0) {
    if (!existed) writeSweepConfig(root, config);
    if (!only) writeIndex(root, runs);
    summary.seconds = (performance.now() - t0) / 1000;
    return summary;
  }

  const pool: PoolWorker[] = [];
  let shared: WorkerInit | undefined;
  const spawn = () => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: shared });
    const entry: PoolWorker = { worker, alive: true };
    pool.push(entry);
    return entry;
  };
  /** Releases of the claims this process holds, by run id. */
  const claims = new Map<string, () => void>();
  const progress = opts.progress ?? SILENT;
  try {
    // Load (and check) the data here, once: bad data fails before anything is written.
    const loaded = await loadSweepData(config, opts.onNote);
    shared = loaded.shared;
    const metas = loaded.metas;
    const metaOf = new Map(metas.map((m) => [m.key, m]));
    for (const r of runs) {
      const meta = metaOf.get(r.dataset)!;
      r.steps = isHeldOutSource(r.algorithm) ? getHeldOutSource(r.algorithm).totalSteps(meta.heldOut) : meta.trainSteps;
      r.progress = r.state === 'done' ? r.steps : 0;
    }

    removeStaleTempFiles(root);
    if (!existed) writeSweepConfig(root, config);
    writeIndex(root, runs);
    while (pool.length < workerCount) spawn();
    await schedule();
  } finally {
    progress.stop();
    await Promise.all(pool.map((p) => p.worker.terminate()));
    for (const r of claims.values()) r();
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;

  // ----- scheduling -----

  /** The held-out source's runs of a seed (XRM's twins by default). */
  function xrmOf(dataset: string, seed: number): PlannedRun[] {
    return runs.filter((r) => isHeldOutSource(r.algorithm) && r.dataset === dataset && r.seed === seed);
  }

  /** Whether a run outside `only` feeds one inside: the held-out source's run of a seed. */
  function neededHere(r: PlannedRun): boolean {
    return isHeldOutSource(r.algorithm) && runs.some((o) => only!.has(o.id) && !isHeldOutSource(o.algorithm) && o.dataset === r.dataset && o.seed === r.seed);
  }

  /** The task of a run, or a reason it cannot run (yet: undefined and no reason). */
  function taskFor(r: PlannedRun): { task?: RunTask; blocked?: string } {
    const task: RunTask = { dataset: r.dataset, algorithm: r.algorithm, combo: r.combo, seed: r.seed, dir: r.dir, steps: config.steps, folds: config.folds, execution };
    if (isHeldOutSource(r.algorithm) || !config.algorithms.some(isHeldOutSource)) return { task };
    const twins = xrmOf(r.dataset, r.seed);
    if (twins.some((t) => t.state === 'failed' || t.state === 'blocked')) return { blocked: `XRM run of seed ${r.seed} failed` };
    const absent = twins.find((t) => t.state === 'skipped');
    if (absent) return { blocked: `XRM run ${absent.id} is not finished` };
    if (!twins.every((t) => t.state === 'done')) return {};
    const chosen = selectXrmRun(twins.map((t) => ({ combo: t.combo, record: t.record! })), config.xrmSelect);
    if (chosen === undefined) {
      if (getAlgorithm(r.algorithm).needsHeldOut) return { blocked: `every XRM run of seed ${r.seed} diverged` };
      return { task };
    }
    const source = twins.find((t) => t.combo === chosen)!;
    return { task: { ...task, heldOutDir: source.dir, heldOutFrom: source.id } };
  }

  /** Claim a run for this process; false when another live process holds it (or has finished it meanwhile). */
  function claim(r: PlannedRun): boolean {
    const result = claimRun(r.dir, owner);
    if (!result.ok) return false;
    // Finished by the claim's previous owner, just before it went: nothing to do.
    const record = readDone(r.dir);
    if (record) {
      result.release();
      finishedElsewhere(r, record);
      return false;
    }
    claims.set(r.id, result.release);
    return true;
  }

  function release(r: PlannedRun): void {
    claims.get(r.id)?.();
    claims.delete(r.id);
  }

  function finishedElsewhere(r: PlannedRun, record: DoneRecord): void {
    r.state = 'done';
    r.record = record;
    r.progress = r.steps;
    summary.elsewhere++;
  }

  function schedule(): Promise<void> {
    return new Promise<void>((resolve) => {
      const totalSteps = runs.reduce((s, r) => s + r.steps, 0);
      const finishedCount = () => runs.filter((r) => r.state === 'done').length;
      const draw = () => progress.update(runs.reduce((s, r) => s + r.progress, 0), totalSteps, 'sweep');
      const note = (line: string) => {
        if (!opts.quiet && !process.stderr.isTTY) progress.log(line);
      };
      draw();

      let closed = false;
      let poll: NodeJS.Timeout | undefined;
      const readyTasks: { run: PlannedRun; task: RunTask }[] = [];

      /** Runs other processes hold: finished (done.json) or given up (no live claim: back to pending). */
      const checkElsewhere = () => {
        let changed = false;
        for (const r of runs) {
          if (r.state !== 'elsewhere') continue;
          const record = readDone(r.dir);
          if (record) {
            finishedElsewhere(r, record);
            note(`mat sweep: [${finishedCount()}/${runs.length}] ${r.id} finished by another process`);
            changed = true;
          } else if (!liveClaim(r.dir)) {
            r.state = only && !only.has(r.id) ? 'skipped' : 'pending';
            changed = true;
          }
        }
        if (changed) {
          writeIndex(root, runs);
          draw();
        }
        pump();
      };

      const pump = (): void => {
        if (closed) return;
        const finishedBefore = finishedCount();
        for (const r of runs) {
          if (r.state !== 'pending') continue;
          if (only && !only.has(r.id)) {
            // Not ours: waited for only when a run of ours needs it (an XRM run of the same seed) and someone runs it.
            r.state = neededHere(r) && liveClaim(r.dir) ? 'elsewhere' : 'skipped';
            continue;
          }
          const { task, blocked } = taskFor(r);
          if (blocked) {
            r.state = 'blocked';
            r.error = blocked;
            summary.blocked.push({ id: r.id, message: blocked });
          } else if (task) {
            r.state = 'ready';
            readyTasks.push({ run: r, task });
          }
        }
        if (only) readyTasks.sort((a, b) => order.get(a.run.id)! - order.get(b.run.id)!);
        for (const w of pool) {
          if (!w.alive || w.busy) continue;
          let next = readyTasks.shift();
          // A run another process holds is waited for, not run.
          while (next && !claim(next.run)) {
            if (next.run.state !== 'done') next.run.state = 'elsewhere';
            next = readyTasks.shift();
          }
          if (!next) break;
          w.busy = next.run;
          next.run.state = 'running';
          w.worker.postMessage({ type: 'run', task: next.task } satisfies ToWorker);
        }
        // Runs found finished while claiming may unblock others.
        if (finishedCount() > finishedBefore) return pump();
        const waitedFor = (r: PlannedRun) => r.state === 'elsewhere' && (opts.waitForOthers !== false || !only?.has(r.id));
        const waiting = runs.some(waitedFor);
        if (waiting && !poll) poll = setInterval(checkElsewhere, opts.pollMs ?? 500);
        if (!waiting && poll) {
          clearInterval(poll);
          poll = undefined;
        }
        if (!pool.some((w) => w.busy) && !waiting) {
          // Runs left to others: finished meanwhile, or given up (their owner gone: take them over).
          let retry = false;
          for (const r of runs) {
            if (r.state !== 'elsewhere') continue;
            const record = readDone(r.dir);
            if (record) finishedElsewhere(r, record);
            else if (!liveClaim(r.dir)) {
              r.state = 'pending';
              retry = true;
            }
          }
          if (retry) return pump();
          // Nothing runs: every run is finished, failed or blocked (or no worker is left).
          for (const r of runs) {
            if (r.state === 'pending' || r.state === 'ready') {
              r.state = 'failed';
              r.error = 'no worker left to run it';
              summary.failed.push({ id: r.id, message: r.error });
            }
          }
          closed = true;
          writeIndex(root, runs, true);
          resolve();
        }
      };

      const fail = (w: PoolWorker, message: string) => {
        const r = w.busy;
        w.busy = undefined;
        if (!r) return;
        r.state = 'failed';
        r.error = message;
        r.progress = 0;
        summary.failed.push({ id: r.id, message });
        writeFailed(r.dir, { id: r.id, message, failedAt: new Date().toISOString(), owner, ...(opts.log ? { log: opts.log } : {}) });
        release(r);
        note(`mat sweep: ${r.id} failed: ${message}`);
        writeIndex(root, runs);
      };

      for (const w of pool) {
        w.worker.on('message', (msg: FromWorker) => {
          const r = w.busy;
          if (msg.type === 'start' && r) {
            r.progress = msg.step;
            if (msg.step > 0) note(`mat sweep: ${r.id} resumes at step ${msg.step}`);
            draw();
          } else if (msg.type === 'progress' && r) {
            r.progress = msg.step;
            draw();
          } else if (msg.type === 'done' && r) {
            w.busy = undefined;
            r.state = 'done';
            r.record = msg.record;
            r.progress = r.steps;
            release(r);
            summary.executed++;
            if (msg.record.resumedFrom) summary.resumed++;
            if (msg.record.status === 'diverged') summary.diverged++;
            writeIndex(root, runs);
            note(`mat sweep: [${finishedCount()}/${runs.length}] ${r.id} ${describe(msg.record)}`);
            draw();
            pump();
          } else if (msg.type === 'failed') {
            fail(w, msg.message);
            pump();
          }
        });
        w.worker.on('error', (err) => {
          w.alive = false;
          fail(w, `worker crashed: ${err.message}`);
          pump();
        });
        w.worker.on('exit', () => {
          if (!w.alive || closed) return;
          w.alive = false;
          fail(w, 'worker exited');
          pump();
        });
      }
      pump();
    });
  }
}

function describe(record: DoneRecord): string {
  if (record.status === 'diverged') return `diverged (${record.error})`;
  if (record.flipRate !== undefined) return `flip rate ${record.flipRate.toFixed(3)}${record.degenerate ? ' (degenerate)' : ''} (${record.seconds} s)`;
  const f = record.final;
  const resumed = record.resumedFrom ? `, resumed at step ${record.resumedFrom}` : '';
  return f ? `test avg ${f.testAvg.toFixed(3)}, worst group ${f.testWorstGroup.toFixed(3)} (${record.seconds} s${resumed})` : 'ok';
}

/**
 * index.jsonl: one line per planned run with its status, rewritten atomically. Processes sharing the
 * folder each write their view; `fromStore` (when a process closes) first reads the runs others finished.
 */
function writeIndex(root: string, runs: readonly PlannedRun[], fromStore = false): void {
  const lines = runs.map((r) => {
    const record = r.record ?? (fromStore ? readDone(r.dir) : undefined);
    const line: Record<string, unknown> = {
      id: r.id, dir: path.relative(root, r.dir), dataset: r.dataset, algorithm: r.algorithm, combo: r.combo, seed: r.seed,
      status: record?.status ?? (r.state === 'skipped' ? 'pending' : r.state),
    };
    if (record?.flipRate !== undefined) line.flipRate = record.flipRate;
    if (record?.degenerate !== undefined) line.degenerate = record.degenerate;
    if (record?.final) line.final = record.final;
    if (r.error) line.error = r.error;
    return JSON.stringify(line);
  });
  writeFileAtomic(path.join(root, INDEX_FILE), lines.join('\n') + '\n');
}

/** Load a sweep's datasets (into shared memory) and check that its algorithms can run on them; bad data is an InputError. */
export async function loadSweepData(config: SweepConfig, onNote?: (message: string) => void): Promise<{ shared: WorkerInit; metas: DatasetMeta[] }> {
  const shared = { datasets: await loadShared(config.datasets, onNote) };
  const metas = shared.datasets.map(({ spec, ds }) => describeDataset(spec, ds, config.steps, config.folds));
  for (const name of config.algorithms) {
    if (isHeldOutSource(name) || !getAlgorithm(name).needsTrainAttributes) continue;
    const missing = metas.filter((m) => !m.hasTrainAttribute).map((m) => m.key);
    if (missing.length) throw new InputError(`${name} needs the training attribute (group labels), which ${missing.join(', ')} does not have (--attr COLUMN)`);
  }
  for (const name of config.algorithms) {
    if (isHeldOutSource(name)) continue;
    for (const { spec, ds } of shared.datasets) {
      try {
        getAlgorithm(name).checkData?.(ds);
      } catch (err) {
        throw err instanceof InputError ? new InputError(`${spec.key}: ${err.message}`) : err;
      }
    }
  }
  return { shared, metas };
}

interface DatasetMeta {
  key: string;
  hasTrainAttribute: boolean;
  /** Steps of the final model for combination 0 (after --steps). */
  trainSteps: number;
  /** The held-out models' recipe for combination 0 (after --steps). */
  heldOut: ReturnType<typeof planRun>['xrm'];
}

/** Each dataset loaded once (in a loader thread), its arrays in shared memory; data errors are usage errors (exit 2). */
async function loadShared(specs: readonly DatasetSpec[], onNote?: (message: string) => void): Promise<WorkerInit['datasets']> {
  const out: WorkerInit['datasets'] = [];
  for (const spec of specs) {
    const loader = new Worker(new URL('./loader.js', import.meta.url), { workerData: { spec } });
    let reply: FromLoader | undefined;
    loader.once('message', (msg: FromLoader) => { reply = msg; });
    // Wait for the exit, not just the reply, so that the loader's garbage is gone before training starts.
    const code = await new Promise<number>((resolve, reject) => {
      loader.once('error', reject);
      loader.once('exit', resolve);
    });
    if (!reply) throw new Error(`the dataset loader exited (code ${code}) before loading ${spec.key}`);
    for (const note of reply.notes) onNote?.(note);
    if (!reply.ok) throw reply.usage ? new InputError(reply.message) : new Error(reply.message);
    out.push({ spec, ds: reply.ds });
  }
  return out;
}

function describeDataset(spec: DatasetSpec, ds: Dataset, steps: number | undefined, folds: number | undefined): DatasetMeta {
  const plan = planRun(spec, ds, { algorithm: 'erm', combo: 0, steps, folds });
  return { key: spec.key, hasTrainAttribute: !!ds.train.a, trainSteps: plan.train.steps, heldOut: plan.xrm };
}
