// Spurious embeddings (Waterbirds-shaped): MAT's worst-group accuracy above ERM's on every seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../src/data/builtin.js';
import { selectStep } from '../src/eval/selection.js';
import { runMethod, xrmFor } from '../src/experiments/method.js';
import { presetFor } from '../src/experiments/presets.js';

test('spurious embeddings, 3 seeds: MAT beats ERM on worst-group accuracy on every seed', async () => {
  for (const seed of [0, 1, 2]) {
    const ds = loadBuiltin('embeddings', { seed });
    const preset = presetFor(ds);
    const heldOut = await xrmFor(ds, preset, seed, { execution: { threads: 1 } });
    const wga: Record<string, number> = {};
    for (const algorithm of ['erm', 'mat']) {
      const run = await runMethod(ds, preset, algorithm, seed, { heldOut, execution: { threads: 1 } });
      await run.result.classifier.dispose();
      wga[algorithm] = selectStep(run.curve, 'va_wga').test.worstGroupAcc;
    }
    assert.ok(wga.mat > wga.erm + 0.1, `seed ${seed}: MAT ${wga.mat} vs ERM ${wga.erm}`);
  }
});
