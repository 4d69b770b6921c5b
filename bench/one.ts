// Runs one workload and prints its JSON line (a process per workload keeps peak memory separate).
import { WORKLOADS } from './workloads.js';

const [id, threads] = process.argv.slice(2);
const workload = WORKLOADS[id];
if (!workload) {
  console.error(`unknown workload "${id}"; known: ${Object.keys(WORKLOADS).join(', ')}`);
  process.exit(2);
}
const result = await workload(threads ? Number(threads) : undefined);
console.log(JSON.stringify(result));
