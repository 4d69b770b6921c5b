// Peak memory of XRM then MAT on CelebA-sized embeddings (162,770 × 2048 float32 training rows,
// 19,867 val and 19,962 test rows), linear heads, 10,001 steps each (target: peak under 3 GB).
// The data is built straight into SharedArrayBuffers, as sweep workers see it, so every path that
// feeds ONNX Runtime from shared memory is exercised.
//
//   npx tsc -p tsconfig.json && MAT_THREADS=2 node dist/bench/celebaMemory.js [steps]
//
// Prints one JSON line: seconds per phase and peak RSS (process.resourceUsage().maxRSS) in MB.
import type { Dataset, Split } from '../src/data/dataset.js';
import { runMethod, xrmFor } from '../src/experiments/method.js';
import { linearHeadPreset } from '../src/experiments/presets.js';

const N_TRAIN = 162_770;
const N_VAL = 19_867;
const N_TEST = 19_962;
const DIM = 2048;
/** P(a = y): the spurious attribute agrees with the label on 95% of the rows (minority groups 5%). */
const AGREE = 0.95;

const steps = Number(process.argv[2] ?? 10_001);
if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`steps must be a positive integer, got ${process.argv[2]}`);

/**
 * One split in shared memory. y shows weakly along 16 dimensions, a strongly along 16 others, the
 * rest is noise: the sum of two 16-bit uniforms from one xorshift32 draw (triangular, unit variance);
 * 333M draws through Rng.normal would dominate the run.
 */
function makeSplit(n: number, seed: number): Split {
  const x = new Float32Array(new SharedArrayBuffer(n * DIM * 4));
  const y = new Int32Array(new SharedArrayBuffer(n * 4));
  const a = new Int32Array(new SharedArrayBuffer(n * 4));
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
  const unit = 2 ** -32;
  const scale = Math.sqrt(6) / 65536;
  for (let i = 0; i < n; i++) {
    y[i] = next() * unit < 0.5 ? 1 : 0;
    a[i] = next() * unit < AGREE ? y[i] : 1 - y[i];
    const core = 0.5 * (2 * y[i] - 1);
    const spurious = 1.5 * (2 * a[i] - 1);
    const row = i * DIM;
    for (let j = 0; j < DIM; j++) {
      const r = next();
      let v = ((r >>> 16) + (r & 0xffff) - 65535) * scale;
      if (j < 16) v += core;
      else if (j < 32) v += spurious;
      x[row + j] = v;
    }
  }
  return { x, y, a };
}

const mb = (kb: number) => Math.round(kb / 1024);
const t0 = performance.now();
const ds: Dataset = {
  name: 'celeba-sized',
  dim: DIM,
  numClasses: 2,
  numAttributes: 2,
  train: makeSplit(N_TRAIN, 1),
  val: makeSplit(N_VAL, 2),
  test: makeSplit(N_TEST, 3),
};
const tData = performance.now();
const rssAfterData = mb(process.resourceUsage().maxRSS);

const preset = linearHeadPreset(ds);
preset.xrm.steps = steps;
preset.train.steps = steps;
const heldOut = await xrmFor(ds, preset, 0);
const tXrm = performance.now();
const rssAfterXrm = mb(process.resourceUsage().maxRSS);
const mat = await runMethod(ds, preset, 'mat', 0, { heldOut });
await mat.result.classifier.dispose();
const tMat = performance.now();

const peak = mb(process.resourceUsage().maxRSS);
const dataMB = Math.round(([ds.train, ds.val, ds.test].reduce((s, p) => s + p.x.byteLength + p.y.byteLength + p.a!.byteLength, 0)) / 2 ** 20);
console.log(JSON.stringify({
  bench: 'celebaMemory',
  rows: { train: N_TRAIN, val: N_VAL, test: N_TEST, dim: DIM },
  steps,
  dataMB,
  seconds: {
    data: +((tData - t0) / 1000).toFixed(1),
    xrm: +((tXrm - tData) / 1000).toFixed(1),
    mat: +((tMat - tXrm) / 1000).toFixed(1),
    total: +((tMat - t0) / 1000).toFixed(1),
  },
  flipRate: +heldOut.flipRate.toFixed(4),
  matTest: { avg: +mat.final.test.avgAcc.toFixed(4), worstGroup: +mat.final.test.worstGroupAcc.toFixed(4) },
  peakRssMB: { afterData: rssAfterData, afterXrm: rssAfterXrm, end: peak },
  underTarget: peak < 3072,
}));
