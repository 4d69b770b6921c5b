// An independent reference for the linear heads: L2-regularised multinomial logistic regression in
// float64, minimised by L-BFGS to a tight gradient tolerance. Features are standardised with the
// training statistics (the fit is then comparable to the library's default linear head).

export interface LogisticFit {
  /** K × d weights and K biases in the standardised space. */
  w: Float64Array;
  b: Float64Array;
  mean: Float64Array;
  inv: Float64Array;
  iterations: number;
  gradNorm: number;
}

/**
 * Minimise (1/Σw) Σ_i w_i·CE(W·z_i + b, y_i) + (λ/2)·‖W‖² (bias not penalised), z = standardised x
 * (z = x with `standardize: false`).
 */
export function fitLogistic(x: Float32Array, y: Int32Array, d: number, k: number, opts: { lambda: number; weights?: Float64Array; tol?: number; maxIter?: number; standardize?: boolean }): LogisticFit {
  const n = y.length;
  const mean = new Float64Array(d);
  const inv = new Float64Array(d).fill(1);
  if (opts.standardize !== false) {
    inv.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) inv[j] += (x[i * d + j] - mean[j]) ** 2 / n;
    for (let j = 0; j < d; j++) inv[j] = inv[j] > 1e-12 ? 1 / Math.sqrt(inv[j]) : 1;
  }
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[i * d + j] = (x[i * d + j] - mean[j]) * inv[j];
  const wts = opts.weights ?? new Float64Array(n).fill(1);
  const wsum = wts.reduce((s, v) => s + v, 0);
  const P = k * d + k;
  const logits = new Float64Array(k);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let c = 0; c < k; c++) {
        let s = theta[k * d + c];
        for (let j = 0; j < d; j++) s += theta[c * d + j] * z[i * d + j];
        logits[c] = s;
        if (s > m) m = s;
      }
      let se = 0;
      for (let c = 0; c < k; c++) se += Math.exp(logits[c] - m);
      const lse = m + Math.log(se);
      const wi = wts[i] / wsum;
      f += wi * (lse - logits[y[i]]);
      for (let c = 0; c < k; c++) {
        const g = wi * (Math.exp(logits[c] - lse) - (c === y[i] ? 1 : 0));
        grad[k * d + c] += g;
        for (let j = 0; j < d; j++) grad[c * d + j] += g * z[i * d + j];
      }
    }
    for (let p = 0; p < k * d; p++) {
      f += 0.5 * opts.lambda * theta[p] * theta[p];
      grad[p] += opts.lambda * theta[p];
    }
    return f;
  };
  const { theta, iterations, gradNorm } = lbfgs(objective, new Float64Array(P), opts.tol ?? 1e-7, opts.maxIter ?? 2000);
  return { w: theta.slice(0, k * d), b: theta.slice(k * d), mean, inv, iterations, gradNorm };
}

/** Predicted classes of raw rows under a fit. */
export function predictLogistic(fit: LogisticFit, x: Float32Array, d: number, k: number): Int32Array {
  const n = x.length / d;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = fit.b[c];
      for (let j = 0; j < d; j++) s += fit.w[c * d + j] * (x[i * d + j] - fit.mean[j]) * fit.inv[j];
      if (s > bestScore) { bestScore = s; best = c; }
    }
    out[i] = best;
  }
  return out;
}

/** L-BFGS (memory 10) with a backtracking Armijo line search; stops when ‖∇f‖∞ < tol. */
function lbfgs(f: (x: Float64Array, g: Float64Array) => number, x0: Float64Array, tol: number, maxIter: number) {
  const P = x0.length;
  const m = 10;
  let x = Float64Array.from(x0);
  let g = new Float64Array(P);
  let fx = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < P; i++) s += a[i] * b[i]; return s; };
  const infNorm = (a: Float64Array) => a.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
  let it = 0;
  for (; it < maxIter && infNorm(g) > tol; it++) {
    // Two-loop recursion for the direction −H·g.
    const q = Float64Array.from(g);
    const alpha: number[] = [];
    for (let i = S.length - 1; i >= 0; i--) {
      const a = dot(S[i], q) / dot(Y[i], S[i]);
      alpha[i] = a;
      for (let p = 0; p < P; p++) q[p] -= a * Y[i][p];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / Math.max(1, infNorm(g));
    for (let p = 0; p < P; p++) q[p] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const beta = dot(Y[i], q) / dot(Y[i], S[i]);
      for (let p = 0; p < P; p++) q[p] += S[i][p] * (alpha[i] - beta);
    }
    const dir = q.map((v) => -v);
    let slope = dot(g, dir);
    if (slope >= 0) { S.length = 0; Y.length = 0; for (let p = 0; p < P; p++) dir[p] = -g[p]; slope = dot(g, dir); }
    let step = 1;
    const xn = new Float64Array(P);
    const gn = new Float64Array(P);
    let fn = 0;
    for (let ls = 0; ls < 50; ls++) {
      for (let p = 0; p < P; p++) xn[p] = x[p] + step * dir[p];
      fn = f(xn, gn);
      if (fn <= fx + 1e-4 * step * slope) break;
      step /= 2;
    }
    const s = new Float64Array(P);
    const yv = new Float64Array(P);
    for (let p = 0; p < P; p++) { s[p] = xn[p] - x[p]; yv[p] = gn[p] - g[p]; }
    if (dot(s, yv) > 1e-12) {
      S.push(s); Y.push(yv);
      if (S.length > m) { S.shift(); Y.shift(); }
    }
    x = Float64Array.from(xn); g = Float64Array.from(gn); fx = fn;
  }
  return { theta: x, iterations: it, gradNorm: infNorm(g) };
}
