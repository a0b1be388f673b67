import type { Accel } from './types.ts';

// The QEMU command line, one small pure function per concern, composed by qemuArgs().

export const QEMU_BINARY = 'qemu-system-x86_64';

/**
 * Kernel command line. panic=-1 turns a panic into a reboot, which -no-reboot turns into QEMU exiting.
 * quiet was measured to shave ~10% off a TCG boot (less console output through the emulated UART);
 * mitigations=off, no_timer_check and tsc=reliable made no measurable difference and are left out.
 */
export const BASE_CMDLINE = ['console=ttyS0', 'panic=-1', 'quiet'];

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
}

/**
 * TCG's CPU: every feature TCG emulates except cmpxchg16b. Measured here (QEMU 7.2): with cx16 the 6.12 and
 * 7.x kernels' SLUB fast path (this_cpu_cmpxchg16b on %gs) panics in about 1 boot in 8; without it 0 in 40,
 * and boots are faster. No BPF verdict depends on cx16.
 */
export const TCG_CPU = 'max,cx16=off';

export function machineArgs(accel: Accel, tcgCpu: string = TCG_CPU): string[] {
  return accel === 'kvm' ? ['-machine', 'pc', '-accel', 'kvm', '-cpu', 'host'] : ['-machine', 'pc', '-accel', 'tcg', '-cpu', tcgCpu];
}

export function resourceArgs(memoryMb: number, cpus: number): string[] {
  if (!Number.isInteger(memoryMb) || memoryMb < 64) throw new RangeError(`memoryMb must be an integer >= 64, got ${memoryMb}`);
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be an integer >= 1, got ${cpus}`);
  return ['-m', String(memoryMb), '-smp', String(cpus)];
}

export function bootArgs(kernelPath: string, initrdPath: string, extraCmdline: readonly string[] = []): string[] {
  return ['-kernel', kernelPath, '-initrd', initrdPath, '-append', [...BASE_CMDLINE, ...extraCmdline].join(' ')];
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

/** No default devices, no network, no display, no monitor; a guest reboot ends QEMU. */
export function isolationArgs(): string[] {
  return ['-nodefaults', '-no-user-config', '-nic', 'none', '-display', 'none', '-monitor', 'none', '-no-reboot'];
}

export function qemuArgs(spec: QemuSpec): string[] {
  return [
    ...(spec.name ? ['-name', spec.name] : []),
    ...isolationArgs(),
    ...machineArgs(spec.accel),
    ...resourceArgs(spec.memoryMb, spec.cpus),
    ...bootArgs(spec.kernelPath, spec.initrdPath, spec.extraCmdline),
    ...serialArgs(spec.console, spec.results),
  ];
}

/** QEMU option values escape a comma by doubling it. */
function optValue(v: string): string {
  return v.replace(/,/g, ',,');
}
