import type { KernelArch } from '../kernels/types.ts';
import type { MachineInputs } from '../../../history/src/hash.ts';
import type { Accel } from './types.ts';

// What the guest is given. A verdict must not depend on the emulator, so under TCG the guest is a real machine
// class, not QEMU's "max" (every feature TCG emulates, a combination no CPU has): measured here, "max,cx16=off"
// failed arena maps on 7.x kernels with ENOMEM (their kmalloc_nolock() needs cmpxchg16b, which every x86-64
// server since 2008 has), a false fail. The machine is an input of every result key (history/src/hash.ts).

/**
 * x86_64 under TCG: an AMD EPYC "Rome" (Zen 2) server, the common cloud generation, with the features QEMU 7.2's
 * TCG cannot emulate turned off explicitly (instead of dropped with a warning at start), so the guest sees the
 * same CPU on every QEMU that runs this string. AMD rather than Intel: no Meltdown page-table isolation, whose
 * TLB flushes are slow under TCG; 4-level paging (48-bit virtual addresses), as on most servers.
 */
export const TCG_X86_CPU = 'EPYC-Rome-v1,rdseed=off,sha-ni=off,rdpid=off,fxsr-opt=off,misalignsse=off,3dnowprefetch=off,osvw=off,topoext=off,perfctr-core=off,clzero=off,xsaveerptr=off,wbnoinvd=off,ibpb=off,amd-stibp=off,nrip-save=off,xsavec=off,xsaves=off';

/** arm64 under TCG: a Neoverse N1 server core (AWS Graviton2, Ampere Altra), not "max". */
export const TCG_ARM64_CPU = 'neoverse-n1';

/** The -cpu model for a guest: the profile's own when it names one, "host" under KVM, else the TCG server class. */
export function guestCpu(arch: KernelArch, accel: Accel, override?: string): string {
  if (override) return override;
  if (accel === 'kvm') return 'host';
  return arch === 'arm64' ? TCG_ARM64_CPU : TCG_X86_CPU;
}

/** The machine part of a result key: CPU model, memory and CPUs, each of which can change a verdict. */
export function guestMachine(arch: KernelArch, accel: Accel, memoryMb: number, cpus: number, cpuOverride?: string): MachineInputs {
  return { cpu: guestCpu(arch, accel, cpuOverride), memory_mb: memoryMb, cpus };
}
