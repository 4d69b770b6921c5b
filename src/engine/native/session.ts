// Sessions run by the addon's runner (native/ort_runner.cc): outputs land in the caller's
// preallocated buffers and nowhere else, and asynchronous runs execute on a libuv worker thread, so
// the main thread (and other sessions) carry on meanwhile. Synchronous runs skip the hand-off.
import type { EngineSession } from '../runtime.js';
import type { ort } from '../session.js';
import type { NativeAddon } from './addon.js';

export class NativeSession implements EngineSession {
  readonly kind = 'native';
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly plans = new Map<string, object>();
  private running = 0;
  private released = false;

  constructor(private readonly k: NativeAddon, private readonly handle: object) {
    const names = k.ortSessionNames(handle);
    this.inputNames = names.inputs;
    this.outputNames = names.outputs;
  }

  async run(feeds: Readonly<Record<string, ort.Tensor>>, outputs: Readonly<Record<string, ort.Tensor>>): Promise<void> {
    const { plan, inputs, outs } = this.prepare(feeds, outputs);
    this.running++;
    try {
      await this.k.ortRunAsync(plan, inputs, outs);
    } finally {
      this.running--;
    }
  }

  readonly runSync = (feeds: Readonly<Record<string, ort.Tensor>>, outputs: Readonly<Record<string, ort.Tensor>>): void => {
    const { plan, inputs, outs } = this.prepare(feeds, outputs);
    this.k.ortRun(plan, inputs, outs);
  };

  readonly finishedRunWaiting = (): boolean => this.k.ortFinishedRuns() > 0;

  private prepare(feeds: Readonly<Record<string, ort.Tensor>>, outputs: Readonly<Record<string, ort.Tensor>>) {
    if (this.released) throw new Error('the session has been released');
    const inNames = Object.keys(feeds);
    const outNames = Object.keys(outputs);
    const key = `${inNames.join('\0')}\u0001${outNames.join('\0')}`;
    let plan = this.plans.get(key);
    if (!plan) {
      for (const name of inNames) if (!this.inputNames.includes(name)) throw new Error(`unknown input "${name}"; inputs: ${this.inputNames.join(', ')}`);
      for (const name of outNames) if (!this.outputNames.includes(name)) throw new Error(`unknown output "${name}"; outputs: ${this.outputNames.join(', ')}`);
      plan = this.k.ortPlan(this.handle, inNames, outNames);
      this.plans.set(key, plan);
    }
    return { plan, inputs: inNames.map((n) => feeds[n]), outs: outNames.map((n) => outputs[n]) };
  }

  async release(): Promise<void> {
    if (this.released) return;
    if (this.running > 0) throw new Error('cannot release a session while it runs');
    this.released = true;
    this.plans.clear();
    this.k.ortRelease(this.handle);
  }
}
