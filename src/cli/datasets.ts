// Resolving --data for the commands: a built-in name (with its options) or a file.
import { loadBuiltin, builtinDatasets } from '../data/builtin.js';
import type { Dataset } from '../data/dataset.js';

export interface DataFlags {
  data: string;
  noise?: number;
  seed: number;
}

export async function resolveDataset(flags: DataFlags): Promise<Dataset> {
  if (flags.data in builtinDatasets) {
    const options: Record<string, number> = { seed: flags.seed };
    if (flags.noise !== undefined) options.noise = flags.noise;
    return loadBuiltin(flags.data, options);
  }
  throw new UsageError(`unknown dataset "${flags.data}"; built-in datasets: ${Object.keys(builtinDatasets).join(', ')}`);
}

/** An error in what the user asked for: the CLI prints it and exits with code 2. */
export class UsageError extends Error {}
