// `mat embed`: run an ONNX backbone once over a benchmark folder; the embeddings become a folder of
// .npy files (x, y, a, split) that `--data DIR` reads in every other command. Resumable in chunks.
import { BENCHMARKS, BENCHMARK_MODALITY, embedBenchmark, type BenchmarkName } from '../data/benchmarks/index.js';
import { InputError } from '../util/errors.js';
import { makeProgress } from './progress.js';
import { resolveExecution } from '../engine/execution.js';

export interface EmbedFlags {
  data: string;
  backbone: string;
  tokenizer?: string;
  out: string;
  batchSize?: number;
  chunk?: number;
  maxLength?: number;
  threads?: number;
  quiet?: boolean;
}

export async function embedCommand(flags: EmbedFlags): Promise<void> {
  const m = /^([a-z]+):(.+)$/.exec(flags.data);
  if (!m || !(BENCHMARKS as readonly string[]).includes(m[1])) {
    throw new InputError(`--data ${flags.data}: expected a benchmark folder, ${BENCHMARKS.map((b) => `${b}:DIR`).join(', ')}`);
  }
  const benchmark = m[1] as BenchmarkName;
  const text = BENCHMARK_MODALITY[benchmark] === 'text';
  if (text && !flags.tokenizer) throw new InputError(`--backbone for ${benchmark} (text) needs --tokenizer tokenizer.json`);
  if (!text && flags.tokenizer) throw new InputError(`--tokenizer: ${benchmark} is an image benchmark; its backbone takes pixels`);
  if (!text && flags.maxLength) throw new InputError(`--max-length: ${benchmark} is an image benchmark`);
  const progress = makeProgress({ quiet: flags.quiet });
  const t0 = performance.now();
  let result;
  try {
    result = await embedBenchmark({
      benchmark,
      root: m[2],
      backbone: {
        onnx: flags.backbone,
        ...(flags.tokenizer ? { tokenizer: flags.tokenizer } : {}),
        ...(flags.maxLength ? { maxLength: flags.maxLength } : {}),
        ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
        threads: flags.threads ?? resolveExecution({ native: false }).threads,
      },
      out: flags.out,
      chunkRows: flags.chunk,
      onProgress: (done, total) => progress.update(done, total, `embed ${benchmark}`),
    });
  } finally {
    progress.stop();
  }
  if (!flags.quiet) {
    const what = result.computed || result.reused
      ? `${result.computed} chunk${result.computed === 1 ? '' : 's'} computed now, ${result.reused} reused`
      : 'already complete';
    process.stderr.write(
      `mat embed: ${result.rows} rows × ${result.dim} features in ${flags.out} (${what}; ${((performance.now() - t0) / 1000).toFixed(1)} s)\n` +
      `mat embed: next: mat train --data ${flags.out} --attr a\n`,
    );
  }
}
