// `mat status DIR`: finished / running / failed / not started runs per phase and method, the Slurm
// jobs of the folder, and what went wrong with the runs that did not finish.
import { markdownTable, type Cell } from '../report/table.js';
import { RUN_STATES, sweepStatus, tail } from '../sweep/status.js';

export async function statusCommand(dir: string, flags: { json?: boolean }): Promise<void> {
  const status = sweepStatus(dir);
  if (flags.json) {
    process.stdout.write(JSON.stringify(status) + '\n');
    return;
  }
  const out: string[] = [`# Sweep status: ${status.root}`, ''];
  const groups = [...new Set(status.runs.map((r) => `${r.phase}\t${r.algorithm}`))];
  const rows: Cell[][] = groups.map((g) => {
    const [phase, algorithm] = g.split('\t');
    const rs = status.runs.filter((r) => r.phase === phase && r.algorithm === algorithm);
    return [phase, algorithm, ...RUN_STATES.map((s) => rs.filter((r) => r.state === s).length)];
  });
  const totals = RUN_STATES.map((s) => status.runs.filter((r) => r.state === s).length);
  rows.push(['all', '', ...totals]);
  out.push(markdownTable(['phase', 'method', ...RUN_STATES], rows, { align: ['left', 'left', ...RUN_STATES.map(() => 'right' as const)] }));

  if (status.jobs.length) {
    out.push('## Slurm jobs', '');
    const jobRows: Cell[][] = status.jobs.map((j) => [
      j.jobId, j.phase, j.count, j.tasks, j.after ?? '', j.submittedAt,
      j.queue === undefined ? 'squeue unavailable' : Object.keys(j.queue).length ? Object.entries(j.queue).map(([s, n]) => `${s} ${n}`).join(', ') : 'left the queue',
    ]);
    out.push(markdownTable(['job', 'phase', 'runs', 'array tasks', 'after', 'submitted', 'in the queue now'], jobRows));
  }
  const diverged = status.runs.filter((r) => r.state === 'diverged');
  if (diverged.length) {
    out.push('## Diverged (recorded as results, left out of selection)', '');
    for (const r of diverged) out.push(`- ${r.id}: at step ${r.divergedAt ?? '?'}${r.message ? `: ${r.message}` : ''}`);
    out.push('');
  }
  const failed = status.runs.filter((r) => r.state === 'failed' || r.state === 'interrupted');
  if (failed.length) {
    out.push('## Failed or interrupted (rerun the same `mat sweep` to retry; interrupted runs resume from their checkpoints)', '');
    for (const r of failed) {
      out.push(`- ${r.id}: ${r.state === 'failed' ? r.message : `interrupted (its owner, ${r.owner}, is gone)`}`);
      for (const line of tail(r.log)) out.push(`    ${line}`);
    }
    out.push('');
  }
  process.stdout.write(out.join('\n') + '\n');
}
