// The HTML reports: every figure is an ECharts SVG with the series it should have, the page opens
// from disk in headless Chromium without a logged error, and `mat report --html` builds a 120-run
// sweep's page in under 10 s; folders that are missing or incomplete are named in the error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Evaluation } from '../src/eval/metrics.js';
import type { HeldOutDiagnostics } from '../src/heldout/diagnostics.js';
import { demoHtmlReport, DEMO_FIGURES_FILE, type DemoFigureData } from '../src/report/demo.js';
import { renderHtml } from '../src/report/html.js';
import type { MemorizationResult } from '../src/report/memorization.js';
import { runDir, writeDone, writeJsonAtomic, writeResults, writeSweepConfig } from '../src/sweep/store.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const bin = path.join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bin', 'mat.js');
const mat = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, MAT_THREADS: '1' } });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function memorization(dataset: string): MemorizationResult {
  const group = (g: number, minority: boolean, mean: number) => ({
    group: g, y: g >> 1, a: g & 1, n: minority ? 40 : 400, minority, mean,
    quantiles: { '0.1': mean - 0.2, '0.25': mean - 0.1, '0.5': mean, '0.75': mean + 0.1, '0.9': mean + 0.2 }, seedMeans: [mean],
  });
  const method = (minorityMean: number) => ({
    groups: [group(0, false, 0.01), group(1, true, minorityMean), group(2, true, minorityMean), group(3, false, 0.02)],
    minorityMean: [minorityMean], majorityMean: [0.015], steps: [500],
  });
  return { dataset, folds: 5, seeds: [0], stop: 'va_wga', seconds: 1, methods: { erm: method(0.4), mat: method(0.1) } };
}

/** A demo's figure data, made up: the page is what is under test here, not the training. */
function demoData(): DemoFigureData {
  const steps = range(21).map((i) => i * 50);
  const rise = (rate: number) => steps.map((s) => 1 - Math.exp(-s / rate));
  const fig1Labels = ['ERM, noise 0', 'ERM, noise 0.5', 'MAT, noise 0.5, τ = 0.1'];
  const methods = ['ERM', 'MAT'];
  const grid = range(101).map((i) => -1.5 + 0.03 * i);
  return {
    seeds: 1,
    seconds: 3,
    experiments: [
      { experiment: 'fig1', title: 'Figure 1', table: { headers: ['method', 'test worst-group'], rows: fig1Labels.map((l) => [l, '90.0']) } },
      {
        experiment: 'cmnist', title: 'ColorMNIST', table: { headers: ['method', 'test worst-group'], rows: methods.map((m) => [m, '60.0']) },
        curves: methods.map((m, i) => ({ method: m, steps, valWorstGroup: rise(100 + i * 100), testWorstGroup: rise(150 + i * 100), selectedStep: 500 })),
        groupLabels: range(4).map((g) => `y=${g >> 1}, a=${g & 1}`),
        groupAcc: methods.map((m, i) => ({ method: m, groupAcc: [0.9, 0.2 + 0.4 * i, 0.3 + 0.3 * i, 0.95] })),
        flipRates: [{ label: 'seed 0', flipRate: 0.15 }],
      },
    ],
    fig1: {
      curves: fig1Labels.map((label) => ({ label, steps, trainMajority: rise(50), trainMinority: rise(200), testMajority: rise(60), testMinority: rise(400) })),
      boundaries: fig1Labels.map((label, i) => ({ label, cy: 1, ca: i * 0.3 })),
      points: { xy: range(40).map((i) => (i % 2 ? 1 : -1) * (1 + 0.01 * i)), xa: range(40).map((i) => (i % 4 < 2 ? 5 : -5)), minority: range(40).map((i) => i % 10 === 0) },
    },
    fig3: { grid, truth: grid.map((x) => Math.tanh(x) + 0.5 * Math.tanh(-5 * x)), trainX: [-1, 0, 1], trainY: [-0.3, 0, 0.3], fits: ['good', 'bad', 'ugly'].map((label) => ({ label, prediction: grid.map((x) => Math.tanh(x)) })) },
    memorization: [memorization('cmnist')],
  };
}

/** The series every figure of demoData() must draw. */
const EXPECTED_SERIES: Record<string, string[]> = {
  'fig1-curves': ['train majority', 'train minority', 'test majority', 'test minority'],
  'fig1-boundaries': ['majority (train)', 'minority (train)', 'ERM, noise 0', 'ERM, noise 0.5', 'MAT, noise 0.5, τ = 0.1'],
  'curves-cmnist': ['ERM validation', 'ERM test', 'MAT validation', 'MAT test'],
  'groups-cmnist': ['ERM', 'MAT'],
  'flips-cmnist': ['flip rate'],
  'fig2-cmnist': ['ERM', 'MAT'],
  'fig3-fits': ['true function', 'fitted function', 'training points'],
};

/** Lines drawn with at least this many points (a figure's curves, not its axes or boxes). */
const LINE_SERIES: Record<string, number> = { 'fig1-curves': 12, 'curves-cmnist': 4, 'fig3-fits': 6 };

interface RenderedFigure { id: string; series: string[]; width: number; height: number; texts: string[]; longPaths: number; rects: number }

async function openReport(file: string, screenshot: string): Promise<{ figures: RenderedFigure[]; errors: string[] }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(pathToFileURL(file).href);
    const figures = await page.$$eval('figure', (els) => els.map((el) => {
      const svg = el.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      return {
        id: el.id,
        series: JSON.parse(el.getAttribute('data-series') ?? '[]') as string[],
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        texts: [...(svg?.querySelectorAll('text') ?? [])].map((t) => t.textContent ?? ''),
        longPaths: [...(svg?.querySelectorAll('path') ?? [])].filter((p) => ((p.getAttribute('d') ?? '').match(/L/g) ?? []).length >= 10).length,
        rects: [...(svg?.querySelectorAll('path') ?? [])].length,
      };
    }));
    await page.screenshot({ path: screenshot, fullPage: true });
    return { figures, errors };
  } finally {
    await browser.close();
  }
}

test('the demo report: every figure is an SVG with its series and a caption, tables, no script', () => {
  const html = renderHtml(demoHtmlReport(demoData()));
  for (const [id, series] of Object.entries(EXPECTED_SERIES)) {
    const at = html.indexOf(`<figure id="${id}"`);
    assert.ok(at >= 0, `figure ${id} missing`);
    const figure = html.slice(at, html.indexOf('</figure>', at));
    assert.match(figure, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const name of series) assert.ok(figure.includes(`>${name}<`), `${id}: no legend entry "${name}"`);
    assert.match(figure, /<figcaption><strong>[^<]+\.<\/strong> [A-Z][^<]+[.)]<\/figcaption>/);
  }
  assert.equal((html.match(/<table>/g) ?? []).length, 4);
  // Self-contained: no script, nothing fetched.
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/);
});

test('headless Chromium opens the report from disk: every figure drawn with its series, no errors', { skip: chromiumMissing }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-html-'));
  const file = path.join(dir, 'report.html');
  fs.writeFileSync(file, renderHtml(demoHtmlReport(demoData())));
  const screenshot = path.join(dir, 'report.png');
  const { figures, errors } = await openReport(file, screenshot);
  assert.deepEqual(errors, []);
  assert.deepEqual(figures.map((f) => f.id).sort(), Object.keys(EXPECTED_SERIES).sort());
  for (const f of figures) {
    assert.deepEqual(f.series, EXPECTED_SERIES[f.id], f.id);
    assert.ok(f.width > 300 && f.height > 200, `${f.id}: drawn ${f.width} × ${f.height}`);
    for (const name of EXPECTED_SERIES[f.id]) assert.ok(f.texts.includes(name), `${f.id}: legend lacks "${name}" (has ${f.texts.join(' | ')})`);
    if (LINE_SERIES[f.id]) assert.ok(f.longPaths >= LINE_SERIES[f.id], `${f.id}: ${f.longPaths} drawn lines, expected ≥ ${LINE_SERIES[f.id]}`);
  }
  assert.ok(fs.statSync(screenshot).size > 10_000);
  t.diagnostic(`screenshot: ${screenshot}`);
});

test('mat memorization --out writes report.html with Figure 2; Chromium renders it', { skip: chromiumMissing }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-mem-'));
  const r = mat('memorization', '--data', 'fig1', '--steps', '60', '--folds', '2', '--seeds', '1', '--no-cache', '--quiet', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`report: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/report.html`));
  const { figures, errors } = await openReport(path.join(out, 'report.html'), path.join(out, 'report.png'));
  assert.deepEqual(errors, []);
  assert.deepEqual(figures.map((f) => [f.id, f.series]), [['fig2-fig1', ['ERM', 'MAT']]]);
  assert.ok(figures[0].texts.includes('y=0, a=1 (minority)'));
  // The CSV holds one score per training example, method and seed.
  const csv = fs.readFileSync(path.join(out, 'scores.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 1 + 2 * 1000);
});

test('mat train --out writes report.html (and mat report --html rebuilds it): curves, per-group accuracy, the held-out signal and convergence; Chromium renders it', { skip: chromiumMissing }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-run-html-'));
  let r = mat('train', '--data', 'embeddings', '--algorithm', 'mat', '--steps', '300', '--no-cache', '--quiet', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  // mat train --out writes the page itself and ends with its path; mat report --html rebuilds it.
  assert.ok(r.stdout.trimEnd().endsWith(`report: ${path.join(out, 'report.html')}`), r.stdout);
  const written = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  r = mat('report', out, '--html');
  assert.equal(r.status, 0, r.stderr);
  const { figures, errors } = await openReport(path.join(out, 'report.html'), path.join(out, 'report.png'));
  assert.deepEqual(errors, []);
  assert.deepEqual(figures.map((f) => [f.id, f.series]), [
    ['curves-mat', ['mat validation', 'mat test']],
    ['groups-mat', ['mat']],
    ['signal-embeddings', ['marked', 'minority precision', 'minority recall']],
  ]);
  const signal = figures[2];
  for (const label of ['training, class 0', 'validation, class 1']) assert.ok(signal.texts.includes(label), `no axis label "${label}"`);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.equal(html, written);
  assert.match(html, /seed 0: flip rate 0\.0\d\d, held-out accuracy 0\.9\d\d; the held-out mistakes match the minority groups/);
  assert.match(html, /<h2>Convergence<\/h2>\n<p>Final training loss \d\.\d{3}/);
  // ERM has no held-out stage: no signal section.
  const erm = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-run-html-'));
  assert.equal(mat('train', '--data', 'embeddings', '--steps', '100', '--quiet', '--out', erm).status, 0);
  assert.equal(mat('report', erm, '--html').status, 0);
  const ermHtml = fs.readFileSync(path.join(erm, 'report.html'), 'utf8');
  assert.ok(ermHtml.includes('<figure id="curves-erm"') && !ermHtml.includes('Held-out signal'));
});

/** Diagnostics of a held-out run whose mistakes are exactly the minority (as on ColorMNIST). */
function diagnostics(): HeldOutDiagnostics {
  const perClass = (errorRate: number) => [0, 1].map((label) => ({ label, count: 500, errorRate, minorityCount: 50, precision: 1, recall: 1, lift: 10 }));
  return {
    source: 'xrm', flipRate: 0.1, degenerate: false, heldOutAccuracy: 0.9,
    train: { marks: 'held-out mistake', perClass: perClass(0.1), precision: 1, recall: 1 },
    val: { marks: 'cross-mistake', perClass: perClass(0.1), precision: 1, recall: 1 },
    verdict: 'the held-out mistakes match the minority groups on validation data (precision 1.00, recall 1.00): the regime where MAT helps.',
  };
}

function ev(wga: number): Evaluation {
  return { n: 100, avgAcc: wga + 0.1, worstGroupAcc: wga, groupAcc: [wga + 0.2, wga, wga + 0.1, wga + 0.3], groupCounts: [25, 25, 25, 25], worstClassAcc: wga, balancedAcc: wga, classAcc: [wga, wga], classCounts: [50, 50] };
}

test('mat report --html on a 120-run sweep builds in under 10 s, with curves and group accuracies per dataset', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-sweep-html-'));
  const datasets = ['cmnist', 'embeddings'];
  const algorithms = ['xrm', 'erm', 'mat', 'xrm+groupdro'];
  writeSweepConfig(root, { version: 1, datasets: datasets.map((d) => ({ kind: 'builtin', key: d, name: d })), algorithms, combos: 5, seeds: 3 });
  let runs = 0;
  for (const dataset of datasets) for (const algorithm of algorithms) for (const combo of range(5)) for (const seed of range(3)) {
    const dir = runDir(root, { dataset, algorithm, combo, seed });
    fs.mkdirSync(dir, { recursive: true });
    writeJsonAtomic(path.join(dir, 'config.json'), { hparams: { lr: 1e-4 * (combo + 1) } });
    if (algorithm !== 'xrm') writeResults(dir, range(21).map((i) => ({ step: i * 50, loss: 0.1, val: ev(0.3 + 0.01 * i + 0.01 * combo), test: ev(0.25 + 0.01 * i) })));
    writeDone(dir, { status: 'ok', id: `${dataset}/${algorithm}/c${combo}-s${seed}`, finishedAt: '', seconds: 1, steps: 1000, ...(algorithm === 'xrm' ? { flipRate: 0.1 + 0.01 * combo, degenerate: false, diagnostics: diagnostics() } : {}) });
    runs++;
  }
  assert.equal(runs, 120);
  const started = performance.now();
  const r = mat('report', root, '--html');
  const seconds = (performance.now() - started) / 1000;
  assert.equal(r.status, 0, r.stderr);
  assert.ok(seconds < 10, `report took ${seconds.toFixed(1)} s`);
  const html = fs.readFileSync(path.join(root, 'report.html'), 'utf8');
  for (const d of datasets) {
    for (const id of [`curves-${d}`, `groups-${d}`, `flips-${d}`, `signal-${d}`]) assert.ok(html.includes(`<figure id="${id}"`), `no figure ${id}`);
    assert.ok(html.includes('&quot;mat validation&quot;'), 'the curves figure lists the selected runs');
  }
});

test('mat report names what is missing: no folder, an incomplete demo or run folder, a folder of nothing known; rebuilds the others', () => {
  const missing = path.join(os.tmpdir(), `mat-no-such-${process.pid}`);
  let r = mat('report', missing, '--html');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no such folder/);
  const demo = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-demo-'));
  fs.writeFileSync(path.join(demo, 'summary.json'), '[]');
  r = mat('report', demo, '--html');
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`incomplete mat demo folder, missing ${DEMO_FIGURES_FILE}`));
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-empty-'));
  r = mat('report', empty, '--html');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /expected sweep.json and runs\/ \(mat sweep\), summary.json and figures.json \(mat demo\), memorization.json \(mat memorization\) or results.jsonl and config.json/);
  // A single run's folder (mat train --out): config.json and results.jsonl.
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-run-'));
  fs.writeFileSync(path.join(run, 'results.jsonl'), range(5).map((i) => JSON.stringify({ step: i * 10, loss: 0.1, val: ev(0.2 + 0.1 * (i % 2)), test: ev(0.3) })).join('\n') + '\n');
  r = mat('report', run, '--html');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /incomplete mat train folder, missing config.json/);
  fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ dataset: 'cmnist', algorithm: 'mat', seed: 0 }));
  r = mat('report', run, '--html');
  assert.equal(r.status, 0, r.stderr);
  const runHtml = fs.readFileSync(path.join(run, 'report.html'), 'utf8');
  // Validation worst-group peaks at steps 10 and 30 (0.3): the later one is selected.
  assert.ok(runHtml.includes('Test accuracy per group at step 30: mat'));
  assert.ok(runHtml.includes('<figure id="curves-mat"'));
  // A demo folder rebuilt from its figures.json.
  fs.writeFileSync(path.join(demo, DEMO_FIGURES_FILE), JSON.stringify(demoData()));
  r = mat('report', demo, '--html');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.readFileSync(path.join(demo, 'report.html'), 'utf8').includes('<figure id="fig3-fits"'));
});

test('mat demo --only fig1 ends by printing the report path; the page has Figures 1 and 3', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mat-demo-')), 'demo');
  const r = mat('demo', '--only', 'fig1', '--seeds', '1', '--quiet', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').at(-1), `report: ${path.join(out, 'report.html')}`);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  for (const id of ['fig1-curves', 'fig1-boundaries', 'fig3-fits']) {
    assert.ok(html.includes(`<figure id="${id}"`), `no figure ${id}`);
    assert.ok(fs.statSync(path.join(out, 'figures', `${id}.svg`)).size > 1000);
  }
  assert.ok(fs.existsSync(path.join(out, DEMO_FIGURES_FILE)));
});
