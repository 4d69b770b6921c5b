// Multinomial logistic regression in float64, solved by FISTA (accelerated proximal gradient with
// backtracking and adaptive restart). One solver serves the last-layer methods:
//   minimise  Σ_i w_i · CE(W·x_i + b, y_i)  +  l2 · (‖W − W0‖² + ‖b − b0‖²)  +  l1 · ‖W‖₁
// DFR: ℓ1 (sklearn's C is 1 / l1 with unit weights); AFR: weights and the ℓ2 pull towards the
// first model's layer. The intercept is never ℓ1-penalised. Two classes without an ℓ2 pull are
// solved as the equivalent binary problem.

export interface LogisticProblem {
  /** n × d features, row-major. */
  x: Float32Array | Float64Array;
  y: Int32Array;
  n: number;
  d: number;
  k: number;
  /** Per-example loss weights (default 1 each). */
  weights?: ArrayLike<number>;
  /** ℓ1 strength on W (default 0). */
  l1?: number;
  /** Strength of the ℓ2 pull towards (W0, b0) (default 0; towards zero when no centre is given). */
  l2?: number;
  /** The centre of the ℓ2 pull: W0 (k × d) and b0 (k). */
  center?: { w: ArrayLike<number>; b: ArrayLike<number> };
  /** Fit an intercept (default true). */
  intercept?: boolean;
  /** Starting point (default: the centre, else zero). */
  init?: { w: ArrayLike<number>; b: ArrayLike<number> };
  maxIter?: number;
  /** Stop when the largest parameter change of an iteration is below tol · max(1, largest parameter). */
  tol?: number;
}

export interface LogisticFit {
  /** k × d, row-major. */
  w: Float64Array;
  b: Float64Array;
  objective: number;
  iterations: number;
  converged: boolean;
}

/** Smooth part of the objective at (w, b); fills the gradient when given. */
function smooth(p: LogisticProblem, w: Float64Array, b: Float64Array, grad?: { w: Float64Array; b: Float64Array }): number {
  const { x, y, n, d, k } = p;
  const l2 = p.l2 ?? 0;
  const z = new Float64Array(k);
  if (grad) {
    grad.w.fill(0);
    grad.b.fill(0);
  }
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const wi = p.weights ? p.weights[i] : 1;
    if (wi === 0) continue;
    const row = i * d;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = b[c];
      const wr = c * d;
      for (let j = 0; j < d; j++) s += w[wr + j] * x[row + j];
      z[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[c] - max);
    const lse = max + Math.log(sum);
    loss += wi * (lse - z[y[i]]);
    if (!grad) continue;
    for (let c = 0; c < k; c++) {
      const r = wi * (Math.exp(z[c] - lse) - (c === y[i] ? 1 : 0));
      if (r === 0) continue;
      grad.b[c] += r;
      const wr = c * d;
      for (let j = 0; j < d; j++) grad.w[wr + j] += r * x[row + j];
    }
  }
  if (l2 > 0) {
    const cw = p.center?.w;
    const cb = p.center?.b;
    for (let j = 0; j < w.length; j++) {
      const diff = w[j] - (cw ? cw[j] : 0);
      loss += l2 * diff * diff;
      if (grad) grad.w[j] += 2 * l2 * diff;
    }
    for (let c = 0; c < k; c++) {
      const diff = b[c] - (cb ? cb[c] : 0);
      loss += l2 * diff * diff;
      if (grad) grad.b[c] += 2 * l2 * diff;
    }
  }
  if (grad && p.intercept === false) grad.b.fill(0);
  return loss;
}

function l1Norm(w: Float64Array): number {
  let s = 0;
  for (const v of w) s += Math.abs(v);
  return s;
}

/** The full objective (smooth part + ℓ1) at a point. */
export function logisticObjective(p: LogisticProblem, w: Float64Array, b: Float64Array): number {
  return smooth(p, w, b) + (p.l1 ?? 0) * l1Norm(w);
}

/** The gradient of the smooth part (for optimality checks). */
export function logisticGradient(p: LogisticProblem, w: Float64Array, b: Float64Array): { w: Float64Array; b: Float64Array } {
  const grad = { w: new Float64Array(w.length), b: new Float64Array(b.length) };
  smooth(p, w, b, grad);
  return grad;
}

export function fitLogistic(p: LogisticProblem): LogisticFit {
  const { n, d, k } = p;
  if (p.x.length !== n * d) throw new Error(`logistic regression: x has ${p.x.length} values, expected ${n} × ${d}`);
  if (p.y.length !== n) throw new Error(`logistic regression: y has ${p.y.length} values, expected ${n}`);
  const l1 = p.l1 ?? 0;
  if (!(l1 >= 0) || !((p.l2 ?? 0) >= 0)) throw new Error('logistic regression: l1 and l2 must be ≥ 0');
  const opts = { l1, maxIter: p.maxIter ?? 5000, tol: p.tol ?? 1e-7, freeIntercept: p.intercept !== false };
  const start = p.init ?? p.center;
  const w0 = Float64Array.from(start?.w ?? new Float64Array(k * d));
  const b0 = opts.freeIntercept ? Float64Array.from(start?.b ?? new Float64Array(k)) : new Float64Array(k);
  if (k === 2 && !((p.l2 ?? 0) > 0)) {
    // Two classes and no ℓ2 pull: the model sees only the logit difference v = w₁ − w₀, and
    // ‖w₀‖₁ + ‖w₁‖₁ ≥ ‖v‖₁ with equality at (−v/2, v/2). So the binary problem in v has the same
    // optimum at half the cost (sklearn's liblinear fits the same single vector).
    const v0 = Float64Array.from({ length: d }, (_, j) => w0[d + j] - w0[j]);
    const fit = fista((v, c, grad) => binarySmooth(p, v, c[0], grad), v0, Float64Array.of(b0[1] - b0[0]), opts);
    const w = new Float64Array(2 * d);
    for (let j = 0; j < d; j++) {
      w[j] = -fit.w[j] / 2;
      w[d + j] = fit.w[j] / 2;
    }
    const b = Float64Array.of(-fit.b[0] / 2, fit.b[0] / 2);
    return { w, b, objective: logisticObjective(p, w, b), iterations: fit.iterations, converged: fit.converged };
  }
  const fit = fista((w, b, grad) => smooth(p, w, b, grad), w0, b0, opts);
  return { ...fit, objective: logisticObjective(p, fit.w, fit.b) };
}

/** Binary logistic loss of the logit difference z = v·x + c (labels 0 / 1), with its gradient. */
function binarySmooth(p: LogisticProblem, v: Float64Array, c: number, grad?: { w: Float64Array; b: Float64Array }): number {
  const { x, y, n, d } = p;
  if (grad) {
    grad.w.fill(0);
    grad.b.fill(0);
  }
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const wi = p.weights ? p.weights[i] : 1;
    if (wi === 0) continue;
    const row = i * d;
    let z = c;
    for (let j = 0; j < d; j++) z += v[j] * x[row + j];
    // −log p(y | x) = softplus(z) for y = 0, softplus(−z) for y = 1.
    const t = y[i] === 1 ? -z : z;
    loss += wi * (t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t)));
    if (!grad) continue;
    const r = wi * (1 / (1 + Math.exp(-z)) - y[i]);
    grad.b[0] += r;
    for (let j = 0; j < d; j++) grad.w[j] += r * x[row + j];
  }
  if (grad && p.intercept === false) grad.b.fill(0);
  return loss;
}

type SmoothPart = (w: Float64Array, b: Float64Array, grad?: { w: Float64Array; b: Float64Array }) => number;

/**
 * FISTA on smooth(w, b) + l1·‖w‖₁ from (w, b): a proximal gradient step with backtracking on the
 * step size, Nesterov momentum, and adaptive restart.
 */
function fista(smoothAt: SmoothPart, wStart: Float64Array, bStart: Float64Array, opts: { l1: number; maxIter: number; tol: number }): { w: Float64Array; b: Float64Array; iterations: number; converged: boolean } {
  const { l1, maxIter, tol } = opts;
  let w = Float64Array.from(wStart);
  let b = Float64Array.from(bStart);
  // Momentum point (yw, yb), gradient there, trial point (zw, zb).
  let yw = Float64Array.from(w);
  let yb = Float64Array.from(b);
  const grad = { w: new Float64Array(w.length), b: new Float64Array(b.length) };
  let zw = new Float64Array(w.length);
  let zb = new Float64Array(b.length);
  // Initial step: the Lipschitz bound ½·Σ w_i ‖x̃_i‖² is safe but loose; backtracking corrects any guess.
  let lipschitz = 1;
  let t = 1;
  let iterations = 0;
  let converged = false;
  for (; iterations < maxIter; iterations++) {
    const fy = smoothAt(yw, yb, grad);
    let fz = 0;
    for (;;) {
      for (let j = 0; j < zw.length; j++) {
        const v = yw[j] - grad.w[j] / lipschitz;
        const thr = l1 / lipschitz;
        zw[j] = v > thr ? v - thr : v < -thr ? v + thr : 0;
      }
      for (let c = 0; c < zb.length; c++) zb[c] = yb[c] - grad.b[c] / lipschitz;
      fz = smoothAt(zw, zb);
      let lin = 0;
      let sq = 0;
      for (let j = 0; j < zw.length; j++) {
        const dv = zw[j] - yw[j];
        lin += grad.w[j] * dv;
        sq += dv * dv;
      }
      for (let c = 0; c < zb.length; c++) {
        const dv = zb[c] - yb[c];
        lin += grad.b[c] * dv;
        sq += dv * dv;
      }
      if (fz <= fy + lin + (lipschitz / 2) * sq + 1e-14 * Math.abs(fy)) break;
      lipschitz *= 2;
    }
    // Change of this iteration, and the restart test (O'Donoghue & Candès): momentum that points
    // against the step is dropped.
    let change = 0;
    let scale = 1;
    let dot = 0;
    for (let j = 0; j < zw.length; j++) {
      change = Math.max(change, Math.abs(zw[j] - w[j]));
      scale = Math.max(scale, Math.abs(zw[j]));
      dot += (yw[j] - zw[j]) * (zw[j] - w[j]);
    }
    for (let c = 0; c < zb.length; c++) {
      change = Math.max(change, Math.abs(zb[c] - b[c]));
      scale = Math.max(scale, Math.abs(zb[c]));
      dot += (yb[c] - zb[c]) * (zb[c] - b[c]);
    }
    if (dot > 0) t = 1;
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const beta = (t - 1) / tNext;
    for (let j = 0; j < zw.length; j++) yw[j] = zw[j] + beta * (zw[j] - w[j]);
    for (let c = 0; c < zb.length; c++) yb[c] = zb[c] + beta * (zb[c] - b[c]);
    [w, zw] = [zw, w];
    [b, zb] = [zb, b];
    t = tNext;
    // Let the step grow again where the curvature is lower.
    lipschitz *= 0.9;
    if (change <= tol * scale) {
      converged = true;
      iterations++;
      break;
    }
  }
  return { w, b, iterations, converged };
}

/** Class predictions of a fitted model on n × d rows. */
export function logisticPredict(w: ArrayLike<number>, b: ArrayLike<number>, x: Float32Array | Float64Array, n: number, d: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = b[c];
      for (let j = 0; j < d; j++) s += w[c * d + j] * x[i * d + j];
      if (s > best) {
        best = s;
        out[i] = c;
      }
    }
  }
  return out;
}
