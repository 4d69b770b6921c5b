// Which XRM run a seed's other runs use (design.md 2.1: hyperparameters of the twins by flip rate).
import type { DoneRecord } from './store.js';

/**
 * 'flip': the official rule, the largest final flip rate. 'capped': the largest flip rate among runs
 * whose flip rate is at most twice the median of the usable runs, so that a runaway run (a
 * near-chance held-out model flipping labels at random) is not picked.
 */
export type XrmSelectionRule = 'flip' | 'capped';
export const XRM_SELECTION_RULES: readonly XrmSelectionRule[] = ['flip', 'capped'];

/** A flip rate above this multiple of the median is a runaway under the 'capped' rule. */
export const RUNAWAY_FLIP_RATIO = 2;

/**
 * The XRM run a seed's other runs use: the largest final flip rate among finished runs; degenerate runs
 * count 0, diverged runs are not candidates; ties go to the lower combination. Undefined when none is usable.
 */
export function selectXrmRun(candidates: readonly { combo: number; record: DoneRecord }[], rule: XrmSelectionRule = 'flip'): number | undefined {
  const scored = [...candidates].sort((a, b) => a.combo - b.combo)
    .filter(({ record }) => record.status === 'ok')
    .map(({ combo, record }) => ({ combo, score: record.degenerate ? 0 : (record.flipRate ?? 0) }));
  let cap = Infinity;
  if (rule === 'capped') {
    const usable = scored.map((s) => s.score).filter((v) => v > 0).sort((a, b) => a - b);
    if (usable.length) {
      const mid = usable.length >> 1;
      const median = usable.length % 2 ? usable[mid] : (usable[mid - 1] + usable[mid]) / 2;
      cap = RUNAWAY_FLIP_RATIO * median;
    }
  }
  let best: { combo: number; score: number } | undefined;
  for (const s of scored) {
    if (s.score > cap) continue;
    if (!best || s.score > best.score) best = s;
  }
  return best?.combo;
}
