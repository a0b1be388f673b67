import type { KernelArch } from '../kernels/types.ts';
import type { Accel } from './types.ts';
import { guestCpu } from './machine.ts';

// The QEMU command line, one small pure function per concern, composed by qemuArgs().

export const QEMU_BINARY = 'qemu-system-x86_64';

/** The emulator for a guest CPU, and the Debian package that ships it. */
export function qemuBinary(arch: KernelArch = 'x86_64'): string {
  return arch === 'arm64' ? 'qemu-system-aarch64' : QEMU_BINARY;
}
export const qemuPackage = (arch: KernelArch = 'x86_64'): string => (arch === 'arm64' ? 'qemu-system-arm' : 'qemu-system-x86');

/**
 * Kernel command line. panic=-1 turns a panic into a reboot, which -no-reboot turns into QEMU exiting.
 * quiet was measured to shave ~10% off a TCG boot (less console output through the emulated UART).
 * no_timer_check skips the IO-APIC timer test, which an emulated CPU on a loaded host can fail by timing alone
 * ("IO-APIC + timer doesn't work!", a panic seen in CI); it is the usual setting for virtual machines.
 * mitigations=off and tsc=reliable made no measurable difference and are left out.
 */
export const NO_TIMER_CHECK = 'no_timer_check';
export const BASE_CMDLINE = ['console=ttyS0', 'panic=-1', 'quiet', NO_TIMER_CHECK];

/**
 * arm64 (-M virt) has one PL011 UART (ttyAMA0) for the console; results go over virtio-console (hvc0).
 * bpfcompat_channel has no dot, so the kernel hands it to init as an environment variable (init.sh reads it).
 */
export const ARM64_CMDLINE = ['console=ttyAMA0', 'panic=-1', 'quiet', 'bpfcompat_channel=hvc0'];

export const baseCmdline = (arch: KernelArch = 'x86_64'): readonly string[] => (arch === 'arm64' ? ARM64_CMDLINE : BASE_CMDLINE);

export interface QemuSpec {
  accel: Accel;
  memoryMb: number;
  cpus: number;
  kernelPath: string;
  initrdPath: string;
  /** Appended after BASE_CMDLINE. */
  extraCmdline?: string[];
  /** Where the guest console (ttyS0) goes. */
  console: CharTarget;
  /** Where the result channel (ttyS1) goes. */
  results: CharTarget;
  /** Shown in the process list (-name), so a run's QEMU can be found by a unique marker. */
  name?: string;
  /** Guest CPU architecture; x86_64 when absent. */
  arch?: KernelArch;
  /** The -cpu model; guestCpu(arch, accel) when absent. */
  cpu?: string;
}

/** arm64: the virt board, with the CPU model guestCpu() chose (KVM only on an arm64 host: the caller decides). */
export function arm64MachineArgs(accel: Accel, cpu: string = guestCpu('arm64', accel)): string[] {
  return ['-machine', 'virt', '-accel', accel, '-cpu', cpu];
}

export function machineArgs(accel: Accel, cpu: string = guestCpu('x86_64', accel)): string[] {
  return ['-machine', 'pc', '-accel', accel, '-cpu', cpu];
}

export function resourceArgs(memoryMb: number, cpus: number): string[] {
  if (!Number.isInteger(memoryMb) || memoryMb < 64) throw new RangeError(`memoryMb must be an integer >= 64, got ${memoryMb}`);
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be an integer >= 1, got ${cpus}`);
  return ['-m', String(memoryMb), '-smp', String(cpus)];
}

export function bootArgs(kernelPath: string, initrdPath: string, extraCmdline: readonly string[] = [], arch: KernelArch = 'x86_64'): string[] {
  return ['-kernel', kernelPath, '-initrd', initrdPath, '-append', [...baseCmdline(arch), ...extraCmdline].join(' ')];
}

/**
 * A host end for a serial port: QEMU's stdout, an inherited file descriptor (must be a socket, as Node's
 * stdio pipes are; QEMU cannot re-open those through /dev/fd), or a file it creates.
 */
export type CharTarget = { kind: 'stdio' } | { kind: 'fd'; fd: number } | { kind: 'file'; path: string };

export function chardevArg(id: string, target: CharTarget): string {
  switch (target.kind) {
    case 'stdio':
      return `stdio,id=${id},signal=off`;
    case 'fd':
      return `socket,id=${id},fd=${target.fd}`;
    case 'file':
      return `file,id=${id},path=${optValue(target.path)}`;
  }
}

/** Console on the first UART, results on the second: both built into every distro kernel (8250). */
export function serialArgs(console: CharTarget, results: CharTarget): string[] {
  return ['-chardev', chardevArg('console', console), '-serial', 'chardev:console', '-chardev', chardevArg('results', results), '-serial', 'chardev:results'];
}

/**
 * arm64: console on the PL011, results on a virtio-console port over virtio-mmio (virt has 32 mmio slots,
 * and Debian's cloud-arm64 kernel ships virtio_mmio + virtio_console as modules the initramfs loads first).
 */
export function arm64SerialArgs(console: CharTarget, results: CharTarget): string[] {
  return [
    '-chardev', chardevArg('console', console), '-serial', 'chardev:console',
    '-device', 'virtio-serial-device', '-chardev', chardevArg('results', results), '-device', 'virtconsole,chardev=results',
  ];
}

/** No default devices, no network, no display, no monitor; a guest reboot ends QEMU. */
export function isolationArgs(): string[] {
  return ['-nodefaults', '-no-user-config', '-nic', 'none', '-display', 'none', '-monitor', 'none', '-no-reboot'];
}

export function qemuArgs(spec: QemuSpec): string[] {
  return [
    ...(spec.name ? ['-name', spec.name] : []),
    ...isolationArgs(),
    ...(spec.arch === 'arm64' ? arm64MachineArgs(spec.accel, spec.cpu ?? guestCpu('arm64', spec.accel)) : machineArgs(spec.accel, spec.cpu ?? guestCpu('x86_64', spec.accel))),
    ...resourceArgs(spec.memoryMb, spec.cpus),
    ...bootArgs(spec.kernelPath, spec.initrdPath, spec.extraCmdline, spec.arch),
    ...(spec.arch === 'arm64' ? arm64SerialArgs(spec.console, spec.results) : serialArgs(spec.console, spec.results)),
  ];
}

/** QEMU option values escape a comma by doubling it. */
function optValue(v: string): string {
  return v.replace(/,/g, ',,');
}
