// Reads the members of a zip archive (an .npz) straight from the file, one at a time, each into a
// buffer of its own: a stored member is read once from disk into its final buffer (optionally a
// SharedArrayBuffer), so loading never holds the archive and its arrays at the same time.
import fs from 'node:fs';
import { inflateSync } from 'fflate';
import { InputError } from '../../util/errors.js';

export interface ZipMember {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

function readAt(fd: number, position: number, length: number, into?: Uint8Array): Uint8Array {
  const out = into ?? new Uint8Array(length);
  let off = 0;
  while (off < length) {
    const got = fs.readSync(fd, out, off, Math.min(1 << 30, length - off), position + off);
    if (got <= 0) throw new Error(`unexpected end of file at byte ${position + off}`);
    off += got;
  }
  return out;
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 0x100000000;

/** The archive's members, from its central directory (zip64 included). */
export function listMembers(fd: number, fileSize: number): ZipMember[] {
  const tailSize = Math.min(fileSize, 22 + 65535);
  const tail = readAt(fd, fileSize - tailSize, tailSize);
  let e = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (u32(tail, i) === EOCD) { e = i; break; }
  if (e < 0) throw new Error('no end-of-central-directory record (not a zip archive)');
  let count = u16(tail, e + 10);
  let cdSize = u32(tail, e + 12);
  let cdOffset = u32(tail, e + 16);
  if (cdOffset === MAX32 || count === 0xffff) {
    const loc = e - 20;
    if (loc < 0 || u32(tail, loc) !== ZIP64_LOCATOR) throw new Error('zip64 archive without its locator');
    const rec = readAt(fd, u64(tail, loc + 8), 56);
    if (u32(rec, 0) !== ZIP64_EOCD) throw new Error('bad zip64 end-of-central-directory record');
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  const cd = readAt(fd, cdOffset, cdSize);
  const members: ZipMember[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (u32(cd, p) !== CENTRAL) throw new Error(`bad central directory entry ${k}`);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    const m: ZipMember = {
      name: new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen)),
      method: u16(cd, p + 10),
      compressedSize: u32(cd, p + 20),
      size: u32(cd, p + 24),
      localHeaderOffset: u32(cd, p + 42),
    };
    // Zip64 extra field: 8-byte values for the fields saturated at 0xFFFFFFFF, in this order.
    let x = p + 46 + nameLen;
    const extraEnd = x + extraLen;
    while (x + 4 <= extraEnd) {
      const id = u16(cd, x);
      const len = u16(cd, x + 2);
      if (id === 1) {
        let q = x + 4;
        if (m.size === MAX32) { m.size = u64(cd, q); q += 8; }
        if (m.compressedSize === MAX32) { m.compressedSize = u64(cd, q); q += 8; }
        if (m.localHeaderOffset === MAX32) m.localHeaderOffset = u64(cd, q);
      }
      x += 4 + len;
    }
    members.push(m);
    p = extraEnd + commentLen;
  }
  return members;
}

/** A member's bytes in a buffer of its own (a SharedArrayBuffer when `shared`). */
export function readMember(fd: number, m: ZipMember, shared: boolean): Uint8Array {
  const local = readAt(fd, m.localHeaderOffset, 30);
  if (u32(local, 0) !== LOCAL) throw new Error(`${m.name}: bad local header`);
  const dataStart = m.localHeaderOffset + 30 + u16(local, 26) + u16(local, 28);
  const alloc = (n: number) => new Uint8Array(shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
  if (m.method === 0) return readAt(fd, dataStart, m.size, alloc(m.size));
  if (m.method !== 8) throw new Error(`${m.name}: unsupported compression method ${m.method}`);
  const inflated = inflateSync(readAt(fd, dataStart, m.compressedSize), { out: new Uint8Array(m.size) });
  if (!shared) return inflated;
  const out = alloc(inflated.length);
  out.set(inflated);
  return out;
}

/** Open a file, or throw a InputError that names it and why it could not be opened. */
export function openForReading(path: string): number {
  try {
    return fs.openSync(path, 'r');
  } catch (e) {
    throw new InputError(`${path}: cannot open the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
}

/** Every member of the archive at `path` whose name passes `keep`, read one at a time. */
export function readZipMembers(path: string, keep: (name: string) => boolean, shared = false): Record<string, Uint8Array> {
  const fd = openForReading(path);
  try {
    const out: Record<string, Uint8Array> = {};
    for (const m of listMembers(fd, fs.fstatSync(fd).size)) if (keep(m.name)) out[m.name] = readMember(fd, m, shared);
    return out;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${path}: not a readable .npz (zip) archive: ${(e as Error).message}`, { cause: e });
  } finally {
    fs.closeSync(fd);
  }
}
