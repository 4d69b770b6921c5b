// The engine's sessions on onnxruntime-web (WASM, one thread): what the worker injects with
// setSessionOpener. onnxruntime-web does not write CPU outputs into the preallocated tensors it is
// given (it binds a copy inside the WASM heap), so each run fetches its outputs by name and copies
// them into the engine's buffers: the training step's double-buffered parameters stay where the
// engine expects them.
import * as ort from 'onnxruntime-web/wasm';
import type { EngineSession } from '../../src/engine/runtime.js';

type Tensor = Parameters<EngineSession['run']>[0][string];

/**
 * The WASM binary's URL (its JavaScript glue is bundled), and one thread: onnxruntime-web's threads
 * need a cross-origin isolated page, and the page runs two workers side by side instead.
 */
export function configureOrt(wasmUrl: string): void {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
}

export async function openWebSession(modelBytes: Uint8Array): Promise<EngineSession> {
  const session = await ort.InferenceSession.create(modelBytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  return {
    kind: 'onnxruntime-web',
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds: Readonly<Record<string, Tensor>>, outputs: Readonly<Record<string, Tensor>>): Promise<void> {
      const names = Object.keys(outputs);
      const results = await session.run(feeds as Record<string, ort.Tensor>, names);
      for (const name of names) {
        const target = outputs[name].data as Float32Array;
        const got = results[name];
        if (got.data.length !== target.length) throw new Error(`output ${name}: ${got.data.length} values, expected ${target.length}`);
        target.set(got.data as Float32Array);
        got.dispose();
      }
    },
    release: () => session.release(),
  };
}
