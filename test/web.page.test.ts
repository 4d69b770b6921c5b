// The browser page end to end in headless Chromium: built by esbuild into a temporary folder, served
// by web/serve.mjs, driven through its data-* contract. Figure 1 must reproduce the paper's result
// (ERM fails the minority, MAT recovers it); a dropped CSV gives a per-group table; bad input gives
// a message, not a frozen tab; and the browser's engine matches Node's in-graph path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { figure1Live, runLive } from '../src/experiments/live.js';
import { encodeNpz } from '../src/data/files/npy.js';
import { Rng } from '../src/util/random.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const web = new URL('../../web/', import.meta.url);
/** What the page keeps of its last Figure 1 run (window.matLastRun). */
type LastRun = { seconds: number; erm?: { params: Float32Array[] }; mat?: { params: Float32Array[]; flipRate?: number } };
const lastRun = () => (window as unknown as { matLastRun: LastRun }).matLastRun;
type BuildWeb = (outDir: string) => Promise<{ bytes: number; files: string[] }>;
type ServeStatic = (root: string) => Promise<{ server: Server; url: string }>;

let browser: Browser;
let server: Server;
let url: string;
let outDir: string;
let built: { bytes: number; files: string[] };

before(async () => {
  if (chromiumMissing) return;
  const { buildWeb } = (await import(new URL('build.mjs', web).href)) as { buildWeb: BuildWeb };
  const { serveStatic } = (await import(new URL('serve.mjs', web).href)) as { serveStatic: ServeStatic };
  outDir = mkdtempSync(join(tmpdir(), 'mat-web-'));
  built = await buildWeb(outDir);
  ({ server, url } = await serveStatic(outDir));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function open(query = '', init?: () => void): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 980 } });
  if (init) await page.addInitScript(init);
  await page.goto(url + query);
  await page.waitForSelector('body:not([data-state="loading"])');
  return page;
}

async function metric(page: Page, name: string): Promise<number> {
  const text = (await page.textContent(`[data-metric="${name}"]`))!.trim();
  const v = Number(text);
  assert.ok(text !== '' && v >= 0 && v <= 1, `${name}: "${text}" is not a number in [0, 1]`);
  return v;
}

/** The page answers a script call at once: its main thread is not blocked. */
async function responsive(page: Page): Promise<void> {
  const t0 = Date.now();
  await page.evaluate(() => document.body.dataset.state);
  assert.ok(Date.now() - t0 < 2000, 'the page took over 2 s to answer');
}

test('the built page holds one WASM runtime and stays under 15 MiB', { skip: chromiumMissing }, () => {
  assert.deepEqual(built.files.filter((f) => f.endsWith('.wasm')), ['ort-wasm-simd-threaded.wasm']);
  assert.ok(built.bytes < 15 * 2 ** 20, `built page is ${(built.bytes / 2 ** 20).toFixed(2)} MiB`);
});

test('Figure 1 at σ = 0.5: ERM fails the minority, MAT recovers it', { skip: chromiumMissing, timeout: 300_000 }, async (t) => {
  const page = await open();
  assert.equal(await page.inputValue('[data-control="sigma"]'), '0.5');
  await page.click('[data-action="train"]');
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 280_000 });
  assert.equal(await page.getAttribute('body', 'data-state'), 'done', (await page.textContent('[data-message]')) ?? '');
  const erm = { majority: await metric(page, 'erm-majority-test'), minority: await metric(page, 'erm-minority-test') };
  const mat = { majority: await metric(page, 'mat-majority-test'), minority: await metric(page, 'mat-minority-test') };
  const seconds = await page.evaluate(`(${lastRun})().seconds`) as number;
  t.diagnostic(`ERM ${JSON.stringify(erm)}, MAT ${JSON.stringify(mat)}, ${seconds?.toFixed(1)} s in the browser`);
  assert.ok(erm.majority >= 0.95 && erm.minority <= 0.3, `ERM: ${JSON.stringify(erm)}`);
  assert.ok(mat.minority >= 0.85 && mat.majority >= 0.85, `MAT: ${JSON.stringify(mat)}`);
  const shot = join(tmpdir(), 'mat-web-figure1.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
  await page.close();
});

test('the browser gives the same results as Node’s in-graph path for the same seed', { skip: chromiumMissing, timeout: 120_000 }, async (t) => {
  const job = { noise: 0.5, seed: 3, n: 200, dim: 300, steps: 150 };
  const page = await open(`?n=${job.n}&dim=${job.dim}&steps=${job.steps}`);
  await page.fill('[data-control="seed"]', String(job.seed));
  await page.click('[data-action="train"]');
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 100_000 });
  const inBrowser = await page.evaluate(`(() => {
    const r = (${lastRun})();
    return { erm: r.erm.params.map((p) => Array.from(p)), mat: r.mat.params.map((p) => Array.from(p)), flipRate: r.mat.flipRate };
  })()`) as { erm: number[][]; mat: number[][]; flipRate: number };
  await page.close();
  const { ds, preset } = figure1Live(job);
  for (const method of ['erm', 'mat'] as const) {
    const node = await runLive(ds, preset, method, job.seed, { tau: 0.1, execution: { native: false, threads: 1 } });
    if (method === 'mat') assert.equal(inBrowser.flipRate, node.heldOut!.flipRate, 'XRM flipped the same labels');
    const b = inBrowser[method][0];
    const n = node.params[0];
    assert.equal(b.length, n.length);
    let worst = 0;
    for (let i = 0; i < n.length; i++) worst = Math.max(worst, Math.abs(b[i] - n[i]) / (1e-3 + Math.abs(n[i])));
    t.diagnostic(`${method}: parameters differ by up to ${worst.toExponential(2)} (relative)`);
    assert.ok(worst < 1e-4, `${method}: parameters differ by up to ${worst} (relative)`);
  }
});

test('Stop ends a run at once and the page stays usable', { skip: chromiumMissing, timeout: 60_000 }, async () => {
  const page = await open();
  await page.click('[data-action="train"]');
  await page.waitForFunction(() => /\d+ \/ \d+/.test(document.querySelector('[data-progress="mat"]')!.textContent ?? ''), null, { timeout: 30_000 });
  await page.click('[data-action="stop"]');
  assert.equal(await page.getAttribute('body', 'data-state'), 'stopped');
  assert.equal(await page.isEnabled('[data-action="train"]'), true);
  await responsive(page);
  await page.close();
});

/** A small spurious-correlation table: the attribute agrees with the label on 90% of training rows. */
function spuriousCsv(rows = 600): string {
  const rng = new Rng(11);
  const lines = ['f1,f2,f3,f4,label,place,split'];
  for (let i = 0; i < rows; i++) {
    const split = i < 0.6 * rows ? 'train' : i < 0.8 * rows ? 'val' : 'test';
    const y = rng.bernoulli(0.5) ? 1 : 0;
    const agree = split === 'train' ? rng.bernoulli(0.9) : rng.bernoulli(0.5);
    const a = agree ? y : 1 - y;
    const f = [y + 0.6 * rng.normal(), 2 * a - 1 + 0.3 * rng.normal(), rng.normal(), rng.normal()];
    lines.push(`${f.map((v) => v.toFixed(4)).join(',')},${y ? 'bird' : 'fish'},${a ? 'water' : 'land'},${split}`);
  }
  return `${lines.join('\n')}\n`;
}

async function dropFile(page: Page, name: string, text: string): Promise<void> {
  await page.evaluate(([n, body]) => {
    const data = new DataTransfer();
    data.items.add(new File([body], n, { type: 'text/csv' }));
    document.querySelector('[data-drop]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, [name, text] as const);
}

test('a dropped CSV trains ERM and MAT and shows accuracy per group', { skip: chromiumMissing, timeout: 120_000 }, async () => {
  const page = await open('?steps=400');
  await dropFile(page, 'birds.csv', spuriousCsv());
  await page.waitForSelector('[data-columns]:not([hidden])', { timeout: 20_000 });
  assert.equal(await page.inputValue('[data-control="label"]'), 'label');
  assert.equal(await page.inputValue('[data-control="split"]'), 'split');
  await page.selectOption('[data-control="attr"]', 'place');
  await page.click('[data-action="train-data"]');
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 100_000 });
  assert.equal(await page.getAttribute('body', 'data-state'), 'done', (await page.textContent('[data-message]')) ?? '');
  const rows = await page.$$eval('[data-table="groups"] tbody tr', (trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent ?? '')));
  // 2 labels × 2 places, then worst group and average.
  assert.equal(rows.length, 6, JSON.stringify(rows));
  assert.deepEqual(rows.slice(0, 4).map((r) => `${r[0]}/${r[1]}`), ['bird/land', 'bird/water', 'fish/land', 'fish/water']);
  const counts = rows.slice(0, 4).map((r) => Number(r[2]));
  assert.equal(counts.reduce((s, c) => s + c, 0), 120, 'every test row is in one group');
  for (const r of rows) for (const cell of r.slice(3)) assert.ok(Number(cell) >= 0 && Number(cell) <= 1, `accuracy "${cell}" in ${JSON.stringify(r)}`);
  // The table is of the step with the best validation worst-group accuracy, one of the evaluations (every 20 steps at 400).
  for (const method of ['erm', 'mat']) {
    const step = Number(await page.textContent(`[data-step="${method}"]`));
    assert.ok(step > 0 && step <= 400 && step % 20 === 0, `${method}: selected step ${step}`);
  }
  // With an attribute, the page says whether XRM's held-out mistakes are the minority groups.
  assert.match((await page.textContent('[data-signal]')) ?? '', /^Held-out signal: the held-out mistakes (do not )?match the minority groups on validation data \(precision \d\.\d\d, recall \d\.\d\d\)/);
  await page.close();
});

test('a chosen NPZ (x, y, a, split arrays) gives the same per-group table', { skip: chromiumMissing, timeout: 120_000 }, async () => {
  const rng = new Rng(5);
  const n = 500;
  const d = 6;
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  const a = new Int32Array(n);
  const split = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    split[i] = i < 300 ? 0 : i < 400 ? 1 : 2;
    y[i] = rng.bernoulli(0.5) ? 1 : 0;
    a[i] = rng.bernoulli(split[i] === 0 ? 0.9 : 0.5) ? y[i] : 1 - y[i];
    for (let j = 0; j < d; j++) x[i * d + j] = rng.normal();
    x[i * d] += y[i];
    x[i * d + 1] += 2 * a[i];
  }
  const page = await open('?steps=300');
  await page.setInputFiles('[data-control="file"]', { name: 'arrays.npz', mimeType: 'application/zip', buffer: Buffer.from(encodeNpz({ x: { data: x, shape: [n, d] }, y, a, split })) });
  await page.waitForSelector('[data-columns]:not([hidden])', { timeout: 20_000 });
  assert.deepEqual([await page.inputValue('[data-control="label"]'), await page.inputValue('[data-control="attr"]'), await page.inputValue('[data-control="split"]')], ['y', 'a', 'split']);
  await page.click('[data-action="train-data"]');
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 100_000 });
  assert.equal(await page.getAttribute('body', 'data-state'), 'done', (await page.textContent('[data-message]')) ?? '');
  const counts = await page.$$eval('[data-table="groups"] tbody tr[data-group]:not([data-group="worst"]):not([data-group="average"]) td:nth-child(3)', (tds) => tds.map((td) => Number(td.textContent)));
  assert.equal(counts.length, 4);
  assert.equal(counts.reduce((s, c) => s + c, 0), 100);
  await page.close();
});

test('bad input gives a message on the page, never a frozen tab', { skip: chromiumMissing, timeout: 90_000 }, async (t) => {
  const cases: { name: string; query?: string; file?: [string, string]; init?: () => void; expect: RegExp }[] = [
    {
      name: 'no WebAssembly',
      init: () => { delete (globalThis as { WebAssembly?: unknown }).WebAssembly; },
      expect: /needs WebAssembly/,
    },
    { name: 'a ragged row', file: ['ragged.csv', 'f1,f2,label\n1,2,0\n3,4\n5,6,1\n'], expect: /ragged\.csv: line 3: expected 3 fields \(as in the header\), found 2/ },
    { name: 'no label column', file: ['floats.csv', 'f1,f2,f3\n0.1,0.2,0.3\n0.4,0.5,0.6\n0.7,0.8,0.9\n'], expect: /no column can be the label/ },
    { name: 'a file over the size limit', query: '?maxMB=0.001', file: ['big.csv', spuriousCsv(100)], expect: /big\.csv is \d+ KB, over this page's limit of 1 KB/ },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const page = await open(c.query, c.init);
      if (c.file) await dropFile(page, ...c.file);
      await page.waitForSelector('body[data-state="error"]', { timeout: 20_000 });
      assert.match((await page.textContent('[data-message]')) ?? '', c.expect);
      await responsive(page);
      await page.close();
    });
  }
});
