// The one place environment variables are read: the CLI, the benchmarks and the test runner turn
// them into execution options when they start (src/engine/execution.ts); nothing deeper reads them.
import type { ExecutionOptions } from './engine/execution.js';

/**
 * MAT_THREADS=N (threads per run), MAT_NATIVE=0 (no native addon), MAT_SPIN=1 (spinning ONNX
 * Runtime threads), MAT_ORT_PROFILE=PREFIX (per-node profiles of native sessions).
 */
export function executionFromEnvironment(env: NodeJS.ProcessEnv = process.env): ExecutionOptions {
  const options: ExecutionOptions = {};
  if (env.MAT_THREADS !== undefined && env.MAT_THREADS !== '') {
    const threads = Number(env.MAT_THREADS);
    if (!(Number.isInteger(threads) && threads > 0)) throw new Error(`MAT_THREADS must be a positive integer, got "${env.MAT_THREADS}"`);
    options.threads = threads;
  }
  if (env.MAT_NATIVE === '0') options.native = false;
  if (env.MAT_NATIVE === '1') options.native = true;
  if (env.MAT_SPIN === '1') options.spin = true;
  if (env.MAT_ORT_PROFILE) options.profile = env.MAT_ORT_PROFILE;
  return options;
}
