// Copying a batch's rows into feed buffers: by the native addon when the execution uses it, else by
// a plain loop.
import { nativeAddon, type Execution } from './execution.js';

/** dst[r] = src[rows[r]] for rows of `dim` floats. */
export function gatherRows(execution: Pick<Execution, 'native'>, src: Float32Array, dim: number, rows: Int32Array, dst: Float32Array): void {
  if (execution.native) {
    nativeAddon(execution).gatherRows(src, dim, rows, dst);
    return;
  }
  if (dst.length < rows.length * dim) throw new RangeError(`gatherRows: dst holds ${dst.length} values, too small for ${rows.length} rows of ${dim}`);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!(row >= 0 && (row + 1) * dim <= src.length)) throw new RangeError(`gatherRows: row ${row} is out of range`);
    dst.set(src.subarray(row * dim, (row + 1) * dim), r * dim);
  }
}
