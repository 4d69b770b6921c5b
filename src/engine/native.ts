// Fused optimizer kernels (native/kernels.cc), built by node-gyp at install time. Each update is
// one pass over a parameter tensor; inside the ONNX graph the same update takes ten elementwise
// nodes, each a full pass over memory. Absent (no C++ toolchain, MAT_NATIVE=0, the browser), the
// engine keeps the optimizer inside the graph.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeKernels {
  /** `threads`: at most this many threads split the update (default 1; small tensors use one). */
  sgd(p: Float32Array, g: Float32Array, buf: Float32Array | null, lr: number, momentum: number, weightDecay: number, nesterov: boolean, threads?: number): void;
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, beta1: number, beta2: number, l2: number, stepScale: number, epsScaled: number, decayFactor: number, threads?: number): void;
  /**
   * adam for a [rows, dim] parameter whose gradient g [rows, count] holds only the columns `cols`
   * (zero elsewhere); with nextCols, also gathers the updated columns nextCols into nextDst.
   */
  adamColumns(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, rows: number, dim: number, cols: Int32Array, count: number, beta1: number, beta2: number, l2: number, stepScale: number, epsScaled: number, decayFactor: number, threads?: number, nextCols?: Int32Array, nextCount?: number, nextDst?: Float32Array): void;
  gatherRows(src: Float32Array, dim: number, rows: Int32Array, dst: Float32Array): void;
  /** The index of the first NaN or ±Infinity in x, or −1. */
  firstNonFinite(x: Float32Array): number;
  gatherRowsAsync(src: Float32Array, dim: number, rows: Int32Array, dst: Float32Array): Promise<void>;
  /** Columns of x (rows × dim) holding a nonzero value, increasing, into cols; −1 once more than maxCount. */
  nonzeroColumns(x: Float32Array, rows: number, dim: number, cols: Int32Array, maxCount: number): number;
  /** dst[r, j] = src[r, cols[j]] for j < count (dst is rows × count). */
  gatherColumns(src: Float32Array, rows: number, dim: number, cols: Int32Array, count: number, dst: Float32Array): void;
  /** dst[r, cols[j]] = src[r, j], zero elsewhere (src is rows × count, dst rows × dim). */
  scatterColumns(src: Float32Array, rows: number, dim: number, cols: Int32Array, count: number, dst: Float32Array): void;
  /** x (n × dim) by its nonzeros, for the runner's SparseRowsLinear (native/sparse_rows.h). */
  sparseRowsEncode(x: Float32Array, n: number, dim: number): { layout: Int32Array; values: Float32Array };
  /** Whether the runner's MatMulAT has its vectorized kernel (else it is slower than ONNX Runtime's Gemm). */
  readonly matMulATVectorized: boolean;
}

/** dst[r] = src[rows[r]] for rows of `dim` floats: the batch copy of every training step. */
export function gatherRows(src: Float32Array, dim: number, rows: Int32Array, dst: Float32Array): void {
  const k = nativeKernels();
  if (k) {
    k.gatherRows(src, dim, rows, dst);
    return;
  }
  for (let r = 0; r < rows.length; r++) dst.set(src.subarray(rows[r] * dim, (rows[r] + 1) * dim), r * dim);
}

/** The index of the first NaN or ±Infinity in x, or −1 (natively about 5× faster than this loop). */
export function firstNonFinite(x: Float32Array): number {
  const k = nativeKernels();
  if (k) return k.firstNonFinite(x);
  for (let j = 0; j < x.length; j++) if (!Number.isFinite(x[j])) return j;
  return -1;
}

/**
 * The same copy on a worker thread (with the native kernels; synchronous otherwise). ONNX Runtime's
 * run blocks the main thread, so a gather started before a step proceeds during it. `rows` and
 * `dst` must not change until the promise settles.
 */
export function gatherRowsAsync(src: Float32Array, dim: number, rows: Int32Array, dst: Float32Array): Promise<void> {
  const k = nativeKernels();
  if (k) return k.gatherRowsAsync(src, dim, rows, dst);
  gatherRows(src, dim, rows, dst);
  return Promise.resolve();
}

let cached: NativeKernels | null | undefined;

/** The kernels, or null when they are not built or are switched off with MAT_NATIVE=0. */
export function nativeKernels(): NativeKernels | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.MAT_NATIVE === '0') return cached;
  // From dist/src/engine (compiled) or src/engine: the package root holds build/Release.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4 && !existsSync(join(dir, 'binding.gyp')); i++) dir = dirname(dir);
  const file = join(dir, 'build', 'Release', 'mat_kernels.node');
  if (existsSync(file)) {
    try {
      cached = createRequire(import.meta.url)(file) as NativeKernels;
    } catch {
      cached = null;
    }
  }
  return cached;
}
