// An error in what the user asked for (an unknown algorithm or hyperparameter, a value out of
// range, data that lacks what a method needs), as opposed to a failure while running: the CLI
// prints the message and exits with code 2.
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
