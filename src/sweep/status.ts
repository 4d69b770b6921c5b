// The state of a sweep folder from its store: every planned run is finished, diverged, running (a live
// claim), failed (failed.json), interrupted (a claim whose owner is gone: the next `mat sweep` resumes
// it) or not started; and the Slurm jobs it submitted, as squeue sees them now.
import fs from 'node:fs';
import { isHeldOutSource } from '../heldout/registry.js';
import { listClaims, ownerAlive } from './claims.js';
import { planRuns } from './runner.js';
import { queueStates, readSubmissions, type Submission } from './slurm.js';
import { readDone, readFailed, readSweepConfig, runDir, runId, type SweepConfig } from './store.js';

export const RUN_STATES = ['finished', 'diverged', 'running', 'failed', 'interrupted', 'not started'] as const;
export type RunState = (typeof RUN_STATES)[number];

export interface RunStatus {
  id: string;
  phase: string;
  algorithm: string;
  state: RunState;
  /** Diverged: the step; failed: the message; running: the owner. */
  divergedAt?: number;
  message?: string;
  owner?: string;
  log?: string;
}

export interface JobStatus extends Submission {
  /** Array tasks per state now; undefined when squeue cannot be asked. */
  queue?: Record<string, number>;
}

export interface SweepStatus {
  root: string;
  config: SweepConfig;
  runs: RunStatus[];
  jobs: JobStatus[];
}

export function sweepStatus(root: string): SweepStatus {
  const config = readSweepConfig(root);
  const runs = planRuns(config).map((k): RunStatus => {
    const dir = runDir(root, k);
    const base = { id: runId(k), phase: isHeldOutSource(k.algorithm) ? 'held-out' : 'train', algorithm: k.algorithm };
    const done = readDone(dir);
    if (done) return done.status === 'ok' ? { ...base, state: 'finished' } : { ...base, state: 'diverged', divergedAt: done.divergedAt, message: done.error };
    const top = listClaims(dir).at(-1);
    const owner = top && `${top.host} pid ${top.pid}${top.job ? ` (Slurm job ${top.job})` : ''}`;
    if (top && ownerAlive(top)) return { ...base, state: 'running', owner };
    const failed = readFailed(dir);
    if (failed) return { ...base, state: 'failed', message: failed.message, log: failed.log };
    if (top) return { ...base, state: 'interrupted', owner };
    return { ...base, state: 'not started' };
  });
  const jobs: JobStatus[] = readSubmissions(root).map((s) => {
    const states = queueStates([s.jobId]);
    if (!states) return s;
    const queue: Record<string, number> = {};
    for (const j of states) queue[j.state] = (queue[j.state] ?? 0) + 1;
    return { ...s, queue };
  });
  return { root, config, runs, jobs };
}

/** The last lines of a log file, or nothing when it cannot be read. */
export function tail(file: string | undefined, lines = 5): string[] {
  if (!file || !fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).slice(-lines);
}
