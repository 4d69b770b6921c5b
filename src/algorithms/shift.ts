// The MAT shift (design.md 2.2) and the oracle logit adjustment, computed in float64.

export const SHIFT_EPS = 1e-6;

/** q_i = softmax(h_i / τ) for every row, in float64 (max-subtracted, so any τ > 0 is safe). */
export function heldOutProbabilities(heldOutLogits: ArrayLike<number>, n: number, k: number, tau: number): Float64Array {
  if (!(Number.isFinite(tau) && tau > 0)) throw new Error(`temperature τ must be a positive number, got ${tau}`);
  if (heldOutLogits.length !== n * k) {
    throw new Error(`held-out logits: expected ${n} rows × ${k} classes = ${n * k} values, got ${heldOutLogits.length}`);
  }
  const q = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) {
      const v = heldOutLogits[i * k + c];
      if (!Number.isFinite(v)) throw new Error(`held-out logits[${i}][${c}] = ${v}: expected a finite number`);
      m = Math.max(m, v / tau);
    }
    let s = 0;
    for (let c = 0; c < k; c++) s += (q[i * k + c] = Math.exp(heldOutLogits[i * k + c] / tau - m));
    for (let c = 0; c < k; c++) q[i * k + c] /= s;
  }
  return q;
}

/**
 * Calibration table C[c_ho][c] = p(y = c | y_ho = c_ho) from the joint
 * J[c_ho][c] = (1/n) Σ_{i ∈ rows, y_i = c} q_i[c_ho]. A row with no mass (no example puts any
 * probability on c_ho, possible when softmax underflows at small τ) gets a uniform row: it is
 * multiplied by q_i[c_ho] = 0 anyway, and this keeps 0/0 out of the shift.
 */
export function calibrationTable(q: Float64Array, y: ArrayLike<number>, k: number, rows?: ArrayLike<number>): Float64Array {
  const joint = new Float64Array(k * k);
  const count = rows ? rows.length : y.length;
  for (let r = 0; r < count; r++) {
    const i = rows ? rows[r] : r;
    const c = y[i];
    for (let h = 0; h < k; h++) joint[h * k + c] += q[i * k + h];
  }
  const table = new Float64Array(k * k);
  for (let h = 0; h < k; h++) {
    let rowSum = 0;
    for (let c = 0; c < k; c++) rowSum += joint[h * k + c];
    for (let c = 0; c < k; c++) table[h * k + c] = rowSum > 0 ? joint[h * k + c] / rowSum : 1 / k;
  }
  return table;
}

/** shift_i[c] = log(Σ_h q_i[h]·C[h][c] + 1e-6) for the given rows, written into out (rows × K). */
export function shiftRows(q: Float64Array, table: Float64Array, k: number, rows: ArrayLike<number>, out: Float32Array): void {
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    for (let c = 0; c < k; c++) {
      let p = 0;
      for (let h = 0; h < k; h++) p += q[i * k + h] * table[h * k + c];
      out[r * k + c] = Math.log(p + SHIFT_EPS);
    }
  }
}

/** MAT's shift for every training example, calibrated over the whole training set (Algorithm 1). */
export function matShift(heldOutLogits: ArrayLike<number>, y: ArrayLike<number>, k: number, tau: number): Float32Array {
  const n = y.length;
  const q = heldOutProbabilities(heldOutLogits, n, k, tau);
  const table = calibrationTable(q, y, k);
  const out = new Float32Array(n * k);
  shiftRows(q, table, k, Int32Array.from({ length: n }, (_, i) => i), out);
  return out;
}

/** Oracle logit adjustment: shift_i[c] = log(p(y = c | a_i) + 1e-6), from training counts. */
export function attributeShift(y: ArrayLike<number>, a: ArrayLike<number>, k: number, numAttributes: number): Float32Array {
  const n = y.length;
  const counts = new Float64Array(numAttributes * k);
  const totals = new Float64Array(numAttributes);
  for (let i = 0; i < n; i++) {
    counts[a[i] * k + y[i]]++;
    totals[a[i]]++;
  }
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) out[i * k + c] = Math.log(counts[a[i] * k + c] / totals[a[i]] + SHIFT_EPS);
  }
  return out;
}
