// Builds the page into web/dist: the page and worker bundled by esbuild, the HTML, and the one
// onnxruntime-web WASM build the worker loads (single-threaded SIMD).
//
// The engine's sources are bundled as they are. Three substitutions make them run in a browser:
//   onnxruntime-node → onnxruntime-web/wasm (the same Tensor and session API, from onnxruntime-common);
//   csv-parse/sync   → its browser build;
//   hyparquet        → its Node entry (table.ts imports its file reader; the page reads no Parquet);
//   Node's modules   → an empty module: only the native addon and file I/O use them, and the
//                      worker never reaches those (execution { native: false }, data in memory).
// The worker injects onnxruntime-web's sessions with setSessionOpener (src/engine/runtime.ts).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
// The bundled onnxruntime-web build embeds its JavaScript glue: only the WASM binary is fetched.
const ORT_FILES = ['ort-wasm-simd-threaded.wasm'];

const browserSubstitutes = {
  name: 'browser-substitutes',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-node$/ }, () => ({ path: require.resolve('onnxruntime-web/wasm').replace(/ort\.wasm\.min\.js$/, 'ort.wasm.bundle.min.mjs') }));
    b.onResolve({ filter: /^csv-parse\/sync$/ }, () => ({ path: join(dirname(require.resolve('csv-parse')), '..', 'esm', 'sync.js') }));
    b.onResolve({ filter: /^hyparquet$/ }, () => ({ path: require.resolve('hyparquet') }));
    const builtins = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
    b.onResolve({ filter: builtins }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Build the page into `outDir` (default web/dist); returns its files and total size in bytes. */
export async function buildWeb(outDir = join(here, 'dist')) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { main: join(here, 'src', 'main.ts'), worker: join(here, 'src', 'worker.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [browserSubstitutes],
  });
  copyFileSync(join(here, 'index.html'), join(outDir, 'index.html'));
  const ortDir = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  for (const f of ORT_FILES) copyFileSync(join(ortDir, f), join(outDir, f));
  const files = readdirSync(outDir);
  const bytes = files.reduce((s, f) => s + statSync(join(outDir, f)).size, 0);
  return { outDir, files, bytes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { outDir, bytes } = await buildWeb(process.argv[2]);
  console.log(`built ${outDir} (${(bytes / 2 ** 20).toFixed(1)} MiB)`);
}
