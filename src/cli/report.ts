// `mat report DIR`: Table-1-style tables of a sweep folder under each selection criterion.
import { writeReport } from '../sweep/report.js';

export interface ReportFlags {
  json?: boolean;
}

export async function reportCommand(dir: string, flags: ReportFlags): Promise<void> {
  const result = writeReport(dir);
  if (flags.json) process.stdout.write(JSON.stringify(result.report) + '\n');
  else process.stdout.write(result.markdown + '\n');
}
