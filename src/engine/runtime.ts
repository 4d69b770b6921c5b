// Engine sessions: one interface over two ways of running an ONNX graph on ONNX Runtime, chosen by
// the execution options: the native addon's runner (native/session.ts), or onnxruntime-node's
// InferenceSession, which copies every output into a fresh buffer after the run and blocks the
// main thread.
import type { Execution } from './execution.js';
import { nativeAddon } from './execution.js';
import { NativeSession } from './native/session.js';
import { createSession, ort } from './session.js';

export interface EngineSession {
  readonly kind: 'native' | 'onnxruntime-node' | 'onnxruntime-web';
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

/** Opens sessions on another build of ONNX Runtime (the browser page's onnxruntime-web: web/src/ortWebSession.ts). */
export type SessionOpener = (modelBytes: Uint8Array, threads: number) => Promise<EngineSession>;

let injected: SessionOpener | undefined;

/**
 * Run every session through `open` from now on (undefined: back to this process's own runtime).
 * Set once where a program starts, as setExecutionDefaults is; the browser worker sets it.
 */
export function setSessionOpener(open: SessionOpener | undefined): void {
  injected = open;
}

/** A session for the graph, on `threads` threads (default: the execution's). */
export async function openEngineSession(modelBytes: Uint8Array, execution: Execution, threads = execution.threads): Promise<EngineSession> {
  if (!(Number.isInteger(threads) && threads > 0)) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (injected) return injected(modelBytes, threads);
  if (execution.native) {
    const addon = nativeAddon(execution);
    return new NativeSession(addon, addon.ortCreateSession(modelBytes, threads, execution.spin, execution.profile));
  }
  return new NodeSession(await createSession(modelBytes, { threads, spin: execution.spin }));
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
