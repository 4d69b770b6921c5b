// Engine sessions: one interface over two ways of running an ONNX graph on ONNX Runtime.
// - 'native': the addon's runner (native/ort_runner.cc) over the library that onnxruntime-node
//   ships. Outputs land in the caller's preallocated buffers and nowhere else, and runs execute on
//   a libuv worker thread, so the main thread (and other sessions) carry on meanwhile.
// - 'onnxruntime-node': its InferenceSession, which copies every output into a fresh buffer after
//   the run and blocks the main thread. Used when the addon is not built, or with MAT_RUNNER=node.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nativeKernels, type NativeKernels } from './native.js';
import { createSession, defaultThreads, ort } from './session.js';

export type RunnerKind = 'native' | 'onnxruntime-node';

export interface EngineSession {
  readonly kind: RunnerKind;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Run the graph; every requested output must be preallocated (right dtype and shape). */
  run(feeds: Readonly<Record<string, ort.Tensor>>, outputs: Readonly<Record<string, ort.Tensor>>): Promise<void>;
  /**
   * The same on the calling thread, when the runner can (else undefined): cheaper for short runs,
   * which would otherwise pay two thread hand-offs each.
   */
  readonly runSync?: (feeds: Readonly<Record<string, ort.Tensor>>, outputs: Readonly<Record<string, ort.Tensor>>) => void;
  /**
   * Whether an asynchronous run has finished on its worker thread and waits for the main thread to
   * return to the event loop (which settles its promise); undefined when the runner cannot tell.
   */
  readonly finishedRunWaiting?: () => boolean;
  release(): Promise<void>;
}

export interface EngineSessionOptions {
  threads?: number;
  /** Force one runner (default: native when available, or MAT_RUNNER=node). */
  runner?: RunnerKind;
}

export async function openEngineSession(modelBytes: Uint8Array, opts: EngineSessionOptions = {}): Promise<EngineSession> {
  const threads = opts.threads ?? defaultThreads();
  if (!(Number.isInteger(threads) && threads > 0)) throw new Error(`threads must be a positive integer, got ${threads}`);
  const wanted = opts.runner ?? (process.env.MAT_RUNNER === 'node' ? 'onnxruntime-node' : undefined);
  const native = wanted === 'onnxruntime-node' ? null : nativeRunner();
  if (wanted === 'native' && !native) throw new Error('the native session runner is not available (native kernels not built, or ONNX Runtime not found)');
  if (native) return new NativeSession(native, native.ortCreateSession(modelBytes, threads, process.env.MAT_SPIN === '1'));
  return new NodeSession(await createSession(modelBytes, { threads }));
}

/** Which runner openEngineSession uses by default here. */
export function defaultRunner(): RunnerKind {
  return process.env.MAT_RUNNER !== 'node' && nativeRunner() ? 'native' : 'onnxruntime-node';
}

interface NativeRunner extends NativeKernels {
  ortOpen(libraryPath: string): string;
  ortCreateSession(bytes: Uint8Array, threads: number, spin: boolean): object;
  ortSessionNames(session: object): { inputs: string[]; outputs: string[] };
  ortRelease(session: object): void;
  ortPlan(session: object, inputs: readonly string[], outputs: readonly string[]): object;
  ortRun(plan: object, inputs: readonly ort.Tensor[], outputs: readonly ort.Tensor[]): void;
  ortRunAsync(plan: object, inputs: readonly ort.Tensor[], outputs: readonly ort.Tensor[]): Promise<void>;
  /** Runs of any native session, process-wide, finished but not yet settled. */
  ortFinishedRuns(): number;
}

let runner: NativeRunner | null | undefined;

/** The addon with ONNX Runtime loaded from onnxruntime-node's folder, or null. */
function nativeRunner(): NativeRunner | null {
  if (runner !== undefined) return runner;
  runner = null;
  const k = nativeKernels() as NativeRunner | null;
  const library = k && 'ortOpen' in k && 'ortFinishedRuns' in k ? onnxRuntimeLibrary() : undefined;
  if (!k || !library) return runner;
  try {
    k.ortOpen(library);
    runner = k;
  } catch {
    runner = null;
  }
  return runner;
}

/** The ONNX Runtime shared library next to onnxruntime-node's binding, if this platform has one. */
function onnxRuntimeLibrary(): string | undefined {
  const name = process.platform === 'linux' ? 'libonnxruntime.so.1' : process.platform === 'darwin' ? 'libonnxruntime.1.dylib' : undefined;
  if (!name) return undefined;
  const root = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
  for (const napi of ['napi-v6', 'napi-v3']) {
    const file = join(root, napi, process.platform, process.arch, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

class NativeSession implements EngineSession {
  readonly kind = 'native';
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  private readonly plans = new Map<string, object>();
  private running = 0;
  private released = false;

  constructor(private readonly k: NativeRunner, private readonly handle: object) {
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

class NodeSession implements EngineSession {
  readonly kind = 'onnxruntime-node';

  constructor(private readonly session: ort.InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Readonly<Record<string, ort.Tensor>>, outputs: Readonly<Record<string, ort.Tensor>>): Promise<void> {
    await this.session.run(feeds, outputs);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
