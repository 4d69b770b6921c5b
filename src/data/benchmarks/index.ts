// Benchmark adapters for the paper's Table 1 datasets, by name.
import type { Dataset } from '../dataset.js';
import { InputError } from '../../util/errors.js';
import { loadCelebA, type CelebAOptions } from './celeba.js';
import { loadCivilComments, type CivilCommentsOptions } from './civilcomments.js';
import { loadMultiNLI, type MultiNLIOptions } from './multinli.js';
import { loadWaterbirds, type WaterbirdsOptions } from './waterbirds.js';

export * from './backbone.js';
export * from './common.js';
export * from './waterbirds.js';
export * from './celeba.js';
export * from './multinli.js';
export * from './civilcomments.js';
export * from './embed.js';

export const BENCHMARKS = ['waterbirds', 'celeba', 'multinli', 'civilcomments'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export interface BenchmarkOptionsByName {
  waterbirds: WaterbirdsOptions;
  celeba: CelebAOptions;
  multinli: MultiNLIOptions;
  civilcomments: CivilCommentsOptions;
}

/** Which kind of backbone a benchmark takes. */
export const BENCHMARK_MODALITY: Record<BenchmarkName, 'image' | 'text'> = {
  waterbirds: 'image',
  celeba: 'image',
  multinli: 'text',
  civilcomments: 'text',
};

export async function loadBenchmark<N extends BenchmarkName>(name: N, opts: BenchmarkOptionsByName[N]): Promise<Dataset> {
  switch (name) {
    case 'waterbirds': return loadWaterbirds(opts as WaterbirdsOptions);
    case 'celeba': return loadCelebA(opts as CelebAOptions);
    case 'multinli': return loadMultiNLI(opts as MultiNLIOptions);
    case 'civilcomments': return loadCivilComments(opts as CivilCommentsOptions);
    default: throw new InputError(`unknown benchmark "${name as string}"; known: ${BENCHMARKS.join(', ')}`);
  }
}
