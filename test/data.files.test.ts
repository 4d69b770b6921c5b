import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { encodeNpy, encodeNpz, parseNpy, readNpy, readNpz, writeNpy, writeNpz } from '../src/data/files/npy.js';
import { readTable } from '../src/data/files/table.js';
import { loadDatasetFile } from '../src/data/files/load.js';
import { InputError } from '../src/util/errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mat-files-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);

/** A .npy file by hand: any descr, header version 1/2/3, raw little-endian payload. */
function makeNpy(descr: string, shape: number[], payload: Uint8Array, opts: { version?: 1 | 2 | 3; fortran?: boolean } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const prelude = version === 1 ? 10 : 12;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((prelude + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(prelude + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prelude);
  out.set(payload, prelude + header.length);
  return out;
}
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** assert.rejects / throws with an InputError whose message matches every pattern. */
function isInputError(...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    for (const p of patterns) assert.match((e as Error).message, p);
    return true;
  };
}

// ---------- NPY ----------

test('NPY round trip for float32, float64, int32, int64, uint8 and bool (writer), shapes kept', () => {
  const cases = [
    { arr: { data: Float32Array.from([1.5, -2, 3.25, 0, 1e-7, 7]), shape: [2, 3] }, dtype: 'float32' },
    { arr: { data: Float64Array.from([Math.PI, -1e300]), shape: [2] }, dtype: 'float64' },
    { arr: { data: Int32Array.from([-5, 0, 2 ** 31 - 1, 7]), shape: [2, 2] }, dtype: 'int32' },
    { arr: { data: BigInt64Array.from([-(2n ** 40n), 3n]), shape: [2] }, dtype: 'int64' },
    { arr: { data: Uint8Array.from([0, 255, 3]), shape: [3, 1] }, dtype: 'uint8' },
    { arr: { data: Uint8Array.from([1, 0, 1, 1]), shape: [4], dtype: 'bool' as const }, dtype: 'bool' },
  ];
  for (const { arr, dtype } of cases) {
    const bytes = encodeNpy(arr);
    assert.equal(bytes[6], 1, 'format version 1.0');
    const headerEnd = 10 + new DataView(bytes.buffer).getUint16(8, true);
    assert.equal(headerEnd % 64, 0, 'data aligned to 64 bytes');
    const back = parseNpy(bytes, 'mem');
    assert.equal(back.dtype, dtype);
    assert.deepEqual(back.shape, arr.shape);
    assert.deepEqual(Array.from(back.data as ArrayLike<unknown>), Array.from(arr.data as ArrayLike<unknown>));
  }
  // A bare typed array writes as 1-D.
  const p = file('plain.npy');
  writeNpy(p, Int32Array.from([4, 5, 6]));
  const r = readNpy(p);
  assert.deepEqual(r.shape, [3]);
  assert.ok(r.data instanceof Int32Array);
});

test('NPY reads every supported dtype from hand-made v1, v2 and v3 headers, little- and big-endian', () => {
  const le = (n: number, set: (dv: DataView, i: number) => void, size: number) => {
    const b = new Uint8Array(n * size);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) set(dv, i);
    return b;
  };
  const cases: { descr: string; payload: Uint8Array; want: unknown[]; dtype: string; ctor: Function }[] = [
    { descr: '<f4', payload: le(3, (dv, i) => dv.setFloat32(i * 4, i + 0.5, true), 4), want: [0.5, 1.5, 2.5], dtype: 'float32', ctor: Float32Array },
    { descr: '<f8', payload: le(2, (dv, i) => dv.setFloat64(i * 8, -i - 0.25, true), 8), want: [-0.25, -1.25], dtype: 'float64', ctor: Float64Array },
    // float16: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800
    { descr: '<f2', payload: le(3, (dv, i) => dv.setUint16(i * 2, [0x3c00, 0xc000, 0x3800][i], true), 2), want: [1, -2, 0.5], dtype: 'float16', ctor: Float32Array },
    { descr: '|i1', payload: Int8Array.from([-1, 2]).map((v) => v) as unknown as Uint8Array, want: [-1, 2], dtype: 'int8', ctor: Int8Array },
    { descr: '<i2', payload: le(2, (dv, i) => dv.setInt16(i * 2, [-300, 300][i], true), 2), want: [-300, 300], dtype: 'int16', ctor: Int16Array },
    { descr: '<u2', payload: le(2, (dv, i) => dv.setUint16(i * 2, [65535, 1][i], true), 2), want: [65535, 1], dtype: 'uint16', ctor: Uint16Array },
    { descr: '<i4', payload: le(2, (dv, i) => dv.setInt32(i * 4, [-7, 9][i], true), 4), want: [-7, 9], dtype: 'int32', ctor: Int32Array },
    { descr: '<u4', payload: le(1, (dv) => dv.setUint32(0, 4e9, true), 4), want: [4e9], dtype: 'uint32', ctor: Uint32Array },
    { descr: '<i8', payload: le(2, (dv, i) => dv.setBigInt64(i * 8, [-3n, 5n][i], true), 8), want: [-3n, 5n], dtype: 'int64', ctor: BigInt64Array },
    { descr: '<u8', payload: le(1, (dv) => dv.setBigUint64(0, 2n ** 63n, true), 8), want: [2n ** 63n], dtype: 'uint64', ctor: BigUint64Array },
    { descr: '|u1', payload: Uint8Array.from([200, 1]), want: [200, 1], dtype: 'uint8', ctor: Uint8Array },
    { descr: '|b1', payload: Uint8Array.from([1, 0]), want: [1, 0], dtype: 'bool', ctor: Uint8Array },
    { descr: '>f4', payload: le(2, (dv, i) => dv.setFloat32(i * 4, [1.25, -8][i], false), 4), want: [1.25, -8], dtype: 'float32', ctor: Float32Array },
    { descr: '>i4', payload: le(1, (dv) => dv.setInt32(0, -123456, false), 4), want: [-123456], dtype: 'int32', ctor: Int32Array },
  ];
  for (const version of [1, 2, 3] as const) {
    for (const c of cases) {
      const payload = c.descr === '|i1' ? Uint8Array.from([255, 2]) : c.payload;
      const arr = parseNpy(makeNpy(c.descr, [c.want.length], payload, { version }), `v${version}`);
      assert.equal(arr.dtype, c.dtype, `${c.descr} v${version}`);
      assert.ok(arr.data instanceof c.ctor, `${c.descr}: ${arr.data.constructor.name}`);
      assert.deepEqual(Array.from(arr.data as ArrayLike<unknown>), c.want, `${c.descr} v${version}`);
    }
  }
  // Fixed-width strings: '<U5' (UTF-32) and '|S3' (bytes), trailing NULs stripped.
  const u = new Uint8Array(2 * 5 * 4);
  const dv = new DataView(u.buffer);
  ['train', 'val'].forEach((s, i) => [...s].forEach((ch, k) => dv.setUint32((i * 5 + k) * 4, ch.codePointAt(0)!, true)));
  assert.deepEqual(parseNpy(makeNpy('<U5', [2], u)).data, ['train', 'val']);
  assert.deepEqual(parseNpy(makeNpy('|S3', [2], Uint8Array.from([97, 98, 99, 120, 0, 0]))).data, ['abc', 'x']);
  // A 2-D Fortran-ordered array with one non-trivial dim is the same as C order: accepted.
  assert.deepEqual(parseNpy(makeNpy('<i4', [3, 1], bytesOf(Int32Array.from([1, 2, 3])), { fortran: true })).shape, [3, 1]);
});

test('readNpy of a large float32 array views the file buffer (one copy of the data)', () => {
  const n = 1000;
  const d = 64;
  const data = new Float32Array(n * d).map((_, i) => i * 0.5);
  const p = file('big.npy');
  writeNpy(p, { data, shape: [n, d] });
  const arr = readNpy(p);
  const x = arr.data as Float32Array;
  assert.ok(x instanceof Float32Array);
  assert.deepEqual(arr.shape, [n, d]);
  assert.equal(x.buffer.byteLength, fs.statSync(p).size, 'the array is a view of the one buffer the file was read into');
  assert.equal(x.byteOffset, 128);
  assert.equal(x[n * d - 1], (n * d - 1) * 0.5);
});

test('NPY errors: Fortran order, unsupported dtype, truncated data and not-NPY name the file', () => {
  const p = file('fortran.npy');
  fs.writeFileSync(p, makeNpy('<f4', [2, 3], new Uint8Array(24), { fortran: true }));
  assert.throws(() => readNpy(p), isInputError(/fortran\.npy/, /Fortran-ordered/, /ascontiguousarray/));
  const c = file('complex.npy');
  fs.writeFileSync(c, makeNpy('<c8', [2], new Uint8Array(16)));
  assert.throws(() => readNpy(c), isInputError(/complex\.npy/, /unsupported dtype '<c8'/, /<f4/));
  const o = file('object.npy');
  fs.writeFileSync(o, makeNpy('|O', [1], new Uint8Array(8)));
  assert.throws(() => readNpy(o), isInputError(/object\.npy/, /pickled Python objects/));
  const t = file('trunc.npy');
  fs.writeFileSync(t, makeNpy('<f4', [10], new Uint8Array(12)));
  assert.throws(() => readNpy(t), isInputError(/trunc\.npy/, /truncated/, /40 bytes/, /holds 12/));
  const z = file('notnpy.npy');
  fs.writeFileSync(z, 'hello world');
  assert.throws(() => readNpy(z), isInputError(/notnpy\.npy/, /magic/));
  assert.throws(() => readNpy(file('absent.npy')), isInputError(/absent\.npy/, /cannot open/));
});

// ---------- NPZ ----------

test('NPZ round trip, stored (np.savez) and deflated (np.savez_compressed)', () => {
  const arrays = {
    x: { data: Float32Array.from({ length: 12 }, (_, i) => i / 4), shape: [4, 3] },
    y: Int32Array.from([0, 1, 1, 0]),
  };
  for (const compress of [false, true]) {
    const bytes = encodeNpz(arrays, { compress });
    // Compression method of the first local file header: 0 stored, 8 deflated.
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true), compress ? 8 : 0);
    const p = file(`arrays-${compress}.npz`);
    writeNpz(p, arrays, { compress });
    const back = readNpz(p);
    assert.deepEqual(Object.keys(back).sort(), ['x', 'y']);
    assert.deepEqual(back.x.shape, [4, 3]);
    assert.deepEqual(Array.from(back.x.data as Float32Array), Array.from(arrays.x.data));
    assert.deepEqual(Array.from(back.y.data as Int32Array), [0, 1, 1, 0]);
  }
  const bad = file('bad.npz');
  fs.writeFileSync(bad, 'not a zip');
  assert.throws(() => readNpz(bad), isInputError(/bad\.npz/, /not a readable \.npz/));
});

/** Unicode ('<U') array bytes for strings, as np.array(['train', ...]) saves them. */
function unicodeNpy(values: string[]): Uint8Array {
  const w = Math.max(...values.map((s) => s.length));
  const b = new Uint8Array(values.length * w * 4);
  const dv = new DataView(b.buffer);
  values.forEach((s, i) => [...s].forEach((ch, k) => dv.setUint32((i * w + k) * 4, ch.codePointAt(0)!, true)));
  return makeNpy(`<U${w}`, [values.length], b);
}

test('loadDatasetFile reads an NPZ with x, y, a and a string split array', async () => {
  const { zipSync } = await import('fflate');
  const n = 6;
  const x = Float32Array.from({ length: n * 2 }, (_, i) => i);
  const bytes = zipSync({
    'x.npy': encodeNpy({ data: x, shape: [n, 2] }),
    'y.npy': encodeNpy(Int32Array.from([0, 1, 0, 1, 1, 0])),
    'a.npy': encodeNpy(Int32Array.from([1, 0, 0, 1, 0, 1])),
    'split.npy': unicodeNpy(['train', 'train', 'valid', 'val', 'test', 'test']),
  });
  const p = file('data.npz');
  fs.writeFileSync(p, bytes);
  const ds = await loadDatasetFile(p, { label: 'y' });
  assert.equal(ds.name, 'data');
  assert.equal(ds.dim, 2);
  assert.equal(ds.numClasses, 2);
  assert.equal(ds.numAttributes, 2);
  assert.deepEqual([ds.train.y.length, ds.val.y.length, ds.test.y.length], [2, 2, 2]);
  assert.deepEqual(Array.from(ds.train.x), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(ds.test.a!), [0, 1]);
  assert.deepEqual(Array.from(ds.val.ids!), [2, 3]);
});

test('loadDatasetFile reads an NPZ with per-split arrays x_train / y_train / a_train ...', async () => {
  const mk = (n: number, off: number) => ({ data: Float32Array.from({ length: n * 3 }, (_, i) => off + i), shape: [n, 3] });
  const p = file('splits.npz');
  writeNpz(p, {
    x_train: mk(4, 0), y_train: Int32Array.from([0, 1, 1, 0]), a_train: Int32Array.from([0, 0, 1, 1]),
    x_val: mk(2, 100), y_val: Int32Array.from([1, 0]), a_val: Int32Array.from([1, 0]),
    x_test: mk(3, 200), y_test: Int32Array.from([0, 0, 1]), a_test: Int32Array.from([1, 1, 0]),
  }, { compress: true });
  const ds = await loadDatasetFile(p, { label: 'y' });
  assert.deepEqual([ds.train.y.length, ds.val.y.length, ds.test.y.length], [4, 2, 3]);
  assert.equal(ds.dim, 3);
  assert.equal(ds.val.x[0], 100);
  assert.deepEqual(Array.from(ds.test.y), [0, 0, 1]);
  assert.deepEqual(Array.from(ds.val.a!), [1, 0]);
});

// ---------- CSV / Parquet ----------

const CSV = [
  'id,f1,f2,animal,place,split',
  'r0,0.5,1,dog,land,train',
  'r1,1.5,2,cat,water,train',
  'r2,2.5,3,dog,water,TRAIN',
  'r3,3.5,4,cat,land,val',
  'r4,4.5,5,dog,land,validation',
  'r5,5.5,6,cat,water,test',
  'r6,6.5,7,cat,land,2',
].join('\n');

test('CSV with string labels and attributes: sorted codes, names kept, numeric columns as features', async () => {
  const p = file('table.csv');
  fs.writeFileSync(p, CSV);
  const ds = await loadDatasetFile(p, { label: 'animal', attr: 'place' });
  assert.deepEqual(ds.classNames, ['cat', 'dog']);
  assert.deepEqual(ds.attributeNames, ['land', 'water']);
  assert.equal(ds.dim, 2, 'id (strings) is not a feature');
  assert.deepEqual([ds.train.y.length, ds.val.y.length, ds.test.y.length], [3, 2, 2]);
  assert.deepEqual(Array.from(ds.train.y), [1, 0, 1]);
  assert.deepEqual(Array.from(ds.train.a!), [0, 1, 1]);
  assert.deepEqual(Array.from(ds.train.x), [0.5, 1, 1.5, 2, 2.5, 3]);
  // Explicit feature list.
  const one = await loadDatasetFile(p, { label: 'animal', features: ['f2'] });
  assert.equal(one.dim, 1);
  assert.equal(one.numAttributes, 1);
  assert.deepEqual(Array.from(one.test.x), [6, 7]);
});

test('Parquet with string labels (written by hyparquet-writer) loads like the CSV', async () => {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'f1', data: Float64Array.from([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]), type: 'DOUBLE' },
      { name: 'f2', data: Int32Array.from([1, 2, 3, 4, 5, 6, 7]), type: 'INT32' },
      { name: 'animal', data: ['dog', 'cat', 'dog', 'cat', 'dog', 'cat', 'cat'], type: 'STRING' },
      { name: 'place', data: ['land', 'water', 'water', 'land', 'land', 'water', 'land'], type: 'STRING' },
      { name: 'split', data: ['train', 'train', 'train', 'val', 'val', 'test', 'test'], type: 'STRING' },
    ],
  });
  const p = file('table.parquet');
  fs.writeFileSync(p, new Uint8Array(buf));
  const t = await readTable(p);
  assert.equal(t.numRows, 7);
  assert.equal(t.columns.get('f2')!.kind, 'number');
  assert.equal(t.columns.get('animal')!.kind, 'text');
  const ds = await loadDatasetFile(p, { label: 'animal', attr: 'place' });
  assert.deepEqual(ds.classNames, ['cat', 'dog']);
  assert.deepEqual(ds.attributeNames, ['land', 'water']);
  assert.equal(ds.dim, 2);
  assert.deepEqual([ds.train.y.length, ds.val.y.length, ds.test.y.length], [3, 2, 2]);
  assert.deepEqual(Array.from(ds.val.x), [3.5, 4, 4.5, 5]);
  await assert.rejects(loadDatasetFile(p, { label: 'species' }), isInputError(/table\.parquet/, /column "species" not found/, /animal/));
});

// ---------- errors ----------

function csvFile(name: string, text: string): string {
  const p = file(name);
  fs.writeFileSync(p, text);
  return p;
}

test('errors: missing file, unknown extension, missing column', async () => {
  await assert.rejects(loadDatasetFile(file('nope.csv'), { label: 'y' }), isInputError(/nope\.csv: file not found/));
  const txt = csvFile('data.xyz', 'a');
  await assert.rejects(loadDatasetFile(txt, { label: 'y' }), isInputError(/data\.xyz/, /unknown data file type/));
  const p = csvFile('t1.csv', CSV);
  await assert.rejects(loadDatasetFile(p, { label: 'species' }), isInputError(/t1\.csv/, /column "species" not found/, /f1, f2, animal/));
  await assert.rejects(loadDatasetFile(p, { label: 'animal', features: ['f1', 'f9'] }), isInputError(/column "f9" not found/));
  await assert.rejects(loadDatasetFile(p, { label: 'animal', split: 'fold' }), isInputError(/column "fold" not found/));
});

test('errors: non-numeric feature and NaN feature name the column and row', async () => {
  const bad = csvFile('t2.csv', CSV.replace('r2,2.5,3', 'r2,2.5,abc'));
  await assert.rejects(
    loadDatasetFile(bad, { label: 'animal' }),
    isInputError(/t2\.csv/, /feature column "f2", row 3/, /expected a number, got "abc"/),
  );
  const nan = csvFile('t3.csv', CSV.replace('r4,4.5', 'r4,NaN'));
  await assert.rejects(loadDatasetFile(nan, { label: 'animal' }), isInputError(/t3\.csv/, /feature column "f1", row 5/, /NaN/, /finite/));
  const empty = csvFile('t3b.csv', CSV.replace('r5,5.5', 'r5,'));
  await assert.rejects(loadDatasetFile(empty, { label: 'animal' }), isInputError(/feature column "f1", row 6: expected a number, got an empty cell/));
  const p = file('nan.npz');
  writeNpz(p, { x: { data: Float32Array.from([1, 2, 3, NaN]), shape: [2, 2] }, y: Int32Array.from([0, 1]), split: Int32Array.from([0, 1]) });
  await assert.rejects(loadDatasetFile(p, { label: 'y' }), isInputError(/nan\.npz/, /array "x", row 2, column 1: NaN/));
});

test('errors: a split with no examples, an unknown split value', async () => {
  const noVal = csvFile('t4.csv', CSV.replace(/,val$/m, ',train').replace(',validation', ',train'));
  await assert.rejects(
    loadDatasetFile(noVal, { label: 'animal' }),
    isInputError(/t4\.csv/, /split "val" has no examples/, /train 5, val 0, test 2/),
  );
  const badSplit = csvFile('t5.csv', CSV.replace(',test', ',holdout'));
  await assert.rejects(loadDatasetFile(badSplit, { label: 'animal' }), isInputError(/t5\.csv/, /split column "split", row 6/, /"holdout"/, /train/));
});

test('errors: an attribute with one value, a label with a single class', async () => {
  const p = csvFile('t6.csv', CSV.replace(/,(land|water),/g, ',sea,'));
  await assert.rejects(loadDatasetFile(p, { label: 'animal', attr: 'place' }), isInputError(/t6\.csv/, /attribute column "place" has only one value \("sea"\)/));
  const q = csvFile('t7.csv', CSV.replace(/,(dog|cat),/g, ',dog,'));
  await assert.rejects(loadDatasetFile(q, { label: 'animal' }), isInputError(/t7\.csv/, /label column "animal" has a single class \("dog"\)/, /at least 2/));
  const r = file('oneclass.npz');
  writeNpz(r, { x: { data: new Float32Array(6), shape: [3, 2] }, y: Int32Array.from([1, 1, 1]), split: Int32Array.from([0, 1, 2]) });
  await assert.rejects(loadDatasetFile(r, { label: 'y' }), isInputError(/oneclass\.npz/, /array "y" has a single class \("1"\)/));
});

test('errors: mismatched array lengths, missing arrays, ragged CSV rows', async () => {
  const p = file('mismatch.npz');
  writeNpz(p, { x: { data: new Float32Array(8), shape: [4, 2] }, y: Int32Array.from([0, 1, 0]), split: Int32Array.from([0, 1, 2, 0]) });
  await assert.rejects(loadDatasetFile(p, { label: 'y' }), isInputError(/mismatch\.npz/, /array "y" has 3 values but "x" has 4 rows/));
  const q = file('nosplit.npz');
  writeNpz(q, { x: { data: new Float32Array(4), shape: [2, 2] }, y: Int32Array.from([0, 1]) });
  await assert.rejects(loadDatasetFile(q, { label: 'y' }), isInputError(/nosplit\.npz/, /no split array/, /arrays: x, y/));
  const r = file('nolabel.npz');
  writeNpz(r, { x: { data: new Float32Array(4), shape: [2, 2] }, split: Int32Array.from([0, 1]) });
  await assert.rejects(loadDatasetFile(r, { label: 'target' }), isInputError(/nolabel\.npz/, /no label array \(looked for target \/ y/));
  const s = file('ragged.csv');
  fs.writeFileSync(s, 'a,b,split\n1,2,train\n3,4\n');
  await assert.rejects(loadDatasetFile(s, { label: 'a' }), isInputError(/ragged\.csv/, /line 3: expected 3 fields/, /found 2/));
});
