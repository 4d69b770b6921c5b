// `mat report DIR`: Table-1-style tables of a sweep folder under each selection criterion.
import { SweepUsageError } from '../sweep/errors.js';
import { writeReport } from '../sweep/report.js';
import { UsageError } from '../experiments/datasets.js';

export interface ReportFlags {
  json?: boolean;
}

export async function reportCommand(dir: string, flags: ReportFlags): Promise<void> {
  let result;
  try {
    result = writeReport(dir);
  } catch (err) {
    if (err instanceof SweepUsageError) throw new UsageError(err.message);
    throw err;
  }
  if (flags.json) process.stdout.write(JSON.stringify(result.report) + '\n');
  else process.stdout.write(result.markdown + '\n');
}
