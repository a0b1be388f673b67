import { readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

// The shared-library closure of a FOREIGN-CPU ELF (an aarch64 bash or loader on an x86 host): the host's
// ld.so cannot list it, so PT_INTERP and DT_NEEDED are read from the file and each library is looked up
// in Debian's multiarch directories (libc6:arm64 etc. installed by the set-up) and in extra directories
// (validator/build/arm64/lib, filled by `make validator-arm64`). Libraries land in the guest at
// /lib/<triplet>/<name>, which is on the foreign ld.so's built-in search path.

export interface ElfDeps {
  /** e_machine (62 x86_64, 183 aarch64). */
  machine: number;
  /** PT_INTERP, or null for a static binary. */
  interp: string | null;
  /** DT_NEEDED sonames, in order. */
  needed: string[];
}

/** Reads e_machine, PT_INTERP and DT_NEEDED of an ELF64 little-endian file. Pure on the bytes. */
export function parseElfDeps(b: Buffer, what: string): ElfDeps {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) {
    throw new BpfcompatError('NOT_ELF', `${what}: not an ELF64 little-endian executable`, { hint: 'give a 64-bit Linux executable' });
  }
  const machine = b.readUInt16LE(18);
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const cstr = (off: number): string => b.toString('latin1', off, b.indexOf(0, off));
  const loads: Array<{ vaddr: number; offset: number; filesz: number }> = [];
  let interp: string | null = null;
  let dyn: { offset: number; size: number } | null = null;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const type = b.readUInt32LE(at);
    const offset = Number(b.readBigUInt64LE(at + 8));
    const vaddr = Number(b.readBigUInt64LE(at + 16));
    const filesz = Number(b.readBigUInt64LE(at + 32));
    if (type === 1) loads.push({ vaddr, offset, filesz });
    else if (type === 3) interp = cstr(offset);
    else if (type === 2) dyn = { offset, size: filesz };
  }
  const needed: number[] = [];
  let strtab: number | null = null;
  if (dyn) {
    for (let at = dyn.offset; at + 16 <= dyn.offset + dyn.size; at += 16) {
      const tag = Number(b.readBigInt64LE(at));
      const val = Number(b.readBigUInt64LE(at + 8));
      if (tag === 0) break;
      if (tag === 1) needed.push(val);
      else if (tag === 5) strtab = val;
    }
  }
  // DT_STRTAB is a virtual address: map it to a file offset through the PT_LOAD that holds it.
  const seg = strtab === null ? undefined : loads.find((l) => strtab! >= l.vaddr && strtab! < l.vaddr + l.filesz);
  if (needed.length > 0 && !seg) throw new BpfcompatError('NOT_ELF', `${what}: its dynamic section has no readable string table`, { hint: 'the file may be damaged' });
  return { machine, interp, needed: needed.map((n) => cstr(seg!.offset + (strtab! - seg!.vaddr) + n)) };
}

export async function readElfDeps(path: string): Promise<ElfDeps> {
  return parseElfDeps(await readFile(path), path);
}

export interface ForeignLib {
  guestPath: string;
  hostPath: string;
}

const isFile = (p: string): Promise<boolean> => stat(p).then((s) => s.isFile(), () => false);

/**
 * The interpreter and the transitive DT_NEEDED closure of a foreign ELF. `triplet` is Debian's multiarch
 * name (aarch64-linux-gnu); `extraDirs` are searched first.
 */
export async function foreignClosure(binary: string, triplet: string, extraDirs: readonly string[] = []): Promise<ForeignLib[]> {
  const dirs = [...extraDirs, `/lib/${triplet}`, `/usr/lib/${triplet}`, `/usr/${triplet}/lib`];
  const out = new Map<string, ForeignLib>();
  const first = await readElfDeps(binary);
  if (first.interp) {
    const host = (await isFile(first.interp)) ? first.interp : null;
    const byName = host ?? (await findIn(dirs, first.interp.split('/').pop()!));
    if (!byName) throw missing(binary, first.interp, triplet);
    out.set(first.interp, { guestPath: first.interp, hostPath: await realpath(byName) });
  }
  const queue = [...first.needed];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const soname = queue.shift()!;
    if (seen.has(soname)) continue;
    seen.add(soname);
    const host = await findIn(dirs, soname);
    if (!host) throw missing(binary, soname, triplet);
    out.set(soname, { guestPath: `/lib/${triplet}/${soname}`, hostPath: await realpath(host) });
    queue.push(...(await readElfDeps(host)).needed);
  }
  return [...out.values()];
}

async function findIn(dirs: readonly string[], name: string): Promise<string | null> {
  for (const d of dirs) if (await isFile(join(d, name))) return join(d, name);
  return null;
}

function missing(binary: string, lib: string, triplet: string): BpfcompatError {
  const arch = triplet.split('-')[0] === 'aarch64' ? 'arm64' : triplet;
  return new BpfcompatError('FILE_NOT_FOUND', `${binary}: shared library ${lib} (${arch}) not found on this host`, {
    hint: `install the ${arch} package that provides it (apt-get install <package>:${arch}; multiarch), or link the binary statically`,
  });
}
