// `npm run bench`: W1–W7 on our engine and, when python3 can import torch, the PyTorch reference
// in the same invocation. The two sides take turns, workload by workload, for a few rounds, and
// the ratio compares their medians: the machine's load changes from minute to minute, and both
// sides should meet the same load.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkloadResult } from './workloads.js';
import { resolveExecution } from '../src/engine/index.js';
import { executionFromEnvironment } from '../src/environment.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = (option('only') ?? 'W1,W2,W3,W4,W5,W6,W7').split(',').filter(Boolean);
const threads = Number(option('threads') ?? 2);
const rounds = Number(option('rounds') ?? 3);
if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error(`--rounds must be a positive integer, got ${option('rounds')}`);
// W7 spreads most between rounds (training and evaluation keep both cores busy, so a slow minute
// slows everything): without --rounds it takes 7, so that its median rests on more than three.
const W7_ROUNDS = 7;
const roundsFor = (id: string) => (option('rounds') === undefined && id === 'W7' ? W7_ROUNDS : rounds);
const skipTorch = args.includes('--no-torch');
// W7 has no counterpart in torch_reference.py: bench/torch_w7.py times it in PyTorch, and
// reference.md gives the official code's time (about 2.8 s) for comparison.
const OWN_TORCH_SCRIPTS: Record<string, string> = { W7: join(here, '..', '..', 'bench', 'torch_w7.py') };
const OFFICIAL_SECONDS: Record<string, number> = { W7: 2.8 };

function findReference(): string | undefined {
  const candidates = [process.env.MAT_TORCH_REFERENCE, resolve(here, '../../../shared/bench/torch_reference.py'), resolve(here, '../../shared/bench/torch_reference.py')];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

function torchAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

function lastJsonLine(out: string): WorkloadResult {
  return JSON.parse(out.trim().split('\n').pop()!) as WorkloadResult;
}

function runOurs(id: string): WorkloadResult {
  return lastJsonLine(execFileSync(process.execPath, [join(here, 'one.js'), id, String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 }));
}

function runTorch(id: string, reference: string): WorkloadResult {
  const script = OWN_TORCH_SCRIPTS[id];
  const argv = script ? [script, '--threads', String(threads)] : [reference, '--threads', String(threads), '--only', id];
  return lastJsonLine(execFileSync('python3', argv, { encoding: 'utf8' }));
}

/** Throughput: steps/s, or rows/s for the prediction workload. */
function rate(r: WorkloadResult): number {
  return r.steps_per_s ?? r.examples_per_s!;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const reference = findReference();
const why = skipTorch ? '--no-torch' : !reference ? 'torch_reference.py not found; set MAT_TORCH_REFERENCE' : !torchAvailable() ? 'python3 cannot import torch' : '';
const native = resolveExecution(executionFromEnvironment()).native;
console.log(`# engine: ${native ? 'the native addon (session runner and fused optimizer updates)' : 'onnxruntime-node sessions, optimizer inside the ONNX graph'}`);
const roundsNote = option('rounds') === undefined && only.includes('W7') ? ` (W7: ${W7_ROUNDS})` : '';
console.log(`# ${threads} threads, ${rounds} round${rounds > 1 ? 's' : ''} per workload${roundsNote}${why ? `; PyTorch reference not run (${why})` : ', ours and PyTorch in turn'}`);

const rows: string[] = [];
for (const id of only) {
  const mine: WorkloadResult[] = [];
  const theirs: WorkloadResult[] = [];
  for (let round = 0; round < roundsFor(id); round++) {
    const ours = runOurs(id);
    mine.push(ours);
    console.log(JSON.stringify({ engine: 'mat', threads, round, ...ours }));
    if (why) continue;
    const ref = runTorch(id, reference!);
    theirs.push(ref);
    console.log(JSON.stringify({ engine: 'pytorch', threads, round, ...ref }));
  }
  const ourRate = median(mine.map(rate));
  const peak = Math.max(...mine.map((r) => r.peak_rss_mb ?? 0));
  const official = OFFICIAL_SECONDS[id];
  const ourSeconds = median(mine.map((r) => r.seconds));
  const officialNote = official ? `; the official code takes about ${official} s (reference.md): ${(official / ourSeconds).toFixed(2)}×` : '';
  if (why) {
    rows.push(`${id}  ours ${fmt(ourRate)}${peak ? `  peak ${peak} MB` : ''}${officialNote}`);
    continue;
  }
  const theirRate = median(theirs.map(rate));
  const ratio = ourRate / theirRate;
  const perRound = mine.map((r, i) => rate(r) / rate(theirs[i]));
  console.log(JSON.stringify({ workload: id, ratio: round2(ratio), ratio_per_round: perRound.map(round2) }));
  rows.push(`${id}  ours ${fmt(ourRate)}  pytorch ${fmt(theirRate)}  ratio ${ratio.toFixed(2)}×  (rounds ${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}×)${peak ? `  peak ${peak} MB` : ''}${officialNote}`);
}
console.log(`# medians of ${rounds} round${rounds > 1 ? 's' : ''}${roundsNote}, ${why ? '' : 'our/PyTorch, '}steps/s (rows/s for W6):\n# ${rows.join('\n# ')}`);

function fmt(v: number): string {
  return v.toFixed(1).padStart(9);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
