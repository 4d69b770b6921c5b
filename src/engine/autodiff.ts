// Reverse-mode differentiation over the graph IR: gradient nodes are appended to the same graph.
import type { Graph, Node, Value } from './graph.js';
import { isFloat } from './graph.js';
import { OPS, materialize } from './ops.js';

/**
 * Gradients of `output` with respect to each of `wrt`. `output` must be a scalar unless `seed`
 * (the incoming gradient, same shape as output) is given. A value that does not influence
 * `output` gets a zero gradient.
 */
export function gradients(g: Graph, output: Value, wrt: readonly Value[], seed?: Value): Value[] {
  if (!isFloat(output.dtype)) throw new Error(`gradients: output must be a float tensor, got ${output}`);
  if (!seed && output.rank !== 0) throw new Error(`gradients: output must be a scalar (got ${output}); pass a seed gradient otherwise`);
  for (const w of wrt) if (!isFloat(w.dtype)) throw new Error(`gradients: cannot differentiate with respect to ${w}`);

  const nodes = nodesBetween(g, output, wrt);
  const grads = new Map<Value, Value>();
  grads.set(output, seed ?? g.scalar(1, output.dtype));

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const dOut = grads.get(node.outputs[0]);
    if (!dOut) continue;
    const dIns = OPS[node.op].vjp(g, node, dOut);
    node.inputs.forEach((input, k) => {
      const d = dIns[k];
      if (!d || !isFloat(input.dtype)) return;
      const prev = grads.get(input);
      grads.set(input, prev ? g.add(prev, d) : d);
    });
  }
  return wrt.map((w) => materialize(g, grads.get(w) ?? g.scalar(0, w.dtype), w));
}

/** The nodes that lie on a path from any of `from` to `to`, in graph (topological) order. */
function nodesBetween(g: Graph, to: Value, from: readonly Value[]): Node[] {
  const reachesTo = new Set<Value>([to]);
  const snapshot = [...g.nodes];
  for (let i = snapshot.length - 1; i >= 0; i--) {
    const n = snapshot[i];
    if (n.op === 'StopGradient') continue;
    if (n.outputs.some((o) => reachesTo.has(o))) for (const v of n.inputs) reachesTo.add(v);
  }
  const dependsOnFrom = new Set<Value>(from);
  const onPath: Node[] = [];
  for (const n of snapshot) {
    if (n.op === 'StopGradient') continue;
    if (n.inputs.some((v) => dependsOnFrom.has(v))) {
      for (const o of n.outputs) dependsOnFrom.add(o);
      if (n.outputs.some((o) => reachesTo.has(o))) onPath.push(n);
    }
  }
  return onPath;
}
