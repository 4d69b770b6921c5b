// Resolving --data for the commands: a built-in name (with its options) or a data file.
import { loadBuiltin, builtinDatasets } from '../data/builtin.js';
import type { Dataset } from '../data/dataset.js';
import { loadSpec, parseDataArg } from '../sweep/datasets.js';
import { InputError } from '../util/errors.js';

export interface DataFlags {
  data: string;
  noise?: number;
  seed: number;
  label?: string;
  attr?: string;
  split?: string;
}

export async function resolveDataset(flags: DataFlags): Promise<Dataset> {
  if (Object.prototype.hasOwnProperty.call(builtinDatasets, flags.data)) {
    const options: Record<string, number> = { seed: flags.seed };
    if (flags.noise !== undefined) options.noise = flags.noise;
    return loadBuiltin(flags.data, options);
  }
  if (flags.noise !== undefined) throw new InputError('--noise applies to the built-in fig1 data only');
  const specs = parseDataArg(flags.data, flags);
  if (specs.length !== 1) throw new InputError('mat train takes one dataset');
  return loadSpec(specs[0]);
}
