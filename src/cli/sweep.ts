// `mat sweep`: random search × seeds × algorithms × datasets into a results folder (src/sweep/).
import { runSweep, type SweepOptions } from '../sweep/runner.js';
import { makeProgress } from './progress.js';

/** The command's flags: the runner's options, with the algorithms still a comma-separated list. */
export type SweepFlags = Omit<SweepOptions, 'algorithms' | 'progress' | 'execution'> & { algorithms: string; threads?: number };

export async function sweepCommand(flags: SweepFlags): Promise<void> {
  const progress = makeProgress({ quiet: flags.quiet });
  let summary;
  try {
    summary = await runSweep({
      data: flags.data,
      label: flags.label,
      attr: flags.attr,
      split: flags.split,
      algorithms: flags.algorithms.split(','),
      combos: flags.combos,
      seeds: flags.seeds,
      steps: flags.steps,
      out: flags.out,
      workers: flags.workers,
      execution: { threads: flags.threads },
      quiet: flags.quiet,
      progress,
    });
  } finally {
    progress.stop();
  }
  const s = summary;
  if (!flags.quiet) {
    const parts = [`${s.executed} run${s.executed === 1 ? '' : 's'} finished now`];
    if (s.resumed) parts.push(`${s.resumed} of them resumed from a checkpoint`);
    parts.push(`${s.skipped} already finished`);
    if (s.elsewhere) parts.push(`${s.elsewhere} finished by other processes meanwhile`);
    if (s.diverged) parts.push(`${s.diverged} diverged`);
    if (s.failed.length) parts.push(`${s.failed.length} failed`);
    if (s.blocked.length) parts.push(`${s.blocked.length} blocked`);
    const pool = s.workers ? ` (${s.workers} worker${s.workers === 1 ? '' : 's'} × ${s.threads} thread${s.threads === 1 ? '' : 's'})` : '';
    process.stderr.write(`mat sweep: ${s.total} runs: ${parts.join(', ')} in ${s.seconds.toFixed(1)} s${pool}; results in ${s.root}\n`);
    if (!s.failed.length && !s.blocked.length) process.stderr.write(`mat sweep: next: mat report ${flags.out}\n`);
  }
  if (s.failed.length || s.blocked.length) {
    const lines = [...s.failed.map((f) => `  ${f.id}: ${f.message}`), ...s.blocked.map((b) => `  ${b.id}: not started: ${b.message}`)];
    throw new Error(`${s.failed.length + s.blocked.length} runs did not finish; rerun the same command to retry them:\n${lines.join('\n')}`);
  }
}
