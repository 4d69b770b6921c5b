// Column compaction of a training step's first layer. When most features are zero (ColorMNIST
// rows are 90% zeros; a batch of 35 leaves about half of the 392 columns all zero), the products
// x·Wᵀ and dzᵀ·x only need the columns that are nonzero somewhere in the batch. A step then feeds
// the batch and W restricted to those columns; the optimizer update treats W's gradient as zero in
// the other columns, so it sees exactly the dense gradient (up to the order of float additions
// inside the products).
import type { NativeKernels } from './native.js';
import { tensor, type ort } from './session.js';

/** A gradient given only in some columns of a [rows, dim] parameter: zero in the others. */
export interface ColumnGradient {
  /** rows × count values. */
  values: Float32Array;
  rows: number;
  dim: number;
  /** The columns given, increasing (the first `count` entries). */
  cols: Int32Array;
  count: number;
  /**
   * Also copy the updated parameter's columns `cols` into dst (rows × count), while each row is in
   * cache: the next step's compacted weight. An update may ignore it.
   */
  gatherNext?: { cols: Int32Array; count: number; dst: Float32Array };
}

/** Compact only when at least this share of the columns is zero in the batch (else the copies cost more than they save). */
const MIN_ZERO_SHARE = 0.2;

export class ColumnCompactor {
  /** Columns of the current step, and those the compact weight buffer was gathered for in advance. */
  private cols: Int32Array;
  private nextCols: Int32Array;
  private readonly maxCount: number;
  private x = new Float32Array(0);
  private readonly w: Float32Array;
  private readonly grad: Float32Array;
  /** Columns used by the current step (0: the step runs dense). */
  private count = 0;
  /** Columns the weight buffer holds from the last update (0: none). */
  private gathered = 0;
  private readonly views = new Map<string, { x: ort.Tensor; w: ort.Tensor; grad: ort.Tensor }>();

  constructor(
    private readonly kernels: NativeKernels,
    private readonly inputName: string,
    private readonly weightName: string,
    private readonly gradName: string,
    private readonly columns: number,
    private readonly weightRows: number,
  ) {
    this.cols = new Int32Array(columns);
    this.nextCols = new Int32Array(columns);
    this.maxCount = Math.floor(columns * (1 - MIN_ZERO_SHARE));
    this.w = new Float32Array(weightRows * columns);
    this.grad = new Float32Array(weightRows * columns);
  }

  /** Replace the batch, the weight and its gradient fetch by compact ones when the batch allows it. */
  bind(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>, weight: ort.Tensor): void {
    const x = feeds[this.inputName];
    const [b, d] = x.dims;
    const gathered = this.gathered;
    this.count = this.gathered = 0;
    this.checkShapes(x, weight);
    const k = this.selectColumns(x, this.cols);
    if (k === 0) return;
    const view = this.view(b, k);
    this.kernels.gatherColumns(x.data as Float32Array, b, d, this.cols, k, view.x.data as Float32Array);
    // The last update may have gathered this weight already (for the same columns).
    if (!(gathered === k && sameColumns(this.cols, this.nextCols, k))) {
      this.kernels.gatherColumns(weight.data as Float32Array, this.weightRows, d, this.cols, k, view.w.data as Float32Array);
    }
    feeds[this.inputName] = view.x;
    feeds[this.weightName] = view.w;
    fetches[this.gradName] = view.grad;
    this.count = k;
  }

  /**
   * After the run: the weight's gradient in the columns used, or undefined when the step ran dense.
   * `next` (the next step's data, when known) lets the update gather the next compacted weight.
   */
  gradient(next?: Readonly<Record<string, ort.Tensor>>): ColumnGradient | undefined {
    if (this.count === 0) return undefined;
    const grad: ColumnGradient = { values: this.grad, rows: this.weightRows, dim: this.columns, cols: this.cols, count: this.count };
    const x = next?.[this.inputName];
    if (x && x.dims.length === 2 && x.dims[1] === this.columns && x.type === 'float32') {
      const k = this.selectColumns(x, this.nextCols);
      if (k > 0) grad.gatherNext = { cols: this.nextCols, count: k, dst: this.w };
    }
    return grad;
  }

  /** The update did gather the next weight (gradient().gatherNext). */
  gatheredNext(grad: ColumnGradient): void {
    this.gathered = grad.gatherNext?.count ?? 0;
  }

  /** The weight was replaced (a loaded state): the next step gathers it afresh. */
  invalidate(): void {
    this.gathered = 0;
  }

  /** After the run: the full gradient, zero in the columns left out (for updates without a column form). */
  expandGradient(grad: ort.Tensor): void {
    if (this.count === 0) return;
    this.kernels.scatterColumns(this.grad, this.weightRows, this.columns, this.cols, this.count, grad.data as Float32Array);
  }

  /** The batch's nonzero columns into `cols`; 0 when too few columns are zero to compact. */
  private selectColumns(x: ort.Tensor, cols: Int32Array): number {
    const k = this.kernels.nonzeroColumns(x.data as Float32Array, x.dims[0], this.columns, cols, this.maxCount);
    if (k < 0) return 0;
    // An all-zero batch still multiplies one (zero) column: products need a nonempty inner dim.
    if (k === 0) cols[0] = 0;
    return Math.max(k, 1);
  }

  private checkShapes(x: ort.Tensor, weight: ort.Tensor): void {
    if (x.dims.length !== 2 || x.dims[1] !== this.columns || weight.dims[0] !== this.weightRows || weight.dims[1] !== this.columns) {
      throw new Error(`${this.inputName}: expected [batch, ${this.columns}], got [${x.dims.join(', ')}] (weight ${this.weightName} [${weight.dims.join(', ')}])`);
    }
  }

  /** Tensors over the compact buffers for (batch, columns): the same views serve many steps. */
  private view(b: number, k: number) {
    const key = `${b}/${k}`;
    let v = this.views.get(key);
    if (!v) {
      if (this.x.length < b * this.columns) {
        this.x = new Float32Array(b * this.columns);
        this.views.clear();
      }
      v = {
        x: tensor('float32', this.x.subarray(0, b * k), [b, k]),
        w: tensor('float32', this.w.subarray(0, this.weightRows * k), [this.weightRows, k]),
        grad: tensor('float32', this.grad.subarray(0, this.weightRows * k), [this.weightRows, k]),
      };
      this.views.set(key, v);
    }
    return v;
  }
}

function sameColumns(a: Int32Array, b: Int32Array, k: number): boolean {
  for (let j = 0; j < k; j++) if (a[j] !== b[j]) return false;
  return true;
}

/** Rows of a fixed matrix (an evaluation split) restricted to the columns nonzero somewhere in them. */
export interface CompactRows {
  x: Float32Array;
  cols: Int32Array;
  count: number;
}

/** The compacted rows of x (n × d), or undefined when fewer than a fifth of the columns are all zero. */
export function compactRows(kernels: NativeKernels, x: Float32Array, n: number, d: number): CompactRows | undefined {
  const cols = new Int32Array(d);
  const count = kernels.nonzeroColumns(x, n, d, cols, Math.floor(d * (1 - MIN_ZERO_SHARE)));
  if (count <= 0) return undefined;
  const compact = new Float32Array(n * count);
  kernels.gatherColumns(x, n, d, cols, count, compact);
  return { x: compact, cols, count };
}

/** The columns of a weight [rows, d] that multiply the compacted rows' features, as a [rows, count] tensor. */
export function weightColumns(kernels: NativeKernels, weight: ort.Tensor, rows: CompactRows): ort.Tensor {
  const [out, d] = weight.dims;
  const data = new Float32Array(out * rows.count);
  kernels.gatherColumns(weight.data as Float32Array, out, d, rows.cols, rows.count, data);
  return tensor('float32', data, [out, rows.count]);
}
