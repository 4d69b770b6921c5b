// The page: Figure 1 trained live (ERM and MAT side by side), and the user's own file. Training runs
// in two workers (ERM; XRM then MAT); this thread only draws. Tests read the page through data-*
// attributes: [data-action], [data-metric], body[data-state] (loading, idle, running, done, stopped, error).
import { boundaryChart, curveChart, updateBoundary, updateCurves, type Chart } from './charts.js';
import { RANDOM_SPLIT, type EvalMessage, type Figure1Job, type Method, type Reply, type Request, type SplitScore } from './protocol.js';
import type { FileSummary } from './userData.js';

const METHODS: Method[] = ['erm', 'mat'];
const params = new URLSearchParams(location.search);
/** Files larger than this are refused before they are read (?maxMB= changes it). */
const MAX_BYTES = Number(params.get('maxMB') ?? 64) * 2 ** 20;

const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const setState = (state: string) => { document.body.dataset.state = state; };
const message = (text: string) => { $('[data-message]').textContent = text; };

/** What the last finished run produced (also for scripts: window.matLastRun). */
interface RunRecord { seconds: number; params: Float32Array[]; flipRate?: number; last?: EvalMessage }
interface LastRun { job: Figure1Job; seconds?: number; erm?: RunRecord; mat?: RunRecord }
declare global { interface Window { matLastRun?: LastRun } }

let workers: Worker[] = [];

function stopWorkers(): void {
  for (const w of workers) w.terminate();
  workers = [];
  for (const stop of document.querySelectorAll<HTMLButtonElement>('[data-action^="stop"]')) stop.disabled = true;
}

function fail(text: string): void {
  stopWorkers();
  message(text);
  setState('error');
  setButtons(false);
}

function setButtons(running: boolean): void {
  $<HTMLButtonElement>('[data-action="train"]').disabled = running;
  $<HTMLButtonElement>('[data-action="train-data"]').disabled = running;
  for (const stop of document.querySelectorAll<HTMLButtonElement>('[data-action^="stop"]')) stop.disabled = !running;
}

/** Start one worker per method; `onReply` sees every reply but errors, which end the run. */
function startWorkers(requests: Record<Method, Request>, onReply: (m: Reply) => void, transfer: (r: Request) => Transferable[] = () => []): void {
  stopWorkers();
  message('');
  setState('running');
  setButtons(true);
  for (const method of METHODS) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<Reply>) => {
      if (e.data.type === 'error') fail(`Training stopped: ${e.data.message}`);
      else onReply(e.data);
    };
    worker.onerror = (e) => fail(`The training worker failed: ${e.message || 'it could not start'}`);
    worker.postMessage(requests[method], transfer(requests[method]));
    workers.push(worker);
  }
}

function progressText(m: Extract<Reply, { type: 'progress' }>): string {
  const phase = m.phase === 'xrm' ? 'XRM twins' : m.phase.toUpperCase();
  return `${phase} ${m.step} / ${m.total}`;
}

function showProgress(key: string, m: Extract<Reply, { type: 'progress' }>): void {
  const el = $(`[data-progress="${key}"]`);
  // Updating the text every step costs more than training; a few per second is enough.
  if (m.step % 25 === 0 || m.step === m.total) el.textContent = progressText(m);
}

// ---------- Figure 1 ----------

/** Accuracy of Figure 1's majority (a = y: groups 0 and 3) or minority (groups 1 and 2). */
function share(s: SplitScore, minority: boolean): number {
  let correct = 0;
  let count = 0;
  s.groupAcc.forEach((acc, g) => {
    const isMinority = g === 1 || g === 2;
    if (acc === null || isMinority !== minority) return;
    correct += acc * s.groupCounts[g];
    count += s.groupCounts[g];
  });
  return count ? correct / count : NaN;
}

function figure1Job(): Figure1Job {
  const num = (name: string) => (params.has(name) ? Number(params.get(name)) : undefined);
  return {
    noise: Number($<HTMLSelectElement>('[data-control="sigma"]').value),
    tau: Number($<HTMLSelectElement>('[data-control="tau"]').value),
    seed: Number($<HTMLInputElement>('[data-control="seed"]').value) || 0,
    n: num('n'), dim: num('dim'), steps: num('steps'),
  };
}

function trainFigure1(): void {
  const job = figure1Job();
  const steps = job.steps ?? 1000;
  const curves = {} as Record<Method, { chart: Chart; points: number[][]; boundary?: Chart; lastBoundary?: [number, number] }>;
  for (const m of METHODS) {
    $(`[data-chart="${m}-boundary"]`).innerHTML = '';
    curves[m] = { chart: curveChart($(`[data-chart="${m}-curves"]`), steps), points: [] };
    for (const where of ['majority', 'minority']) $(`[data-metric="${m}-${where}-test"]`).textContent = '–';
  }
  const started = performance.now();
  const record: LastRun = { job };
  let points: Extract<Reply, { type: 'points' }> | undefined;
  const requests = { erm: { type: 'fig1', method: 'erm', job }, mat: { type: 'fig1', method: 'mat', job } } as const;
  startWorkers(requests, (m) => {
    if (m.type === 'points') {
      points = m;
      for (const method of METHODS) {
        curves[method].boundary = boundaryChart($(`[data-chart="${method}-boundary"]`), m.x0, m.x1, m.groups);
        const last = curves[method].lastBoundary;
        if (last) updateBoundary(curves[method].boundary!, last);
      }
    } else if (m.type === 'progress') {
      showProgress(m.method, m);
    } else if (m.type === 'eval') {
      const c = curves[m.method];
      const train = m.train ?? m.test;
      c.points.push([m.step, share(train, false), share(train, true), share(m.test, false), share(m.test, true)]);
      updateCurves(c.chart, c.points);
      if (m.boundary) {
        c.lastBoundary = m.boundary;
        if (c.boundary) updateBoundary(c.boundary, m.boundary);
      }
      $(`[data-metric="${m.method}-majority-test"]`).textContent = share(m.test, false).toFixed(3);
      $(`[data-metric="${m.method}-minority-test"]`).textContent = share(m.test, true).toFixed(3);
      record[m.method] = { ...(record[m.method] ?? { seconds: 0, params: [] }), last: m };
    } else if (m.type === 'done') {
      record[m.method] = { ...record[m.method], seconds: m.seconds, params: m.params, flipRate: m.flipRate };
      $(`[data-progress="${m.method}"]`).textContent = `${m.method.toUpperCase()} done in ${m.seconds.toFixed(1)} s`;
      if (METHODS.every((k) => record[k]?.params.length)) {
        record.seconds = (performance.now() - started) / 1000;
        window.matLastRun = record;
        stopWorkers();
        setButtons(false);
        setState('done');
        void points;
      }
    }
  });
}

// ---------- Your data ----------

let loaded: { name: string; bytes: Uint8Array; summary: FileSummary } | undefined;

async function loadFile(file: File): Promise<void> {
  // A new file ends whatever was running.
  stopWorkers();
  setButtons(false);
  message('');
  $('[data-results]').innerHTML = '';
  $('[data-columns]').hidden = true;
  loaded = undefined;
  if (file.size > MAX_BYTES) {
    fail(`${file.name} is ${size(file.size)}, over this page's limit of ${size(MAX_BYTES)}: use the command line (mat train --data) for larger files.`);
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  setState('running');
  // Parsing a large file takes a while: a worker does it, so the page stays responsive.
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  workers.push(worker);
  worker.onmessage = (e: MessageEvent<Reply>) => {
    const m = e.data;
    if (m.type === 'error') fail(m.message);
    if (m.type !== 'summary') return;
    worker.terminate();
    workers = workers.filter((w) => w !== worker);
    loaded = { name: file.name, bytes, summary: m.summary };
    showColumns(m.summary);
    setState('idle');
  };
  worker.onerror = (e) => fail(`Reading ${file.name} failed: ${e.message}`);
  worker.postMessage({ type: 'inspect', name: file.name, bytes } satisfies Request);
}

function fillSelect(el: HTMLSelectElement, options: string[], preferred: string[]): void {
  el.innerHTML = '';
  for (const o of options) el.add(new Option(o, o));
  const pick = preferred.find((p) => options.includes(p));
  if (pick) el.value = pick;
}

function showColumns(s: FileSummary): void {
  const cats = s.categorical.map((c) => c.name);
  fillSelect($('[data-control="label"]'), cats, ['label', 'y', 'labels', 'target', 'class', cats[cats.length - 1]]);
  fillSelect($('[data-control="attr"]'), ['(none)', ...cats], ['a', 'attr', 'attribute', 'group', 'place', '(none)']);
  fillSelect($('[data-control="split"]'), [RANDOM_SPLIT, ...s.all], ['split', RANDOM_SPLIT]);
  $('[data-columns]').hidden = false;
}

function trainData(): void {
  if (!loaded) return;
  const choice = {
    label: $<HTMLSelectElement>('[data-control="label"]').value,
    attr: $<HTMLSelectElement>('[data-control="attr"]').value,
    split: $<HTMLSelectElement>('[data-control="split"]').value,
    seed: Number($<HTMLInputElement>('[data-control="seed"]').value) || 0,
  };
  if (choice.attr === '(none)' || choice.attr === choice.label) choice.attr = '';
  const request = (method: Method): Request => ({
    type: 'data', method, name: loaded!.name, bytes: loaded!.bytes, tau: Number($<HTMLSelectElement>('[data-control="tau"]').value),
    choice: { label: choice.label, attr: choice.attr || undefined, split: choice.split === RANDOM_SPLIT ? undefined : choice.split, seed: choice.seed },
    steps: params.has('steps') ? Number(params.get('steps')) : undefined,
  });
  $('[data-results]').innerHTML = '';
  let info: Extract<Reply, { type: 'dataset' }> | undefined;
  // Per method, the evaluation with the best validation worst-group accuracy (ties: the later step).
  const selected = {} as Record<Method, EvalMessage | undefined>;
  const done = new Set<Method>();
  let flipRate: number | undefined;
  let heldOutReading: string | undefined;
  startWorkers({ erm: request('erm'), mat: request('mat') }, (m) => {
    if (m.type === 'dataset') info = m;
    else if (m.type === 'progress') showProgress(`data-${m.method}`, m);
    else if (m.type === 'eval') {
      const best = selected[m.method];
      if (!best || m.val.worstGroupAcc >= best.val.worstGroupAcc) selected[m.method] = m;
    }
    else if (m.type === 'done') {
      done.add(m.method);
      if (m.method === 'mat') {
        flipRate = m.flipRate;
        heldOutReading = m.heldOutReading;
      }
      $(`[data-progress="data-${m.method}"]`).textContent = `${m.method.toUpperCase()} done in ${m.seconds.toFixed(1)} s`;
      if (done.size === METHODS.length && info && selected.erm && selected.mat) {
        stopWorkers();
        setButtons(false);
        $('[data-results]').replaceChildren(groupTable(info, selected.erm, selected.mat, flipRate, heldOutReading));
        setState('done');
      }
    }
  });
}

function groupTable(info: Extract<Reply, { type: 'dataset' }>, ermEval: EvalMessage, matEval: EvalMessage, flipRate?: number, heldOutReading?: string): HTMLElement {
  const erm = ermEval.test;
  const mat = matEval.test;
  const wrap = document.createElement('div');
  const attrs = info.attributeNames.length ? info.attributeNames : ['(all)'];
  const fmt = (v: number | null) => (v === null ? '–' : v.toFixed(3));
  const rows = erm.groupAcc.map((_, g) => {
    const y = Math.floor(g / attrs.length);
    return `<tr data-group="${g}"><td>${esc(info.classNames[y] ?? String(y))}</td><td>${esc(attrs[g % attrs.length])}</td>` +
      `<td>${erm.groupCounts[g]}</td><td data-acc="erm">${fmt(erm.groupAcc[g])}</td><td data-acc="mat">${fmt(mat.groupAcc[g])}</td></tr>`;
  });
  wrap.innerHTML = `<p class="note">${info.rows[0]} training, ${info.rows[1]} validation, ${info.rows[2]} test rows; ${info.dim} features.` +
    (flipRate === undefined ? '' : ` XRM flipped ${(100 * flipRate).toFixed(1)}% of the training labels (MAT is only as good as these held-out predictions: near 0% means XRM found no minority).`) +
    ` Test accuracy per group at the step with the best validation worst-group accuracy (ERM: step <span data-step="erm">${ermEval.step}</span>, MAT: step <span data-step="mat">${matEval.step}</span>), as <code>mat train</code> selects:</p>` +
    `<table data-table="groups"><thead><tr><th>label</th><th>attribute</th><th>test rows</th><th>ERM</th><th>MAT</th></tr></thead><tbody>${rows.join('')}` +
    `<tr data-group="worst"><td>worst group</td><td></td><td></td><td data-acc="erm">${fmt(erm.worstGroupAcc)}</td><td data-acc="mat">${fmt(mat.worstGroupAcc)}</td></tr>` +
    `<tr data-group="average"><td>average</td><td></td><td></td><td data-acc="erm">${fmt(erm.avgAcc)}</td><td data-acc="mat">${fmt(mat.avgAcc)}</td></tr></tbody></table>` +
    (heldOutReading ? `<p class="note" data-signal>Held-out signal: ${esc(heldOutReading)}</p>` : '');
  return wrap;
}

function size(bytes: number): string {
  return bytes < 2 ** 20 ? `${Math.round(bytes / 2 ** 10)} KB` : `${Math.round(bytes / 2 ** 20)} MB`;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---------- start ----------

function hasWebAssembly(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0));
  } catch {
    return false;
  }
}

$('[data-max-size]').textContent = size(MAX_BYTES);
if (!hasWebAssembly()) {
  fail('This page needs WebAssembly, which this browser lacks or has turned off (some locked-down or "safe mode" settings disable it). Enable it, or use another browser, or the command line (npx mat demo).');
} else {
  $('[data-action="train"]').addEventListener('click', trainFigure1);
  $('[data-action="train-data"]').addEventListener('click', trainData);
  for (const stop of document.querySelectorAll('[data-action^="stop"]')) {
    stop.addEventListener('click', () => {
      stopWorkers();
      setButtons(false);
      message('Stopped.');
      setState('stopped');
    });
  }
  const input = $<HTMLInputElement>('[data-control="file"]');
  input.addEventListener('change', () => { if (input.files?.[0]) void loadFile(input.files[0]); });
  const drop = $('[data-drop]');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void loadFile(file);
  });
  setButtons(false);
  setState('idle');
}
