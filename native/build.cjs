// Builds the addon (fused optimizer kernels, session runner) with node-gyp (bundled with npm).
// Optional: when no C++ toolchain is available the engine falls back to optimizers inside the ONNX
// graph and to onnxruntime-node's sessions.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const r = spawnSync(cmd[0], cmd[1], { cwd: path.join(__dirname, '..'), stdio: 'inherit', shell: !gyp });
if (r.status !== 0) {
  console.warn('memorization-aware-training: native addon not built; optimizers will run inside the ONNX graph and sessions through onnxruntime-node (slower).');
}
