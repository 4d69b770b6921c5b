// The `mat` command line.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ALGORITHMS, type HParamValue } from '../algorithms/registry.js';
import { UsageError } from './datasets.js';
import { trainCommand } from './train.js';
import { demoCommand } from './demo.js';

function integer(name: string, min = 0) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
}

function positive(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${v}"`);
    return n;
  };
}

function nonNegative(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0, got "${v}"`);
    return n;
  };
}

function hparam(v: string, prev: Record<string, HParamValue>) {
  const m = /^([A-Za-z_][\w]*)=(.+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--hparam takes name=value, got "${v}"`);
  const n = Number(m[2]);
  return { ...prev, [m[1]]: Number.isFinite(n) ? n : m[2] };
}

function batchSize(v: string): number | 'full' {
  return v === 'full' ? 'full' : integer('batch size', 1)(v);
}

const program = new Command();
program
  .name('mat')
  .description('Memorization-Aware Training and the subpopulation-shift toolkit around it')
  .showHelpAfterError()
  .exitOverride();

program
  .command('train')
  .description('train one algorithm on one dataset and seed; print accuracy per group')
  .requiredOption('--data <name>', 'built-in dataset: fig1, cmnist, embeddings')
  .option('--noise <sigma>', 'noise level σ of the Figure 1 data', nonNegative('noise'))
  .addOption(new Option('--algorithm <name>', 'algorithm').choices(ALGORITHMS.map((a) => a.name)).default('erm'))
  .option('--seed <n>', 'random seed', integer('seed'), 0)
  .option('--steps <n>', 'training steps (default: the dataset preset)', integer('steps', 1))
  .option('--lr <x>', 'learning rate (default: the dataset preset)', positive('learning rate'))
  .option('--batch-size <n>', 'batch size or "full" (default: the dataset preset)', batchSize)
  .option('--hparam <name=value>', 'algorithm hyperparameter, e.g. tau=0.1 (repeatable)', hparam, {})
  .option('--threads <n>', 'ONNX Runtime threads (default: MAT_THREADS or all cores)', integer('threads', 1))
  .option('--out <dir>', 'save config.json, results.jsonl and model.onnx here')
  .option('--json', 'print the summary as one JSON line')
  .option('--quiet', 'no progress output')
  .action((opts) => trainCommand(opts));

program
  .command('demo')
  .description('the paper in miniature: Figure 1 and ColorMNIST, ERM vs MAT and baselines')
  .addOption(new Option('--only <experiment>', 'run one experiment').choices(['fig1', 'cmnist', 'embeddings']))
  .option('--seeds <n>', 'seeds per method', integer('seeds', 1))
  .option('--out <dir>', 'results folder', 'results/demo')
  .option('--threads <n>', 'ONNX Runtime threads', integer('threads', 1))
  .option('--json', 'print the summary as JSON on stdout')
  .option('--quiet', 'no progress output')
  .action((opts) => demoCommand(opts));

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; bad flags exit 2 (commander has printed the message).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const e = err as Error;
    process.stderr.write(`mat: ${e.message}\n`);
    if (process.env.MAT_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = err instanceof UsageError || e.name === 'DataError' ? 2 : 1;
  }
}
