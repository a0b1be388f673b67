import { realpath } from 'node:fs/promises';
import { execa } from 'execa';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { isStaticElf } from '../validation/validator-binary.ts';
import type { GuestFile } from '../vm/types.ts';

// The guest has no libc: a dynamically linked host binary runs there only with its shared-library closure
// (ld-linux, libc, libelf …) staged at the paths the host's loader resolved. We ask the host's own glibc
// loader (`ld.so --list`, what ldd runs) rather than ldd, so no interpreter named by the binary is executed,
// and with an argument array.

export const HOST_LOADER = '/lib64/ld-linux-x86-64.so.2';

export interface ClosureEntry {
  /** The path the loader will look for in the guest (as the host's loader named it). */
  guestPath: string;
  /** The host file to copy there (symlinks resolved). */
  hostPath: string;
}

/** Parses `ld.so --list` output; a library the loader could not find is an error naming it. Pure. */
export function parseLoaderList(output: string, binary: string): string[] {
  const paths: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('linux-vdso') || line.startsWith('linux-gate')) continue;
    const arrow = /^(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$/.exec(line);
    if (arrow) {
      if (arrow[2] === 'not found') {
        throw new BpfcompatError('FILE_NOT_FOUND', `${binary}: shared library ${arrow[1]} not found on this host`, { hint: 'install the package that provides it, or link the binary statically' });
      }
      paths.push(arrow[2]!);
      continue;
    }
    const direct = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (direct) paths.push(direct[1]!);
  }
  return [...new Set(paths)];
}

/** The files a host ELF needs in the guest besides itself; empty for a static binary. */
export async function sharedLibraryClosure(binary: string): Promise<ClosureEntry[]> {
  if (await isStaticElf(binary)) return [];
  const r = await execa(HOST_LOADER, ['--list', binary], { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0) {
    throw new BpfcompatError('TOOL_MISSING', `${binary}: the host loader cannot list its shared libraries (${(r.stderr || r.stdout).split('\n')[0] ?? `exit ${r.exitCode}`})`, {
      hint: 'only x86_64 glibc binaries (or static ones) can be staged into the guest',
    });
  }
  const paths = parseLoaderList(r.stdout, binary);
  return Promise.all(paths.map(async (p) => ({ guestPath: p, hostPath: await realpath(p) })));
}

/** GuestFiles for a host executable at guestPath plus its closure. */
export async function stageExecutable(hostPath: string, guestPath: string): Promise<GuestFile[]> {
  const closure = await sharedLibraryClosure(hostPath);
  return [
    { guestPath, hostPath, mode: 0o755 },
    ...closure.map((c) => ({ guestPath: c.guestPath, hostPath: c.hostPath, mode: 0o755 })),
  ];
}
