// The `mat` command line.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ALGORITHMS, type HParamValue } from '../algorithms/registry.js';
import { isUserError } from '../util/errors.js';
import { trainCommand } from './train.js';
import { demoCommand } from './demo.js';
import { sweepCommand, sweepTaskCommand } from './sweep.js';
import { statusCommand } from './status.js';
import { reportCommand } from './report.js';
import { predictCommand } from './predict.js';
import { embedCommand } from './embed.js';
import { memorizationCommand } from './memorization.js';
import { setExecutionDefaults } from '../engine/index.js';
import { executionFromEnvironment } from '../environment.js';

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

/** How a data file or benchmark folder is read: its columns, and where a benchmark's embeddings come from. */
function dataReadingOptions(command: Command): Command {
  return command
    .option('--label <column>', 'label column or array of a data file')
    .option('--attr <column>', 'attribute (spurious feature) column or array of a data file')
    .option('--split <column>', 'split column or array (train/val/test) of a data file (default "split")')
    .option('--embeddings <file.npy>', 'benchmark folders: precomputed embeddings, one row per metadata row')
    .option('--backbone <model.onnx>', 'benchmark folders: compute the embeddings with this ONNX backbone')
    .option('--tokenizer <tokenizer.json>', 'text benchmarks with --backbone: the tokenizer');
}

const program = new Command();
program
  .name('mat')
  .description('Memorization-Aware Training and the subpopulation-shift toolkit around it')
  .option('--debug', 'print the stack trace of an error')
  .showHelpAfterError()
  .exitOverride()
  // Execution options are settled once, here: the environment, then the command's flags.
  .hook('preAction', (_program, command) => {
    const flags = command.opts() as { threads?: number; native?: boolean };
    setExecutionDefaults({ ...executionFromEnvironment(), ...(flags.threads ? { threads: flags.threads } : {}), ...(flags.native === false ? { native: false } : {}) });
  });

dataReadingOptions(program
  .command('train')
  .description('train one algorithm on one dataset and seed; print accuracy per group')
  .requiredOption('--data <name, file or folder>', 'built-in dataset (fig1, cmnist, embeddings), a .npz/.csv/.parquet file, a folder of .npy files, or a benchmark folder (waterbirds:DIR, celeba:DIR, multinli:DIR, civilcomments:DIR)'))
  .option('--noise <sigma>', 'noise level σ of the Figure 1 data', nonNegative('noise'))
  .addOption(new Option('--algorithm <name>', 'algorithm').choices(ALGORITHMS.map((a) => a.name)).default('erm'))
  .option('--seed <n>', 'random seed', integer('seed'), 0)
  .option('--steps <n>', 'training steps (default: the dataset preset)', integer('steps', 1))
  .option('--lr <x>', 'learning rate (default: the dataset preset)', positive('learning rate'))
  .option('--batch-size <n>', 'batch size or "full" (default: the dataset preset)', batchSize)
  .option('--hparam <name=value>', 'algorithm hyperparameter, e.g. tau=0.1 (repeatable)', hparam, {})
  .option('--heldout <source>', 'where held-out predictions come from: xrm (twins, the default) or kfold')
  .option('--folds <k>', 'folds of --heldout kfold (default 2)', integer('folds', 2))
  .option('--scale <how>', 'linear heads (embeddings, data files): standard (z-scores by training statistics, the default) or none')
  .option('--threads <n>', 'ONNX Runtime threads (default: MAT_THREADS or all cores)', integer('threads', 1))
  .option('--no-native', 'run without the native addon (onnxruntime-node sessions, optimizer inside the graph)')
  .option('--out <dir>', 'save config.json, results.jsonl and model.onnx here')
  .option('--cache <dir>', 'reuse held-out predictions saved here (keyed by data and settings)', '.mat-cache')
  .option('--no-cache', 'always recompute held-out predictions')
  .option('--json', 'print the summary as one JSON line')
  .option('--quiet', 'no progress output')
  .action((opts) => trainCommand(opts));

program
  .command('demo')
  .description('the paper in miniature: Figure 1 and ColorMNIST, ERM vs MAT and baselines')
  .addOption(new Option('--only <experiment>', 'run one experiment').choices(['fig1', 'cmnist', 'embeddings']))
  .option('--seeds <n>', 'seeds per method', integer('seeds', 1))
  .option('--out <dir>', 'results folder', 'results/demo')
  .option('--threads <n>', 'ONNX Runtime threads (default: MAT_THREADS or all cores)', integer('threads', 1))
  .option('--no-native', 'run without the native addon (onnxruntime-node sessions, optimizer inside the graph)')
  .option('--json', 'print the summary as JSON on stdout')
  .option('--quiet', 'no progress output')
  .action((opts) => demoCommand(opts));

dataReadingOptions(program
  .command('sweep')
  .description('random search × seeds × algorithms × datasets into a results folder; reruns skip finished runs and resume the rest')
  .requiredOption('--data <names or paths>', 'built-in datasets (fig1, cmnist, embeddings), data files (.npz, .csv, .parquet), folders of .npy files or benchmark folders (waterbirds:DIR, ...), comma-separated'))
  .option('--algorithms <list>', 'comma-separated algorithms (xrm runs first when any needs held-out predictions)', 'xrm,erm,mat,xrm+groupdro')
  .option('--combos <n>', 'hyperparameter combinations (the first is the defaults)', integer('combos', 1), 10)
  .option('--seeds <n>', 'seeds per combination', integer('seeds', 1), 3)
  .option('--steps <n>', 'training steps (default: the dataset preset)', integer('steps', 1))
  .requiredOption('--out <dir>', 'sweep folder')
  .option('--heldout <source>', 'held-out source for the methods that need one: xrm (the default) or kfold')
  .option('--folds <k>', 'folds of --heldout kfold (default 2)', integer('folds', 2))
  .option('--xrm-select <rule>', "which held-out run a seed's methods use: flip (largest flip rate, the official rule; the default) or capped (largest flip rate at most twice the median)")
  .option('--scale <how>', 'linear heads (embeddings, data files): standard (the default) or none')
  .option('--workers <n>', 'parallel workers (default: the machine\'s cores)', integer('workers', 1))
  .option('--threads <n>', 'ONNX Runtime threads per worker (default: cores / workers)', integer('threads', 1))
  .option('--no-native', 'run without the native addon (onnxruntime-node sessions, optimizer inside the graph)')
  .option('--quiet', 'no progress output')
  .addOption(new Option('--executor <name>', 'where runs execute: here, or as Slurm job arrays').choices(['local', 'slurm']).default('local'))
  .option('--wait', 'slurm: wait for the jobs, with progress from the results folder (default: return after submitting)')
  .option('--slurm-partition <name>', 'slurm: sbatch --partition')
  .option('--slurm-time <limit>', 'slurm: sbatch --time, per array task (e.g. 1:00:00)')
  .option('--slurm-cpus-per-task <n>', 'slurm: sbatch --cpus-per-task, also the threads of each run (default 1)', integer('cpus per task', 1))
  .option('--slurm-mem <size>', 'slurm: sbatch --mem (e.g. 4G)')
  .option('--slurm-array-parallelism <n>', 'slurm: at most this many array tasks at once (--array=…%n)', integer('array parallelism', 1))
  .option('--slurm-tasks <n>', 'slurm: array tasks per phase, each taking free runs until none is left (default: as many as the partition\'s CPUs hold, at most one per run)', integer('tasks', 1))
  .option('--slurm-extra <options>', 'slurm: more sbatch options, e.g. "--account=lab --qos=low"')
  .action((opts) => sweepCommand(opts));

program
  .command('predict')
  .description('logits, probabilities and predicted class of a saved model for the rows of a data file; accuracy per group when it has labels')
  .requiredOption('--model <model.onnx>', 'a model saved by mat train --out (data.json beside it tells how its data was read)')
  .requiredOption('--data <file or folder>', 'a .npz/.csv/.parquet file or a folder of .npy files')
  .option('--out <file>', 'predictions: .csv (row, pred, logit_k, prob_k), .npy (n × (2K+1): logits, probabilities, class) or .npz (logits, probs, pred)')
  .option('--label <column>', 'label column or array (default: the one named at training, when present)')
  .option('--attr <column>', 'attribute column or array (default: the one named at training, when present)')
  .option('--split <column>', 'split column or array (default: "split", when present)')
  .option('--threads <n>', 'ONNX Runtime threads', integer('threads', 1))
  .option('--json', 'print the summary as one JSON line')
  .action((opts) => predictCommand(opts));

program
  .command('embed')
  .description('run an ONNX backbone once over a benchmark folder; write the embeddings as x.npy, y.npy, a.npy, split.npy (resumable)')
  .requiredOption('--data <benchmark:DIR>', 'waterbirds:DIR, celeba:DIR, multinli:DIR or civilcomments:DIR')
  .requiredOption('--backbone <model.onnx>', 'the ONNX backbone')
  .option('--tokenizer <tokenizer.json>', 'text benchmarks: the backbone\'s tokenizer')
  .requiredOption('--out <dir>', 'output folder (rerun the same command to resume)')
  .option('--batch-size <n>', 'examples per forward pass (default 32)', integer('batch size', 1))
  .option('--chunk <n>', 'rows saved per chunk: the unit of resumption (default 1024)', integer('chunk', 1))
  .option('--max-length <n>', 'text benchmarks: tokens per example (default 128)', integer('max length', 1))
  .option('--threads <n>', 'ONNX Runtime threads (default: all cores)', integer('threads', 1))
  .option('--quiet', 'no progress output')
  .action((opts) => embedCommand(opts));

program
  .command('sweep-task', { hidden: true })
  .description('one Slurm array task of a sweep (written into the batch scripts of mat sweep --executor slurm)')
  .argument('<dir>', 'sweep folder')
  .requiredOption('--runs <file>', 'the phase\'s runs (JSON list of run ids)')
  .requiredOption('--index <n>', 'the array task index', integer('index'))
  .requiredOption('--tasks <n>', 'array tasks of the phase', integer('tasks', 1))
  .option('--job <id>', 'the Slurm job (ARRAYJOB_TASK), recorded in run claims')
  .option('--log <file>', 'this task\'s output file, recorded with failures')
  .option('--threads <n>', 'ONNX Runtime threads', integer('threads', 1))
  .action((dir, opts) => sweepTaskCommand(dir, opts));

program
  .command('status')
  .description('finished, running, failed and not started runs of a sweep folder, per phase and method, and its Slurm jobs')
  .argument('<dir>', 'sweep folder')
  .option('--json', 'print the status as JSON on stdout')
  .action((dir, opts) => statusCommand(dir, opts));

program
  .command('report')
  .description('Table-1-style tables of a sweep folder under each selection criterion (also writes report.md, .csv, .json there; --html: report.html)')
  .argument('<dir>', 'sweep folder')
  .option('--json', 'print the report as JSON on stdout')
  .option('--html', 'also write report.html (figures and tables in one file); works on mat demo and mat memorization folders too')
  .action((dir, opts) => reportCommand(dir, opts));

dataReadingOptions(program
  .command('memorization')
  .description("per-example memorization scores of each method's own training (K-fold: p(y|x) trained with x minus without), per group")
  .requiredOption('--data <name, file or folder>', 'built-in dataset (fig1, cmnist, embeddings), a .npz/.csv/.parquet file, a folder of .npy files, or a benchmark folder (waterbirds:DIR, ...)'))
  .option('--methods <list>', 'comma-separated methods to score', 'erm,mat')
  .option('--folds <k>', 'folds K ≥ 2: each example is left out of one model', integer('folds', 0), 5)
  .option('--seeds <n>', 'seeds per method', integer('seeds', 1), 3)
  .option('--steps <n>', 'training steps (default: the dataset preset)', integer('steps', 1))
  .addOption(new Option('--stop <rule>', 'score the model at the step selected by validation worst-group accuracy (default), or the last (default for fig1, trained a fixed number of epochs as in the paper)').choices(['va_wga', 'final']))
  .option('--cache <dir>', 'reuse held-out predictions saved here (keyed by data and settings)', '.mat-cache')
  .option('--no-cache', 'always recompute held-out predictions')
  .option('--threads <n>', 'ONNX Runtime threads (default: MAT_THREADS or all cores)', integer('threads', 1))
  .option('--no-native', 'run without the native addon (onnxruntime-node sessions, optimizer inside the graph)')
  .option('--json', 'print the per-group summary as one JSON line')
  .option('--out <dir>', 'save memorization.json, scores.csv (per example) and report.html here')
  .option('--quiet', 'no progress output')
  .action((opts) => memorizationCommand(opts));

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; bad flags exit 2 (commander has printed the message).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    // Bad input (an InputError) exits 2, any other failure 1.
    const e = err as Error;
    process.stderr.write(`mat: ${e?.message ?? String(err)}\n`);
    if (program.opts().debug && e?.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = isUserError(err) ? 2 : 1;
  }
}
