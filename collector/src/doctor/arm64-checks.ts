import { access, constants } from 'node:fs/promises';
import { execa } from 'execa';
import type { Check } from './check.ts';
import { ARM64_BASH_PATH, ARM64_BUSYBOX_PATH, ARM64_LIB_DIR, ARM64_VALIDATOR_PATH, ELF_MACHINE, MULTIARCH_TRIPLET } from '../guest/guest-arch.ts';
import { foreignClosure } from '../guest/elf-deps.ts';
import { elfMachine, isStaticElf } from '../validation/validator-binary.ts';

// The arm64 lane's host needs (profiles with `arch: arm64`). The lane is optional, so what is missing is a
// warning with the command that provides it, never a failure of `bpfcompat doctor`.

const BUILD = "run 'make validator-arm64'";

async function aarch64File(name: string, path: string, opts: { static: boolean; what: string }): Promise<Check> {
  try {
    await access(path, constants.X_OK);
  } catch {
    return { name, status: 'warn', detail: `${path} not built (${opts.what})`, fix: BUILD };
  }
  if ((await elfMachine(path)) !== ELF_MACHINE.arm64) return { name, status: 'warn', detail: `${path} is not an aarch64 ELF`, fix: `delete it and ${BUILD}` };
  if (opts.static && !(await isStaticElf(path))) return { name, status: 'warn', detail: `${path} is not static (the guest has no libc)`, fix: `delete it and ${BUILD}` };
  return { name, status: 'ok', detail: path, fix: '' };
}

export async function arm64Checks(): Promise<Check[]> {
  const qemu = await execa('qemu-system-aarch64', ['--version'], { timeout: 10_000, reject: false });
  const checks: Check[] = [
    qemu.exitCode === 0
      ? { name: 'arm64: qemu-system-aarch64', status: 'ok', detail: qemu.stdout.split('\n')[0] ?? '', fix: '' }
      : { name: 'arm64: qemu-system-aarch64', status: 'warn', detail: 'not found (needed only for arch: arm64 profiles)', fix: 'apt-get install qemu-system-arm' },
    await aarch64File('arm64: validator', ARM64_VALIDATOR_PATH, { static: true, what: 'validator mode on arm64' }),
    await aarch64File('arm64: busybox', ARM64_BUSYBOX_PATH, { static: true, what: 'every arm64 guest' }),
  ];
  const bash = await aarch64File('arm64: bash (command mode)', ARM64_BASH_PATH, { static: false, what: 'command mode and suites on arm64' });
  if (bash.status === 'ok') {
    // Its libraries come from libc6:arm64 (multiarch) and validator/build/arm64/lib.
    try {
      const libs = await foreignClosure(ARM64_BASH_PATH, MULTIARCH_TRIPLET.arm64, [ARM64_LIB_DIR]);
      bash.detail = `${ARM64_BASH_PATH} + ${libs.length} aarch64 libraries`;
    } catch (err) {
      return [...checks, { name: bash.name, status: 'warn', detail: (err as Error).message, fix: "apt-get install libc6:arm64 (after 'dpkg --add-architecture arm64'), then " + BUILD }];
    }
  }
  return [...checks, bash];
}
