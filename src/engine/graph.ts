// A small graph IR: typed values with (partly symbolic) shapes, built by calling op methods.
// Shapes are checked as nodes are added, so a mistake surfaces here, before any ONNX session exists.
import { OPS, type OpType, type Attrs } from './ops.js';

export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';
/** A dimension: a fixed size, or a name for a size known only when the graph runs (e.g. "batch"). */
export type Dim = number | string;
export type Shape = readonly Dim[];

export type ConstantData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export class Value {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    /** The node that produces this value; undefined for inputs and constants. */
    readonly producer?: Node,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(', ')}]`;
  }
}

export interface Node {
  readonly op: OpType;
  readonly inputs: readonly Value[];
  readonly attrs: Attrs;
  readonly outputs: Value[];
}

export interface InputSpec {
  value: Value;
  kind: 'input';
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly constants = new Map<Value, ConstantData>();
  private nextId = 0;
  private readonly usedNames = new Set<string>();

  /** A value fed at run time. Named dims (strings) may differ between runs. */
  input(name: string, dtype: DType, shape: Shape): Value {
    checkName(name);
    checkShape(name, shape);
    const v = this.newValue(name, dtype, shape);
    this.inputs.push(v);
    return v;
  }

  /** A constant baked into the graph (an ONNX initializer). */
  constant(data: ConstantData, shape: Shape, dtype?: DType, name?: string): Value {
    const dt = dtype ?? dtypeOfArray(data);
    const size = shape.reduce<number>((s, d) => s * (d as number), 1);
    if (shape.some((d) => typeof d !== 'number')) throw new Error(`constant ${name ?? ''}: shape must be fully known, got [${shape}]`);
    if (data.length !== size) throw new Error(`constant ${name ?? ''}: shape [${shape}] needs ${size} values, got ${data.length}`);
    const v = this.newValue(name ?? `${GENERATED}const${this.nextId}`, dt, shape);
    this.constants.set(v, data);
    return v;
  }

  /** A scalar constant of the given float type. */
  scalar(x: number, dtype: DType = 'float32'): Value {
    return this.constant(typedArrayFor(dtype, [x]), [], dtype);
  }

  /** Add a node; the op's shape rule validates inputs and gives the output types. */
  apply(op: OpType, inputs: readonly Value[], attrs: Attrs = {}): Value {
    const spec = OPS[op];
    if (!spec) throw new Error(`unknown op "${op}"; known ops: ${Object.keys(OPS).join(', ')}`);
    for (const v of inputs) {
      if (v.graph !== this) throw new Error(`${op}: input ${v.name} belongs to another graph`);
    }
    const { dtype, shape } = spec.infer(inputs, attrs);
    const outputs: Value[] = [];
    const node: Node = { op, inputs, attrs, outputs };
    const out = this.newValue(`${GENERATED}${op.toLowerCase()}${this.nextId}`, dtype, shape, node);
    outputs.push(out);
    this.nodes.push(node);
    return out;
  }

  private newValue(name: string, dtype: DType, shape: Shape, producer?: Node): Value {
    if (this.usedNames.has(name)) throw new Error(`graph: the name "${name}" is used twice`);
    this.usedNames.add(name);
    return new Value(this, this.nextId++, name, dtype, [...shape], producer);
  }

  // ---- op methods (thin wrappers; the rules live in ops.ts) ----
  add(a: Value, b: Value): Value { return this.apply('Add', [a, b]); }
  sub(a: Value, b: Value): Value { return this.apply('Sub', [a, b]); }
  mul(a: Value, b: Value): Value { return this.apply('Mul', [a, b]); }
  div(a: Value, b: Value): Value { return this.apply('Div', [a, b]); }
  max(a: Value, b: Value): Value { return this.apply('Max', [a, b]); }
  pow(a: Value, b: Value): Value { return this.apply('Pow', [a, b]); }
  neg(a: Value): Value { return this.apply('Neg', [a]); }
  exp(a: Value): Value { return this.apply('Exp', [a]); }
  log(a: Value): Value { return this.apply('Log', [a]); }
  sqrt(a: Value): Value { return this.apply('Sqrt', [a]); }
  relu(a: Value): Value { return this.apply('Relu', [a]); }
  tanh(a: Value): Value { return this.apply('Tanh', [a]); }
  sigmoid(a: Value): Value { return this.apply('Sigmoid', [a]); }
  softmax(a: Value, axis = -1): Value { return this.apply('Softmax', [a], { axis }); }
  logSoftmax(a: Value, axis = -1): Value { return this.apply('LogSoftmax', [a], { axis }); }
  reduceSum(a: Value, axis: number, keepdims = false): Value { return this.apply('ReduceSum', [a], { axis, keepdims }); }
  reduceMean(a: Value, axis: number, keepdims = false): Value { return this.apply('ReduceMean', [a], { axis, keepdims }); }
  reduceMax(a: Value, axis: number, keepdims = false): Value { return this.apply('ReduceMax', [a], { axis, keepdims }); }
  /** Sum of every element, as a scalar. */
  sumAll(a: Value): Value {
    let v = a;
    while (v.rank > 0) v = this.reduceSum(v, 0);
    return v;
  }
  /** 2-D matrix product op(a)·op(b), with op = transpose where asked (emitted as Gemm or MatMul). */
  matmul(a: Value, b: Value, opts: { transA?: boolean; transB?: boolean } = {}): Value {
    return this.apply('MatMul', [a, b], { transA: !!opts.transA, transB: !!opts.transB });
  }
  transpose(a: Value): Value { return this.apply('Transpose', [a]); }
  /** x·Wᵀ + b (W in [out, in] layout), one Gemm. */
  linear(x: Value, w: Value, b: Value): Value { return this.apply('Linear', [x, w, b]); }
  /** W·h + b[:, None] → [out, batch]; h is [in, batch], or the data [batch, in] with inputBatchMajor. */
  linearT(w: Value, h: Value, b: Value, opts: { inputBatchMajor?: boolean } = {}): Value {
    return this.apply('LinearT', [w, h, b], { inputBatchMajor: !!opts.inputBatchMajor });
  }
  where(cond: Value, a: Value, b: Value): Value { return this.apply('Where', [cond, a, b]); }
  equal(a: Value, b: Value): Value { return this.apply('Equal', [a, b]); }
  greater(a: Value, b: Value): Value { return this.apply('Greater', [a, b]); }
  cast(a: Value, to: DType): Value { return this.apply('Cast', [a], { to }); }
  unsqueeze(a: Value, axis: number): Value { return this.apply('Unsqueeze', [a], { axis }); }
  squeeze(a: Value, axis: number): Value { return this.apply('Squeeze', [a], { axis }); }
  /** Broadcast a to the (runtime) shape of like. */
  expandLike(a: Value, like: Value): Value { return this.apply('ExpandLike', [a, like]); }
  /** The size of axis `axis` of a, as a float scalar of a's dtype (known at run time). */
  sizeOf(a: Value, axis: number): Value { return this.apply('SizeOf', [a], { axis }); }
  /** Treat as a constant for differentiation. */
  stopGradient(a: Value): Value { return this.apply('StopGradient', [a]); }
  identity(a: Value): Value { return this.apply('Identity', [a]); }
  /** Per-example −log softmax(logits)[label] (logits [batch, K], labels [batch] int). */
  softmaxCrossEntropy(logits: Value, labels: Value): Value {
    const k = logits.shape[1];
    if (logits.rank !== 2 || typeof k !== 'number') throw new Error(`softmaxCrossEntropy: logits must be [batch, K] with K fixed, got ${logits}`);
    return this.apply('SoftmaxCrossEntropy', [logits, this.negOneHot(labels, k, logits.dtype)]);
  }
  /** −onehot(labels): −1 at the label, 0 elsewhere (one Where instead of a Cast and a Neg). */
  negOneHot(labels: Value, k: number, dtype: DType = 'float32'): Value {
    return this.where(this.labelHits(labels, k), this.scalar(-1, dtype), this.scalar(0, dtype));
  }
  /** One-hot rows (float of `dtype`) for integer labels: built from Equal against 0..k−1. */
  oneHot(labels: Value, k: number, dtype: DType = 'float32'): Value {
    return this.cast(this.labelHits(labels, k), dtype);
  }
  /** Bool [batch, k]: labels[i] == c. */
  private labelHits(labels: Value, k: number): Value {
    if (labels.rank !== 1 || (labels.dtype !== 'int32' && labels.dtype !== 'int64')) {
      throw new Error(`labels must be a 1-D int32/int64 tensor, got ${labels}`);
    }
    const classes = labels.dtype === 'int32' ? Int32Array.from({ length: k }, (_, i) => i) : BigInt64Array.from({ length: k }, (_, i) => BigInt(i));
    const row = this.constant(classes, [1, k], labels.dtype);
    return this.equal(this.unsqueeze(labels, 1), row);
  }
}

/** Names the engine makes up start with this; user names may not, so the two never clash. */
export const GENERATED = '%';

function checkName(name: string): void {
  if (!name || name.startsWith(GENERATED)) throw new Error(`input name "${name}": names must be non-empty and not start with "${GENERATED}"`);
}

function checkShape(name: string, shape: Shape): void {
  for (const d of shape) {
    if (typeof d === 'number' && !(Number.isInteger(d) && d >= 0)) {
      throw new Error(`input ${name}: dimensions must be non-negative integers or names, got [${shape.join(', ')}]`);
    }
  }
}

export function dtypeOfArray(data: ConstantData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'bool';
}

export function typedArrayFor(dtype: DType, values: number[]): ConstantData {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'int64': return BigInt64Array.from(values.map((v) => BigInt(v)));
    case 'bool': return Uint8Array.from(values);
  }
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}
