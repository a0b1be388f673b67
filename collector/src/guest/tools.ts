import { access, constants, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import type { GuestFile } from '../vm/types.ts';
import type { KernelArch } from '../kernels/types.ts';
import { elfMachine } from '../validation/validator-binary.ts';
import { stageExecutable } from './closure.ts';
import { foreignClosure } from './elf-deps.ts';
import { ARM64_BASH_PATH, ARM64_BUILD_HINT, ARM64_LIB_DIR, ELF_MACHINE, MULTIARCH_TRIPLET } from './guest-arch.ts';

// Host tools put into the guest (bash for command mode, and whatever a user names with --guest-tool or
// guest_tools:, e.g. bpftool or coreutils' timeout), each with its shared-library closure. They land in
// /usr/bin, which comes before busybox's applets on the guest's PATH.

export const GUEST_BASH = '/usr/bin/bash';
const HOST_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const TOOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** The host file a tool name or path means; errors name the tool and the flag or key it came from. */
export async function locateHostTool(tool: string, where = '--guest-tool'): Promise<string> {
  if (tool.includes('/')) {
    if (!isAbsolute(tool) && !tool.startsWith('./') && !tool.startsWith('../')) throw usageError(`${where} ${tool}: give a tool name or a path`);
    if (!(await isExecutableFile(tool))) throw new BpfcompatError('FILE_NOT_FOUND', `${where} ${tool}: no such executable file`, { hint: 'check the path and that it is executable' });
    return realpath(tool);
  }
  if (!TOOL_NAME.test(tool)) throw usageError(`${where} ${tool}: not a valid tool name`);
  for (const dir of HOST_PATH) {
    const p = join(dir, tool);
    if (await isExecutableFile(p)) return realpath(p);
  }
  throw new BpfcompatError('TOOL_MISSING', `${where} ${tool}: not found on this host (looked in ${HOST_PATH.join(':')})`, {
    hint: `install it on the host (e.g. apt-get install ${tool === 'bpftool' ? 'bpftool' : `<package providing ${tool}>`}) or pass its path`,
  });
}

const MACHINE_NAME: Record<number, string> = { 62: 'x86_64', 183: 'aarch64 (arm64)', 3: 'i386', 40: 'arm (32-bit)' };

/**
 * Refuses an ELF built for another CPU than the guest's (an x86_64 loader shipped to an arm64 profile would
 * only fail inside the guest with "Exec format error"). Scripts and other non-ELF files pass.
 */
export async function checkGuestArch(path: string, arch: KernelArch, where: string, profiles: readonly string[] = []): Promise<void> {
  const m = await elfMachine(path);
  if (m === null || m === ELF_MACHINE[arch]) return;
  const on = profiles.length ? `profile${profiles.length > 1 ? 's' : ''} ${profiles.join(', ')} (${arch})` : `an ${arch} guest`;
  throw new BpfcompatError('USAGE', `${where} ${path}: is an ${MACHINE_NAME[m] ?? `e_machine ${m}`} executable and cannot run on ${on}`, {
    hint: arch === 'arm64' ? 'build it for aarch64 (e.g. with aarch64-linux-gnu-gcc) and use a matrix of arm64 profiles only, or drop the arm64 profiles' : `build it for ${arch}`,
  });
}

/** GuestFiles for an executable of the guest's CPU at guestPath plus its shared-library closure. */
export async function stageForArch(hostPath: string, guestPath: string, arch: KernelArch, where: string): Promise<GuestFile[]> {
  await checkGuestArch(hostPath, arch, where);
  if (arch === 'x86_64') return stageExecutable(hostPath, guestPath);
  const libs = await foreignClosure(hostPath, MULTIARCH_TRIPLET[arch], [ARM64_LIB_DIR]);
  return [{ guestPath, hostPath, mode: 0o755 }, ...libs.map((l) => ({ guestPath: l.guestPath, hostPath: l.hostPath, mode: 0o755 }))];
}

/** The guest files for a list of tools: each at /usr/bin/<name> with its closure. */
export async function stageGuestTools(tools: readonly string[], where = '--guest-tool', arch: KernelArch = 'x86_64'): Promise<GuestFile[]> {
  const files: GuestFile[] = [];
  for (const tool of tools) {
    // A tool name means the host's own binary, which is x86_64: an arm64 guest needs a path to an aarch64 build.
    if (arch !== 'x86_64' && !tool.includes('/')) {
      throw new BpfcompatError('USAGE', `${where} ${tool}: host tools are x86_64 and cannot run on ${arch} profiles`, { hint: `give the path of an ${arch} build of ${tool} (e.g. ./arm64/${tool}), or drop the ${arch} profiles` });
    }
    const host = await locateHostTool(tool, where);
    files.push(...(await stageForArch(host, `/usr/bin/${basename(tool)}`, arch, where)));
  }
  return files;
}

/** bash and its closure, for `bash -lc` in command jobs: the host's on x86_64, Debian's bash:arm64 on arm64. */
export async function stageBash(arch: KernelArch = 'x86_64'): Promise<GuestFile[]> {
  if (arch === 'x86_64') return stageExecutable(await locateHostTool('bash', 'command mode'), GUEST_BASH);
  if (!(await isExecutableFile(ARM64_BASH_PATH))) {
    throw new BpfcompatError('TOOL_MISSING', `command mode on arm64 profiles: ${ARM64_BASH_PATH} is missing`, { hint: ARM64_BUILD_HINT });
  }
  return stageForArch(ARM64_BASH_PATH, GUEST_BASH, arch, 'command mode');
}
