// NumPy .npy / .npz files: read (format versions 1, 2, 3; C order; numeric, bool and fixed-width string
// dtypes) and write (float32 / int32 / float64 / int64 / uint8 arrays).
//
// Reading a .npy file makes one copy of the data: the file is read into one buffer and the returned
// typed array is a view of it (the header's few bytes stay in front). Node has no mmap; this is the
// closest: one read from disk, no second copy, and with `shared` the buffer is a SharedArrayBuffer. Exceptions, which copy: float16
// (widened to float32), big-endian dtypes, and data that is not aligned to its item size.
// .npz files are zip archives of .npy entries, stored (np.savez) or deflated (np.savez_compressed),
// read with fflate.
import fs from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { InputError } from '../../util/errors.js';
import { openForReading, readZipMembers } from './zipEntries.js';

export type NpyDType =
  | 'float16' | 'float32' | 'float64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool' | 'unicode' | 'bytes';

export type NpyNumericData =
  | Float32Array | Float64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** Typed array for numeric and bool dtypes (bool as 0/1 bytes, float16 widened to float32); strings for 'unicode'/'bytes'. */
export type NpyData = NpyNumericData | string[];

export interface NpyArray {
  dtype: NpyDType;
  /** Dimensions, C (row-major) order. [] for a scalar. */
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface KindInfo { dtype: NpyDType; bytes: number }

/** Map a numpy type character + item size to our dtype. */
function kindOf(kind: string, size: number): KindInfo | null {
  const table: Record<string, NpyDType | undefined> = {
    f2: 'float16', f4: 'float32', f8: 'float64',
    i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
    u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64',
    b1: 'bool',
  };
  const dt = table[`${kind}${size}`];
  return dt ? { dtype: dt, bytes: size } : null;
}

const SUPPORTED = "<f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1 (and their big-endian forms), <U<n> and |S<n> strings";

interface Header {
  descr: string;
  fortran: boolean;
  shape: number[];
  dataOffset: number;
}

function parseHeader(bytes: Uint8Array, source: string): Header {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InputError(`${source}: not a .npy file (it does not start with the magic string "\\x93NUMPY")`);
  }
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InputError(`${source}: truncated .npy header`);
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else {
    throw new InputError(`${source}: unsupported .npy format version ${major}.${bytes[7]} (expected 1.0, 2.0 or 3.0)`);
  }
  if (start + headerLen > bytes.length) {
    throw new InputError(`${source}: truncated .npy header (header says ${headerLen} bytes, file has ${bytes.length - start} after the prelude)`);
  }
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  if (/['"]descr['"]\s*:\s*\[/.test(text)) {
    throw new InputError(`${source}: structured (record) dtypes are not supported; save each field as its own array. Supported dtypes: ${SUPPORTED}`);
  }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) {
    throw new InputError(`${source}: malformed .npy header ${JSON.stringify(text.trim())} (expected a dict with 'descr', 'fortran_order' and 'shape')`);
  }
  const dims = shape[1].split(',').map((s) => s.trim().replace(/L$/, '')).filter((s) => s.length > 0).map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InputError(`${source}: malformed shape (${shape[1]}) in the .npy header`);
  }
  return { descr: descr[1], fortran: fortran[1] === 'True', shape: dims, dataOffset: start + headerLen };
}

/** Decode a .npy file held in memory. The result's typed array views `bytes` where it can (no copy). */
export function parseNpy(bytes: Uint8Array, source = '<buffer>'): NpyArray {
  const h = parseHeader(bytes, source);
  const count = h.shape.reduce((s, d) => s * d, 1);
  if (h.fortran && h.shape.filter((d) => d > 1).length > 1) {
    throw new InputError(
      `${source}: Fortran-ordered (column-major) arrays are not supported; ` +
      `save a C-ordered copy with np.save(path, np.ascontiguousarray(a))`,
    );
  }
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(h.descr);
  if (!m || m[2] === 'O') {
    const what = /^[<>|=]?O/.test(h.descr) ? ' (pickled Python objects cannot be read; save strings as a fixed-width array, e.g. a.astype("U"))' : '';
    throw new InputError(`${source}: unsupported dtype '${h.descr}'${what}; supported: ${SUPPORTED}`);
  }
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  const bigEndian = order === '>';
  const payload = bytes.subarray(h.dataOffset);

  if (kind === 'U' || kind === 'S') {
    const itemBytes = kind === 'U' ? size * 4 : size;
    checkLength(source, payload.length, count, itemBytes, h);
    const out = new Array<string>(count);
    if (kind === 'U') {
      const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      for (let i = 0; i < count; i++) {
        let s = '';
        for (let c = 0; c < size; c++) {
          const cp = dv.getUint32(i * itemBytes + c * 4, !bigEndian);
          if (cp === 0) break;
          s += String.fromCodePoint(cp);
        }
        out[i] = s;
      }
    } else {
      const dec = new TextDecoder('utf-8');
      for (let i = 0; i < count; i++) {
        const item = payload.subarray(i * size, (i + 1) * size);
        let end = item.indexOf(0);
        if (end < 0) end = size;
        out[i] = dec.decode(item.subarray(0, end));
      }
    }
    return { dtype: kind === 'U' ? 'unicode' : 'bytes', shape: h.shape, data: out };
  }

  const info = kindOf(kind, size);
  if (!info) {
    throw new InputError(`${source}: unsupported dtype '${h.descr}'; supported: ${SUPPORTED}`);
  }
  checkLength(source, payload.length, count, info.bytes, h);
  let raw = payload.subarray(0, count * info.bytes);
  if (bigEndian && info.bytes > 1) {
    raw = raw.slice();
    swapBytes(raw, info.bytes);
  } else if ((raw.byteOffset % info.bytes) !== 0) {
    raw = raw.slice(); // unaligned: typed arrays need aligned views
  }
  return { dtype: info.dtype, shape: h.shape, data: view(info.dtype, raw, count) };
}

function checkLength(source: string, have: number, count: number, itemBytes: number, h: Header): void {
  const need = count * itemBytes;
  if (have < need) {
    throw new InputError(
      `${source}: truncated data: the header says shape (${h.shape.join(', ')}) of '${h.descr}' = ${need} bytes, the file holds ${have}`,
    );
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo];
      b[lo] = b[hi];
      b[hi] = t;
    }
  }
}

function view(dtype: NpyDType, raw: Uint8Array, n: number): NpyNumericData {
  const { buffer, byteOffset } = raw;
  switch (dtype) {
    case 'float16': return halfToFloat(new Uint16Array(buffer, byteOffset, n));
    case 'float32': return new Float32Array(buffer, byteOffset, n);
    case 'float64': return new Float64Array(buffer, byteOffset, n);
    case 'int8': return new Int8Array(buffer, byteOffset, n);
    case 'int16': return new Int16Array(buffer, byteOffset, n);
    case 'int32': return new Int32Array(buffer, byteOffset, n);
    case 'int64': return new BigInt64Array(buffer, byteOffset, n);
    case 'uint8': return new Uint8Array(buffer, byteOffset, n);
    case 'uint16': return new Uint16Array(buffer, byteOffset, n);
    case 'uint32': return new Uint32Array(buffer, byteOffset, n);
    case 'uint64': return new BigUint64Array(buffer, byteOffset, n);
    case 'bool': return new Uint8Array(buffer, byteOffset, n);
    default: throw new Error(`unreachable dtype ${dtype}`);
  }
}

function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i];
    const sign = v & 0x8000 ? -1 : 1;
    const exp = (v >> 10) & 0x1f;
    const frac = v & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/**
 * Read a whole file into one fresh buffer (byteOffset 0, so typed views of it are aligned); a
 * SharedArrayBuffer with `shared`, so that worker threads can read the arrays viewing it.
 */
export function readFileBytes(path: string, opts: { shared?: boolean } = {}): Uint8Array {
  const fd = openForReading(path);
  try {
    const size = fs.fstatSync(fd).size;
    const out = new Uint8Array(opts.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    const CHUNK = 1 << 30;
    let off = 0;
    while (off < size) {
      const got = fs.readSync(fd, out, off, Math.min(CHUNK, size - off), off);
      if (got <= 0) throw new InputError(`${path}: the file ended after ${off} of ${size} bytes`);
      off += got;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Read a .npy file (one copy of the data: the returned array views the file buffer). */
export function readNpy(path: string, opts: { shared?: boolean } = {}): NpyArray {
  return parseNpy(readFileBytes(path, opts), path);
}

/** Decode a .npz archive held in memory: arrays by name (without the ".npy" suffix). */
export function parseNpz(bytes: Uint8Array, source = '<buffer>'): Record<string, NpyArray> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new InputError(`${source}: not a readable .npz (zip) archive: ${(e as Error).message}`, { cause: e });
  }
  const out: Record<string, NpyArray> = {};
  for (const [name, data] of Object.entries(entries)) {
    if (!name.endsWith('.npy')) continue;
    out[name.slice(0, -4)] = parseNpy(data, `${source}[${name}]`);
  }
  return out;
}

/**
 * Read a .npz file member by member: each array is read from disk straight into a buffer of its
 * own (SharedArrayBuffers with `shared`, so that worker threads can use them without a copy).
 */
export function readNpz(path: string, opts: { shared?: boolean } = {}): Record<string, NpyArray> {
  const members = readZipMembers(path, (name) => name.endsWith('.npy'), opts.shared);
  const out: Record<string, NpyArray> = {};
  for (const [name, data] of Object.entries(members)) out[name.slice(0, -4)] = parseNpy(data, `${path}[${name}]`);
  return out;
}

// ---------- writing ----------

export type WritableData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** An array to write: a typed array (1-D) or data with a shape. */
export type WritableArray = WritableData | { data: WritableData; shape?: readonly number[]; dtype?: 'bool' };

function descrOf(data: WritableData, bool: boolean): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof Uint8Array) return bool ? '|b1' : '|u1';
  throw new Error('writeNpy: data must be a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array');
}

/** The .npy prelude and header (format 1.0, or 2.0 when the header needs it) of a C-ordered array. */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const base = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pad = (prelude: number) => base + ' '.repeat((64 - ((prelude + base.length + 1) % 64)) % 64) + '\n';
  let major = 1;
  let prelude = 10;
  let dict = pad(prelude);
  if (dict.length > 65535) {
    major = 2;
    prelude = 12;
    dict = pad(prelude);
  }
  const headerLen = dict.length;
  const out = new Uint8Array(prelude + headerLen);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  for (let i = 0; i < headerLen; i++) out[prelude + i] = dict.charCodeAt(i);
  return out;
}

/** Encode an array as .npy bytes (format 1.0, or 2.0 when the header needs it; little-endian; C order). */
export function encodeNpy(array: WritableArray): Uint8Array {
  const isTyped = ArrayBuffer.isView(array);
  const data = isTyped ? array : array.data;
  const shape = isTyped ? [data.length] : [...(array.shape ?? [data.length])];
  const count = shape.reduce((s, d) => s * d, 1);
  if (count !== data.length) throw new Error(`writeNpy: shape (${shape.join(', ')}) needs ${count} values, got ${data.length}`);
  const header = npyHeader(descrOf(data, !isTyped && array.dtype === 'bool'), shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

export function writeNpy(path: string, array: WritableArray): void {
  fs.writeFileSync(path, encodeNpy(array));
}

export interface NpzWriteOptions {
  /** Deflate the entries (np.savez_compressed); default false: stored (np.savez). */
  compress?: boolean;
}

/** Encode named arrays as a .npz archive (entry "name.npy" per array). */
export function encodeNpz(arrays: Record<string, WritableArray>, opts: NpzWriteOptions = {}): Uint8Array {
  const files: Zippable = {};
  for (const [name, arr] of Object.entries(arrays)) {
    files[`${name}.npy`] = [encodeNpy(arr), { level: opts.compress ? 6 : 0 }];
  }
  return zipSync(files);
}

export function writeNpz(path: string, arrays: Record<string, WritableArray>, opts: NpzWriteOptions = {}): void {
  fs.writeFileSync(path, encodeNpz(arrays, opts));
}

// ---------- conversions ----------

/** The array's values as float32: the same array when it already is float32 (no copy). */
export function toFloat32(arr: NpyArray, what: string): Float32Array {
  const d = arr.data;
  if (d instanceof Float32Array) return d;
  if (Array.isArray(d)) throw new InputError(`${what}: expected a numeric array, got strings (dtype ${arr.dtype})`);
  const out = new Float32Array(d.length);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  } else {
    out.set(d as ArrayLike<number>);
  }
  return out;
}

/** The array's values as plain numbers (strings rejected). */
export function toNumbers(arr: NpyArray, what: string): ArrayLike<number> {
  const d = arr.data;
  if (Array.isArray(d)) throw new InputError(`${what}: expected a numeric array, got strings (dtype ${arr.dtype})`);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, (v) => Number(v));
  return d as ArrayLike<number>;
}
