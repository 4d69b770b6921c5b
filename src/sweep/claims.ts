// Run claims: many processes on many machines (a network file system) share one sweep folder, and a
// run is executed by whoever claims it first.
//
//   runs/.../c<combo>-s<seed>/claim-<n>.json    { host, pid, job?, claimedAt }
//
// Claiming creates claim-<n>.json with O_EXCL (exclusive create, atomic on local file systems and on
// NFS v3+), n one above the highest claim present. The highest claim is the run's owner. A claim whose
// owner is gone (same host and its pid is dead, or its Slurm job has left the queue) is stale: it is
// taken over by creating claim-<n+1>, so of two processes taking over at once exactly one wins. The
// owner removes its claims when the run finishes or fails; done.json, not the claim, says "finished".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ClaimOwner {
  host: string;
  pid: number;
  /** When the process started (Linux: /proc/PID/stat), so that a reused pid is not taken for the owner. */
  started?: string;
  /** The Slurm job the owner runs in, when it does: ARRAYJOB_TASK for an array task (squeue -j takes it). */
  job?: string;
}

export interface Claim extends ClaimOwner {
  claimedAt: string;
  /** The claim's file name. */
  file: string;
  generation: number;
  /**
   * Set when the file is still empty or partial (its writer created it and has not written it yet):
   * the file's modification time. Such a claim is held for a grace period, then counts as stale.
   */
  incompleteSince?: number;
}

/** How long a claim file that cannot be read yet counts as held by the process writing it. */
const INCOMPLETE_GRACE_MS = 10_000;

const CLAIM = /^claim-(\d+)\.json$/;

export function currentOwner(job?: string): ClaimOwner {
  const owner: ClaimOwner = { host: os.hostname(), pid: process.pid };
  const started = processStart(process.pid);
  if (started) owner.started = started;
  if (job) owner.job = job;
  return owner;
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat); undefined off Linux or when it is gone. */
function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a Slurm job is still queued or running; undefined when Slurm cannot be asked. */
export function slurmJobAlive(job: string): boolean | undefined {
  const r = spawnSync('squeue', ['-h', '-j', job, '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return undefined;
  if (r.status !== 0) return /invalid job id/i.test(r.stderr) ? false : undefined;
  return /\S/.test(r.stdout) && !/^(COMPLETED|CANCELLED|FAILED|TIMEOUT|PREEMPTED|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)/m.test(r.stdout.trim());
}

/** Whether the owner of a claim may still be working on it. Owners on other hosts without a Slurm job count as alive. */
export function ownerAlive(owner: ClaimOwner & { incompleteSince?: number }): boolean {
  if (owner.incompleteSince !== undefined) return Date.now() - owner.incompleteSince < INCOMPLETE_GRACE_MS;
  if (owner.host === os.hostname()) {
    if (!pidAlive(owner.pid)) return false;
    const started = owner.started && processStart(owner.pid);
    return !started || started === owner.started;
  }
  if (owner.job) return slurmJobAlive(owner.job) ?? true;
  return true;
}

/** The claims of a run folder, highest generation last. */
export function listClaims(dir: string): Claim[] {
  if (!fs.existsSync(dir)) return [];
  const out: Claim[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = CLAIM.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    try {
      const body = JSON.parse(fs.readFileSync(file, 'utf8')) as Omit<Claim, 'file' | 'generation'>;
      out.push({ ...body, file: name, generation: Number(m[1]) });
    } catch {
      // Created but not written yet (or removed meanwhile): it still takes its generation.
      let since: number;
      try {
        since = fs.statSync(file).mtimeMs;
      } catch {
        continue;
      }
      out.push({ host: '', pid: 0, claimedAt: '', file: name, generation: Number(m[1]), incompleteSince: since });
    }
  }
  return out.sort((a, b) => a.generation - b.generation);
}

/** The live owner of a run, if any. */
export function liveClaim(dir: string): Claim | undefined {
  const top = listClaims(dir).at(-1);
  return top && ownerAlive(top) ? top : undefined;
}

export type ClaimResult = { ok: true; release: () => void; tookOver?: Claim } | { ok: false; owner: Claim };

/** Claim a run folder for `owner`; fails when another live owner holds it. */
export function claimRun(dir: string, owner: ClaimOwner): ClaimResult {
  fs.mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 20; attempt++) {
    const top = listClaims(dir).at(-1);
    if (top && ownerAlive(top) && !(top.host === owner.host && top.pid === owner.pid)) return { ok: false, owner: top };
    const generation = top ? top.generation + 1 : 0;
    const file = path.join(dir, `claim-${generation}.json`);
    try {
      fs.writeFileSync(file, JSON.stringify({ ...owner, claimedAt: new Date().toISOString() }), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // someone else was faster: look again
      throw err;
    }
    return { ok: true, release: () => releaseClaims(dir, generation), tookOver: top };
  }
  const top = listClaims(dir).at(-1);
  if (top) return { ok: false, owner: top };
  throw new Error(`${dir}: cannot claim the run`);
}

/** Remove the claims up to the owner's own (the owner's last, so the run is never seen unclaimed while older claims remain). */
function releaseClaims(dir: string, generation: number): void {
  for (const c of listClaims(dir)) {
    if (c.generation <= generation) fs.rmSync(path.join(dir, c.file), { force: true });
  }
}
