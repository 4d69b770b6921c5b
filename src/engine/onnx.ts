// Emission of the graph IR as a standard ONNX model (opset 18), encoded with onnx-proto.
import onnxProto from 'onnx-proto';
import { GENERATED, type ConstantData, type DType, type Graph, type Node, type Value } from './graph.js';
import { OPS } from './ops.js';

const { onnx } = onnxProto;
export const OPSET = 18;
const IR_VERSION = 8;

const ONNX_TYPES: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** What an op's emitter may do: name values, add ONNX nodes and small constants. */
export interface EmitContext {
  name(v: Value): string;
  node(opType: string, inputs: string[], outputs: string[], attrs?: Record<string, number | number[] | string>): void;
  /** Name of an int64 constant (1-D, or of the given shape). */
  int64s(values: number[], shape?: number[]): string;
  /** Name of an int32 constant of shape [1, n] (one row). */
  int32s(rows: number[][]): string;
  floatConstant(dtype: DType, value: number): string;
  constantInto(name: string, dtype: DType, value: number): void;
  fresh(prefix: string): string;
  onnxType(dtype: DType): number;
  /** A scalar graph input carrying the run-time size of a named dim (see dimInputName). */
  dimInput(dim: string, dtype: DType): string;
  /** Make later references to v use `name` (an existing value) instead of emitting a node. */
  alias(v: Value, name: string): boolean;
}

/**
 * Sizes of named dims (e.g. the batch) are fed as scalar inputs with these names rather than
 * computed in the graph (Shape → Squeeze → Cast: three nodes on every step). Whoever runs the
 * session binds them from the shapes of the fed tensors.
 */
export function dimInputName(dim: string, dtype: DType): string {
  return `${GENERATED}dim_${dtype}_${dim}`;
}

/** The dim and dtype of a dim input's name, or undefined for other names. */
export function parseDimInput(name: string): { dim: string; dtype: DType } | undefined {
  const m = /^%dim_(float32|float64)_(.+)$/.exec(name);
  return m ? { dtype: m[1] as DType, dim: m[2] } : undefined;
}

export interface EmitOptions {
  /** Graph inputs to keep as inputs, in order. */
  inputs: readonly Value[];
  /** Outputs, with the names they get in the model. */
  outputs: readonly { name: string; value: Value }[];
  /** Inputs to bake in as initializers (e.g. trained parameters in an exported predictor). */
  bake?: ReadonlyMap<Value, ConstantData>;
  graphName?: string;
}

/** Encode the part of `graph` that the outputs need as ONNX model bytes. */
export function emitOnnx(graph: Graph, opts: EmitOptions): Uint8Array {
  const needed = neededNodes(graph, opts.outputs.map((o) => o.value));
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const emittedConstants = new Set<Value>();
  const constantCache = new Map<string, string>();
  /** Small constants made by emitters, one initializer per distinct content. */
  const cached = (key: string, make: (name: string) => InstanceType<typeof onnx.TensorProto>): string => {
    let name = constantCache.get(key);
    if (!name) {
      name = `${GENERATED}k${constantCache.size}`;
      constantCache.set(key, name);
      initializers.push(make(name));
    }
    return name;
  };
  const kept = new Set(opts.inputs);
  const dimInputs = new Map<string, DType>();
  let fresh = 0;
  // A node output that is a model output is emitted under the output's name (no Identity node).
  const alias = new Map<Value, string>();
  for (const { name, value } of opts.outputs) {
    if (value.producer && !alias.has(value) && needed.includes(value.producer)) alias.set(value, name);
  }

  const ctx: EmitContext = {
    name(v) {
      const data = graph.constants.get(v) ?? opts.bake?.get(v);
      if (data && !emittedConstants.has(v)) {
        emittedConstants.add(v);
        initializers.push(tensorProto(v.name, v.dtype, v.shape as number[], data));
      } else if (!data && !v.producer && !kept.has(v)) {
        throw new Error(`emitOnnx: the outputs depend on input ${v}, which was neither listed as an input nor baked`);
      }
      return alias.get(v) ?? v.name;
    },
    node(opType, inputs, outputs, attrs = {}) {
      nodes.push(onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outputs,
        name: `n${nodes.length}_${opType}`,
        attribute: Object.entries(attrs).map(([name, value]) => attributeProto(name, value)),
      }));
    },
    int64s(values, shape = [values.length]) {
      return cached(`i64 ${shape} ${values}`, (name) => tensorProto(name, 'int64', shape, BigInt64Array.from(values.map(BigInt))));
    },
    int32s(rows) {
      return cached(`i32 ${rows.length} ${rows}`, (name) => tensorProto(name, 'int32', [rows.length, rows[0].length], Int32Array.from(rows.flat())));
    },
    floatConstant(dtype, value) {
      return cached(`${dtype} ${value}`, (name) => tensorProto(name, dtype, [], dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value)));
    },
    constantInto(name, dtype, value) {
      const data = dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
      initializers.push(tensorProto(name, dtype, [], data));
    },
    fresh(prefix) {
      return `${GENERATED}${prefix}_t${fresh++}`;
    },
    onnxType(dtype) {
      return ONNX_TYPES[dtype];
    },
    alias(v, name) {
      if (alias.has(v)) return false;
      alias.set(v, name);
      return true;
    },
    dimInput(dim, dtype) {
      const name = dimInputName(dim, dtype);
      dimInputs.set(name, dtype);
      return name;
    },
  };

  for (const node of needed) OPS[node.op].emit(node, ctx);
  // Outputs may be constants or inputs themselves: route them through Identity under their own name.
  const outputInfos = opts.outputs.map(({ name, value }) => {
    const src = ctx.name(value);
    if (src !== name) ctx.node('Identity', [src], [name]);
    return valueInfo(name, value.dtype, value.shape);
  });

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'memorization-aware-training',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })],
    graph: onnx.GraphProto.create({
      name: opts.graphName ?? 'graph',
      node: nodes,
      initializer: initializers,
      input: [
        ...opts.inputs.filter((v) => !opts.bake?.has(v)).map((v) => valueInfo(v.name, v.dtype, v.shape)),
        ...[...dimInputs].map(([name, dtype]) => scalarInfo(name, dtype)),
      ],
      output: outputInfos,
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

function neededNodes(graph: Graph, outputs: readonly Value[]): Node[] {
  const needed = new Set<Value>(outputs);
  const keep: boolean[] = new Array(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (n.outputs.some((o) => needed.has(o))) {
      keep[i] = true;
      for (const v of n.inputs) needed.add(v);
    }
  }
  return graph.nodes.filter((_, i) => keep[i]);
}

function valueInfo(name: string, dtype: DType, shape: Value['shape']) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: ONNX_TYPES[dtype],
        shape: onnx.TensorShapeProto.create({
          dim: shape.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}

function scalarInfo(name: string, dtype: DType) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: ONNX_TYPES[dtype], shape: onnx.TensorShapeProto.create({ dim: [] }) }) }),
  });
}

function tensorProto(name: string, dtype: DType, dims: number[], data: ConstantData) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return onnx.TensorProto.create({ name, dims, dataType: ONNX_TYPES[dtype], rawData: bytes });
}

function attributeProto(name: string, value: number | number[] | string) {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(value) });
  return Array.isArray(value)
    ? onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value })
    : onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
}
