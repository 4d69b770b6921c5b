// Runs one workload and prints its JSON line (a process per workload keeps peak memory separate).
import { WORKLOADS } from './workloads.js';
import { setExecutionDefaults } from '../src/engine/index.js';
import { executionFromEnvironment } from '../src/environment.js';

const [id, threads] = process.argv.slice(2);
const workload = WORKLOADS[id];
if (!workload) {
  console.error(`unknown workload "${id}"; known: ${Object.keys(WORKLOADS).join(', ')}`);
  process.exit(2);
}
// As the CLI runs: the environment's options and the threads asked for.
setExecutionDefaults({ ...executionFromEnvironment(), ...(threads ? { threads: Number(threads) } : {}) });
const result = await workload();
console.log(JSON.stringify(result));
