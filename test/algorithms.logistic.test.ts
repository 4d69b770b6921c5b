// The float64 logistic-regression solver behind DFR and AFR, checked against solutions known in
// closed form and against the optimality (KKT) conditions of the ℓ1 problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLogistic, logisticGradient, logisticObjective, logisticPredict } from '../src/algorithms/logistic.js';
import { Rng } from '../src/util/random.js';

function randomProblem(seed: number, n: number, d: number, k: number) {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: n * d }, () => rng.normal());
  const truth = Float64Array.from({ length: k * d }, (_, j) => (j % d < 3 ? rng.normal() * 2 : 0));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // Noisy labels: a Gumbel draw makes the data non-separable.
    let best = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = -Math.log(-Math.log(rng.uniform() || 1e-12));
      for (let j = 0; j < d; j++) s += truth[c * d + j] * x[i * d + j];
      if (s > best) {
        best = s;
        y[i] = c;
      }
    }
  }
  return { x, y, n, d, k };
}

test('no features: the intercepts are the log of the weighted class frequencies', () => {
  // d = 1 with a zero feature: the optimum has b1 − b0 = log(Σ_{y=1} w / Σ_{y=0} w).
  const y = Int32Array.from([0, 0, 0, 1, 1, 0, 1, 0]);
  const weights = [1, 2, 0.5, 3, 1, 1, 0.25, 1];
  const fit = fitLogistic({ x: new Float64Array(8), y, n: 8, d: 1, k: 2, weights, tol: 1e-12, maxIter: 20000 });
  const w1 = 3 + 1 + 0.25;
  const w0 = 1 + 2 + 0.5 + 1 + 1;
  assert.ok(fit.converged);
  assert.ok(Math.abs(fit.b[1] - fit.b[0] - Math.log(w1 / w0)) < 1e-8, `${fit.b[1] - fit.b[0]} against ${Math.log(w1 / w0)}`);
});

test('ℓ1: the solution satisfies the optimality conditions (|∂f/∂w| = λ where w ≠ 0, ≤ λ where w = 0)', () => {
  for (const [seed, k, l1] of [[1, 2, 5], [2, 3, 2], [3, 2, 20]] as const) {
    const p = { ...randomProblem(seed, 300, 10, k), l1, tol: 1e-10, maxIter: 50000 };
    const fit = fitLogistic(p);
    assert.ok(fit.converged, `seed ${seed}: not converged in ${fit.iterations} iterations`);
    const g = logisticGradient(p, fit.w, fit.b);
    let zeros = 0;
    fit.w.forEach((w, j) => {
      if (w === 0) {
        zeros++;
        assert.ok(Math.abs(g.w[j]) <= l1 + 1e-4, `seed ${seed}: |grad| ${Math.abs(g.w[j])} > λ ${l1} at a zero weight`);
      } else {
        assert.ok(Math.abs(g.w[j] + l1 * Math.sign(w)) < 1e-4, `seed ${seed}: grad ${g.w[j]} at w = ${w}, λ = ${l1}`);
      }
    });
    g.b.forEach((v) => assert.ok(Math.abs(v) < 1e-5, `intercept gradient ${v}`));
    // Only 3 of 10 features carry signal: ℓ1 zeroes some of the rest.
    assert.ok(zeros > 0, `seed ${seed}: no weight is exactly zero`);
  }
});

test('ℓ1 above the largest gradient at zero gives exactly zero weights; smaller λ gives a lower objective than any perturbation', () => {
  const p = randomProblem(4, 200, 6, 2);
  const intercepts = fitLogistic({ ...p, x: new Float64Array(p.n * p.d), tol: 1e-12 });
  const g0 = logisticGradient(p, new Float64Array(p.k * p.d), intercepts.b);
  const lMax = Math.max(...g0.w.map(Math.abs));
  const big = fitLogistic({ ...p, l1: lMax * 1.01, tol: 1e-10 });
  assert.ok(big.w.every((w) => w === 0), `weights ${[...big.w]}`);
  const q = { ...p, l1: lMax / 10, tol: 1e-10, maxIter: 50000 };
  const fit = fitLogistic(q);
  const rng = new Rng(9);
  for (let t = 0; t < 20; t++) {
    const w = Float64Array.from(fit.w, (v) => v + rng.normal() * 1e-3);
    const b = Float64Array.from(fit.b, (v) => v + rng.normal() * 1e-3);
    assert.ok(logisticObjective(q, w, b) >= fit.objective - 1e-9);
  }
});

test('a strong ℓ2 pull keeps the layer at its centre; predictions follow the weights', () => {
  const p = randomProblem(5, 100, 4, 3);
  const center = { w: Float64Array.from({ length: 12 }, (_, j) => j / 10 - 0.5), b: Float64Array.from([0.3, -0.2, 0.1]) };
  const fit = fitLogistic({ ...p, l2: 1e6, center, tol: 1e-12 });
  fit.w.forEach((w, j) => assert.ok(Math.abs(w - center.w[j]) < 1e-3));
  fit.b.forEach((b, c) => assert.ok(Math.abs(b - center.b[c]) < 1e-3));
  // With no pull the gradient vanishes (the unpenalised optimum).
  const free = fitLogistic({ ...p, l2: 1e-3, tol: 1e-11, maxIter: 50000 });
  const g = logisticGradient({ ...p, l2: 1e-3 }, free.w, free.b);
  [...g.w, ...g.b].forEach((v) => assert.ok(Math.abs(v) < 1e-4, `gradient ${v}`));
  const pred = logisticPredict(free.w, free.b, p.x, p.n, p.d, p.k);
  const acc = pred.reduce((s, c, i) => s + (c === p.y[i] ? 1 : 0), 0) / p.n;
  assert.ok(acc > 0.6, `training accuracy ${acc}`);
});
