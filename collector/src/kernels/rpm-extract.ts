import { mkdir, open } from 'node:fs/promises';
import { execa } from 'execa';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { locateKernel, type KernelParts } from './deb-extract.ts';

// Unpacks kernel .rpms (no scriptlets, no root, no rpm database) with bsdtar, which reads the rpm
// container and its cpio payload (gzip, xz or zstd) itself and refuses absolute and `..` paths.
// Fedora/RHEL put the kernel in two places: /lib/modules/<release>/vmlinuz (+ config, System.map; Fedora,
// RHEL 8+, /usr/lib/modules on Fedora 40+) or /boot/vmlinuz-<release> (RHEL 7, CentOS 7). kernel-core
// carries the image, kernel-modules(-core) the .ko.xz files; modules.dep is a %ghost there, so the
// kernel store runs depmod.

/** The first bytes of every .rpm (the "lead"). */
const RPM_MAGIC = 0xedabeedb;

/** True when the file starts with the RPM lead magic. */
export async function isRpmFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return bytesRead === 4 && b.readUInt32BE(0) === RPM_MAGIC;
  } finally {
    await fh.close();
  }
}

/** Unpacks each .rpm into root; `what[i]` names rpms[i] in errors (the matrix value, not a scratch path). */
export async function extractRpms(rpms: string[], root: string, what: string[] = rpms): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const [i, rpm] of rpms.entries()) {
    const name = what[i] ?? rpm;
    // Checked here so a tarball or a .deb is refused by name instead of being unpacked by bsdtar.
    if (!(await isRpmFile(rpm))) {
      throw new BpfcompatError('KERNEL_RESOLVE', `${name}: not an .rpm file (no RPM lead magic)`, { hint: 'give a kernel .rpm (kernel-core-*, kernel-modules-*), or use kernel.deb / kernel.file for other formats' });
    }
    const res = await execa('bsdtar', ['-x', '-f', rpm, '-C', root, '--no-same-owner'], { reject: false, stdin: 'ignore' });
    if (res.exitCode === undefined) {
      throw new BpfcompatError('TOOL_MISSING', `cannot run bsdtar to unpack ${name}: ${res.shortMessage}`, { hint: 'install libarchive-tools (apt-get install libarchive-tools)' });
    }
    if (res.exitCode !== 0) {
      throw new BpfcompatError('KERNEL_RESOLVE', `${name}: not a readable .rpm (${String(res.stderr).split('\n')[0]})`, { hint: 'check that the download is complete and the file is a kernel .rpm' });
    }
  }
}

/** Finds image, config and modules in an unpacked rpm tree; the error speaks of rpm package names. */
export async function locateRpmKernel(root: string, what: string): Promise<KernelParts> {
  try {
    return await locateKernel(root, what);
  } catch (err) {
    if (!(err instanceof BpfcompatError) || err.code !== 'KERNEL_RESOLVE') throw err;
    throw new BpfcompatError('KERNEL_RESOLVE', `${what}: no kernel image (lib/modules/*/vmlinuz, usr/lib/modules/*/vmlinuz or boot/vmlinuz-*) in the package`, {
      hint: 'give the package that carries vmlinuz (Fedora/RHEL: kernel-core-*), with kernel-modules-* under modules:',
    });
  }
}
