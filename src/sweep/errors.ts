// An error in what the user asked a sweep or report to do (bad flags, a missing file, a sweep folder
// written by another configuration): the CLI prints the message and exits with code 2.
export class SweepUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepUsageError';
  }
}
