// The optional C++ addon (native/, built by node-gyp at install): fused optimizer updates, row
// gathers, and a lean session runner over the ONNX Runtime library that onnxruntime-node ships.
// It is used only when the execution options ask for it (see ../execution.ts); without it the
// engine runs sessions through onnxruntime-node with the optimizer inside the ONNX graph.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ort } from '../session.js';

export interface NativeAddon {
  /** `threads`: at most this many threads split the update (small tensors use one). */
  sgd(p: Float32Array, g: Float32Array, buf: Float32Array | null, lr: number, momentum: number, weightDecay: number, nesterov: boolean, threads?: number): void;
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, beta1: number, beta2: number, l2: number, stepScale: number, epsScaled: number, decayFactor: number, threads?: number): void;
  /** dst[r] = src[rows[r]] for rows of `dim` floats. */
  gatherRows(src: Float32Array, dim: number, rows: Int32Array, dst: Float32Array): void;
  ortOpen(libraryPath: string): string;
  ortCreateSession(bytes: Uint8Array, threads: number, spin: boolean, profilePrefix?: string): object;
  ortSessionNames(session: object): { inputs: string[]; outputs: string[] };
  ortRelease(session: object): void;
  ortPlan(session: object, inputs: readonly string[], outputs: readonly string[]): object;
  ortRun(plan: object, inputs: readonly ort.Tensor[], outputs: readonly ort.Tensor[]): void;
  ortRunAsync(plan: object, inputs: readonly ort.Tensor[], outputs: readonly ort.Tensor[]): Promise<void>;
  /** Runs of any native session, process-wide, finished on their worker thread but not yet settled. */
  ortFinishedRuns(): number;
}

let loaded: { addon: NativeAddon } | { reason: string } | undefined;

/** The addon with ONNX Runtime opened, or the reason it cannot be used here. Loaded once. */
export function loadNativeAddon(): { addon: NativeAddon } | { reason: string } {
  loaded ??= load();
  return loaded;
}

function load(): { addon: NativeAddon } | { reason: string } {
  // From dist/src/engine/native (compiled) or src/engine/native: the package root holds build/Release.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(join(dir, 'binding.gyp')); i++) dir = dirname(dir);
  const file = join(dir, 'build', 'Release', 'mat_kernels.node');
  if (!existsSync(file)) return { reason: 'the native addon is not built (no C++ toolchain at install?)' };
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (error) {
    return { reason: `the native addon did not load: ${(error as Error).message}` };
  }
  const library = onnxRuntimeLibrary();
  if (!library) return { reason: `onnxruntime-node ships no ONNX Runtime library for ${process.platform}/${process.arch}` };
  try {
    addon.ortOpen(library);
  } catch (error) {
    return { reason: `ONNX Runtime did not open: ${(error as Error).message}` };
  }
  return { addon };
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
