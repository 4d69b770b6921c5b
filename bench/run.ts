// `npm run bench`: W1–W6 on our engine and, when python3 can import torch, the PyTorch reference
// in the same invocation; prints one JSON line per workload and our/PyTorch ratios.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkloadResult } from './workloads.js';
import { nativeKernels } from '../src/engine/native.js';
import { defaultRunner } from '../src/engine/runtime.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const only = (args.find((a) => a.startsWith('--only='))?.slice(7) ?? 'W1,W2,W3,W4,W5,W6,W7').split(',').filter(Boolean);
// W7 has no counterpart in torch_reference.py: bench/torch_w7.py times it in PyTorch, and
// reference.md gives the official code's time (about 2.8 s) for comparison.
const OWN_TORCH_SCRIPTS: Record<string, string> = { W7: join(here, '..', '..', 'bench', 'torch_w7.py') };
const OFFICIAL_SECONDS: Record<string, number> = { W7: 2.8 };
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10) ?? 2);
const skipTorch = args.includes('--no-torch');

function findReference(): string | undefined {
  const candidates = [process.env.MAT_TORCH_REFERENCE, resolve(here, '../../../shared/bench/torch_reference.py'), resolve(here, '../../shared/bench/torch_reference.py')];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

function torchAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

console.log(`# optimizer updates: ${nativeKernels() ? 'fused native kernels (native/kernels.cc)' : 'inside the ONNX graph (native kernels not built)'}`);
console.log(`# sessions: ${defaultRunner() === 'native' ? 'the native runner (native/ort_runner.cc)' : "onnxruntime-node's InferenceSession"}`);
const ours: Record<string, WorkloadResult> = {};
for (const id of only) {
  const out = execFileSync(process.execPath, [join(here, 'one.js'), id, String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const result = JSON.parse(out.trim().split('\n').pop()!) as WorkloadResult;
  ours[id] = result;
  console.log(JSON.stringify({ engine: 'mat', threads, ...result }));
}

const reference = findReference();
if (skipTorch || !reference || !torchAvailable()) {
  console.log(`# PyTorch reference not run (${skipTorch ? '--no-torch' : !reference ? 'torch_reference.py not found; set MAT_TORCH_REFERENCE' : 'python3 cannot import torch'})`);
} else {
  for (const [id, seconds] of Object.entries(OFFICIAL_SECONDS)) {
    if (ours[id]) console.log(`# ${id}: ours ${ours[id].seconds.toFixed(2)} s; the official code takes about ${seconds} s (reference.md, not measured in this run): ratio ${(seconds / ours[id].seconds).toFixed(2)}×`);
  }
  const shared = only.filter((id) => !(id in OWN_TORCH_SCRIPTS));
  let out = shared.length ? execFileSync('python3', [reference, '--threads', String(threads), '--only', shared.join(',')], { encoding: 'utf8' }) : '';
  for (const id of only.filter((id) => id in OWN_TORCH_SCRIPTS)) {
    out += execFileSync('python3', [OWN_TORCH_SCRIPTS[id], '--threads', String(threads)], { encoding: 'utf8' });
  }
  const rows: string[] = [];
  for (const line of out.trim().split('\n').filter(Boolean)) {
    const ref = JSON.parse(line) as WorkloadResult;
    console.log(JSON.stringify({ engine: 'pytorch', threads, ...ref }));
    const id = ref.workload.split(' ')[0];
    const mine = ours[id];
    if (!mine) continue;
    const ratio = mine.steps_per_s !== undefined ? mine.steps_per_s / ref.steps_per_s! : mine.examples_per_s! / ref.examples_per_s!;
    rows.push(`${id}  ours ${fmt(mine.steps_per_s ?? mine.examples_per_s!)}  pytorch ${fmt(ref.steps_per_s ?? ref.examples_per_s!)}  ratio ${ratio.toFixed(2)}×${mine.peak_rss_mb ? `  peak ${mine.peak_rss_mb} MB` : ''}`);
    console.log(JSON.stringify({ workload: id, ratio: Math.round(ratio * 100) / 100 }));
  }
  console.log(`# our/PyTorch, ${threads} threads (${unit()}):\n# ${rows.join('\n# ')}`);
}

function fmt(v: number): string {
  return v.toFixed(1).padStart(9);
}
function unit(): string {
  return 'steps/s, examples/s for W6';
}
