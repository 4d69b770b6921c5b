// How the engine executes: one options object, resolved once at the boundary (the CLI, the test
// runner, or a library caller) and passed down. Nothing in the engine reads the environment.
import os from 'node:os';
import { loadNativeAddon, type NativeAddon } from './native/addon.js';

export interface ExecutionOptions {
  /** Threads for one run (default: every core). */
  threads?: number;
  /**
   * Use the native addon: its session runner and fused optimizer updates (default: when it is
   * built). false: onnxruntime-node sessions with the optimizer inside the graph (same arithmetic).
   */
  native?: boolean;
  /** Let ONNX Runtime's worker threads spin between ops (default false: sessions then keep off each other's cores). */
  spin?: boolean;
  /** Write ONNX Runtime's per-node profile of native sessions to `<profile>_<date>.json`. */
  profile?: string;
}

/** Execution options with every choice made (plain data: it crosses worker boundaries). */
export interface Execution extends Required<Omit<ExecutionOptions, 'profile'>> {
  profile?: string;
}

let defaults: ExecutionOptions = {};

/** Options that apply wherever a caller gives none (the CLI and the test runner set them). */
export function setExecutionDefaults(options: ExecutionOptions): void {
  defaults = { ...options };
}

let warned = false;

/** Every choice made: the given options over the defaults. Says once when the addon cannot be used. */
export function resolveExecution(options: ExecutionOptions = {}): Execution {
  const o = { ...defaults, ...withoutUndefined(options) };
  const threads = o.threads ?? Math.max(1, os.availableParallelism());
  if (!(Number.isInteger(threads) && threads > 0)) throw new Error(`threads must be a positive integer, got ${threads}`);
  let native = false;
  if (o.native !== false) {
    const loaded = loadNativeAddon();
    if ('addon' in loaded) native = true;
    else if (o.native === true) throw new Error(`native execution asked for, but ${loaded.reason}`);
    else if (!warned) {
      warned = true;
      process.stderr.write(`memorization-aware-training: ${loaded.reason}; running on onnxruntime-node with the optimizer inside the graph (slower)\n`);
    }
  }
  return { threads, native, spin: !!o.spin, profile: o.profile || undefined };
}

/** The addon of an execution that uses it. */
export function nativeAddon(execution: Pick<Execution, 'native'>): NativeAddon {
  const loaded = loadNativeAddon();
  if (!execution.native || !('addon' in loaded)) throw new Error('this execution does not use the native addon');
  return loaded.addon;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
