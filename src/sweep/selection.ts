// Which XRM run a seed's other runs use (design.md 2.1: hyperparameters of the twins by flip rate).
import type { DoneRecord } from './store.js';

/**
 * The XRM run a seed's other runs use: the largest final flip rate among finished runs; degenerate runs
 * count 0, diverged runs are not candidates; ties go to the lower combination. Undefined when none is usable.
 */
export function selectXrmRun(candidates: readonly { combo: number; record: DoneRecord }[]): number | undefined {
  let best: { combo: number; score: number } | undefined;
  for (const { combo, record } of [...candidates].sort((a, b) => a.combo - b.combo)) {
    if (record.status !== 'ok') continue;
    const score = record.degenerate ? 0 : (record.flipRate ?? 0);
    if (!best || score > best.score) best = { combo, score };
  }
  return best?.combo;
}

