import { chardevArg, machineArgs, resourceArgs, type CharTarget } from '../../vm/qemu-args.ts';
import type { Accel } from '../../vm/types.ts';

// The image lane's QEMU command line: pure functions, one per concern, composed by imageQemuArgs().

/** Boot the image's own kernel (from image.json) or let the firmware (SeaBIOS) boot the disk. */
export type ImageBoot = { kind: 'kernel'; kernelPath: string; initrdPath: string; cmdline: string[] } | { kind: 'firmware' };

export interface ImageQemuSpec {
  name: string;
  accel: Accel;
  /** The -cpu model (guestCpu()). */
  cpu: string;
  memoryMb: number;
  cpus: number;
  boot: ImageBoot;
  /** The per-run qcow2 overlay over the base image (all writes go there). */
  overlayPath: string;
  /** The NoCloud 'cidata' seed (iso9660). */
  seedPath: string;
  /** Host port forwarded to the guest's port 22 on 127.0.0.1 only. */
  sshPort: number;
  /** Where the guest console (ttyS0) goes: QEMU's stdout, which the lane tees into the console log. */
  console: CharTarget;
}

/** No default devices, display or monitor; a guest reboot ends QEMU (-no-reboot), which the lane reports. */
export function imageIsolationArgs(): string[] {
  return ['-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-no-reboot'];
}

/**
 * User-mode networking with restrict=on: the guest reaches nothing outside (no outbound network, no host
 * services); the only way in is the forwarded SSH port, bound on 127.0.0.1.
 */
export function imageNetArgs(sshPort: number): string[] {
  if (!Number.isInteger(sshPort) || sshPort < 1 || sshPort > 65535) throw new RangeError(`sshPort must be a TCP port, got ${sshPort}`);
  return ['-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:22`, '-device', 'virtio-net-pci,netdev=n0'];
}

/** The overlay as the boot disk (vda) and the seed read-only (vdb); cache=unsafe: the overlay is thrown away. */
export function imageDriveArgs(overlayPath: string, seedPath: string): string[] {
  return [
    '-drive', `file=${optValue(overlayPath)},format=qcow2,if=virtio,cache=unsafe`,
    '-drive', `file=${optValue(seedPath)},format=raw,if=virtio,readonly=on`,
  ];
}

export function imageBootArgs(boot: ImageBoot): string[] {
  return boot.kind === 'kernel' ? ['-kernel', boot.kernelPath, '-initrd', boot.initrdPath, '-append', boot.cmdline.join(' ')] : ['-boot', 'c'];
}

/** Console on the first UART; a virtio RNG so early-boot sshd/cloud-init do not wait for entropy. */
export function imageDeviceArgs(console: CharTarget): string[] {
  return ['-chardev', chardevArg('console', console), '-serial', 'chardev:console', '-device', 'virtio-rng-pci'];
}

export function imageQemuArgs(s: ImageQemuSpec): string[] {
  return [
    '-name', s.name,
    ...imageIsolationArgs(),
    ...machineArgs(s.accel, s.cpu),
    ...resourceArgs(s.memoryMb, s.cpus),
    ...imageBootArgs(s.boot),
    ...imageDriveArgs(s.overlayPath, s.seedPath),
    ...imageNetArgs(s.sshPort),
    ...imageDeviceArgs(s.console),
  ];
}

/** qemu-img arguments of the per-run copy-on-write overlay. */
export function overlayArgs(basePath: string, baseFormat: 'qcow2' | 'raw', overlayPath: string): string[] {
  return ['create', '-q', '-f', 'qcow2', '-F', baseFormat, '-b', basePath, overlayPath];
}

/** QEMU option values escape a comma by doubling it. */
function optValue(v: string): string {
  return v.replace(/,/g, ',,');
}
