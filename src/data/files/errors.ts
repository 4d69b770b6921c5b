// The error thrown for malformed or inconsistent data files: the CLI maps it to exit code 2.

/**
 * A problem with the user's data (a missing file, column or array, a bad value, inconsistent sizes).
 * Messages name the file, the column or array, the row where it applies, and what was expected.
 */
export class DataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
  }
}

/** Format a cell value for an error message (strings quoted, long ones shortened). */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    const s = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(s);
  }
  if (typeof value === 'bigint') return `${value}`;
  return String(value);
}
