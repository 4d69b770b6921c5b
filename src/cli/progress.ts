// Progress bars on stderr (cli-progress), silent when stderr is not a terminal or --quiet.
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, total: number, label: string): void;
  log(line: string): void;
  stop(): void;
}

export function makeProgress(opts: { quiet?: boolean } = {}): Progress {
  const interactive = !opts.quiet && process.stderr.isTTY;
  if (!interactive) {
    return { update() {}, log: (line) => { if (!opts.quiet) process.stderr.write(`${line}\n`); }, stop() {} };
  }
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: '{label} [{bar}] {value}/{total} | ETA {eta_formatted}',
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  let lastLabel = '';
  let lastDraw = 0;
  return {
    update(value, total, label) {
      if (!started || label !== lastLabel) {
        if (started) bar.stop();
        bar.start(total, value, { label });
        started = true;
        lastLabel = label;
      }
      const now = Date.now();
      if (value === total || now - lastDraw > 100) {
        bar.update(value, { label });
        lastDraw = now;
      }
    },
    log(line) {
      if (started) bar.stop();
      started = false;
      process.stderr.write(`${line}\n`);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** A loader's note (labels mapped, float16 converted, ...) on stderr: said even with --quiet. */
export function printNote(message: string): void {
  process.stderr.write(`mat: note: ${message}\n`);
}
