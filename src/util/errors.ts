// The one error type for bad input from the user, as opposed to a failure while running:
// an unknown algorithm or hyperparameter, a flag out of range, a sweep folder written by another
// configuration, a data file that is missing, malformed or inconsistent (the message names the
// file, the column or array and the row where it applies, and what was expected).
// The CLI prints the message and exits with code 2; any other error exits with code 1.
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** Whether an error is the user's to fix (an InputError). */
export function isUserError(err: unknown): err is InputError {
  return err instanceof InputError;
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
