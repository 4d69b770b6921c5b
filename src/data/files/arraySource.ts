// Named NumPy arrays from an .npz archive or from a folder of .npy files, read on demand: only the
// arrays a loader asks for are read, each once, from disk into a buffer of its own (a
// SharedArrayBuffer with `shared`) that the returned typed array views.
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../../util/errors.js';
import { parseNpy, readNpy, type NpyArray } from './npy.js';
import { listMembers, openForReading, readMember } from './zipEntries.js';

export interface ArraySource {
  /** The archive or folder, named in messages. */
  path: string;
  /** The arrays it holds, by name (without ".npy"). */
  names: string[];
  /** An array by name (read on first use). */
  get(name: string): NpyArray;
}

function memoised(source: string, names: string[], read: (name: string) => NpyArray): ArraySource {
  const cache = new Map<string, NpyArray>();
  return {
    path: source,
    names,
    get(name) {
      if (!names.includes(name)) throw new Error(`${source}: no array "${name}"`);
      let arr = cache.get(name);
      if (!arr) {
        arr = read(name);
        cache.set(name, arr);
      }
      return arr;
    },
  };
}

/** Arrays already in memory (an archive decoded by parseNpz in the browser). */
export function inMemorySource(source: string, arrays: Record<string, NpyArray>): ArraySource {
  return { path: source, names: Object.keys(arrays), get: (name) => arrays[name] };
}

/** The .npy members of an .npz archive (np.savez or np.savez_compressed). */
export function npzSource(file: string, opts: { shared?: boolean } = {}): ArraySource {
  const fd = openForReading(file);
  let members: ReturnType<typeof listMembers>;
  try {
    members = listMembers(fd, fs.fstatSync(fd).size).filter((m) => m.name.endsWith('.npy'));
  } catch (e) {
    throw new InputError(`${file}: not a readable .npz (zip) archive: ${(e as Error).message}`, { cause: e });
  } finally {
    fs.closeSync(fd);
  }
  const byName = new Map(members.map((m) => [m.name.slice(0, -4), m]));
  return memoised(file, [...byName.keys()], (name) => {
    const m = byName.get(name)!;
    const fd2 = openForReading(file);
    try {
      return parseNpy(readMember(fd2, m, !!opts.shared), `${file}[${m.name}]`);
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`${file}[${m.name}]: cannot read: ${(e as Error).message}`, { cause: e });
    } finally {
      fs.closeSync(fd2);
    }
  });
}

/** The .npy files of a folder (np.save(dir/"x.npy", x), ...), not its subfolders. */
export function npyDirSource(dir: string, opts: { shared?: boolean } = {}): ArraySource {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new InputError(`${dir}: cannot list the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  const names = entries.filter((e) => e.isFile() && e.name.endsWith('.npy')).map((e) => e.name.slice(0, -4)).sort();
  if (names.length === 0) {
    throw new InputError(`${dir}: no .npy files in the folder (expected x.npy, y.npy, split.npy and optionally a.npy, as np.save writes them)`);
  }
  return memoised(dir, names, (name) => readNpy(path.join(dir, `${name}.npy`), opts));
}
