import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, gunzipSync, zstdDecompressSync } from 'node:zlib';
import { execa } from 'execa';
import { writeFileAtomic } from '../infra/fs.ts';
import { cacheRoot } from '../infra/xdg.ts';
import { hasSetupHeader } from './bzimage.ts';
import { decodeLz4Legacy } from './lz4-legacy.ts';
import type { ResolvedKernel } from './types.ts';

// Direct PVH boot. A bzImage starts in real mode, decompresses itself and relocates; under TCG that is 1-2 s
// of every boot (measured here: Debian sid's zstd kernel 8.2 s → 6.1 s to power-off, bookworm's lz4 kernel
// 5.2 s → 4.5 s). Kernels built with CONFIG_PVH carry a Xen PHYS32_ENTRY ELF note, and QEMU boots such an
// ELF vmlinux directly (-kernel, its pvh.bin option ROM). So the payload is taken out of the bzImage once,
// checked (the size the build appended, ELF x86-64, the note) and cached beside the kernels by the image's
// sha256; the kernel's identity stays the bzImage it came from. Anything else boots the bzImage as before.
//
// The note alone does not make a kernel bootable this way. Before 5.0 it is Xen's own PVH entry (CONFIG_XEN_PVH,
// in Ubuntu's 4.15 and 4.18 kernels): that entry expects Xen's hypercall page, and under QEMU the guest hangs
// before its first console line. Linux 5.0 made PVH a hypervisor-neutral entry (CONFIG_PVH), so the kernel's
// config decides (CONFIG_PVH=y), or, for a kernel without a config, its release (5.0 and later).

/** Xen ELF note type XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit PVH entry point. */
const PHYS32_ENTRY = 18;
const PT_NOTE = 4;
const EM_X86_64 = 62;

export type PayloadFormat = 'gzip' | 'zstd' | 'xz' | 'lz4' | 'bzip2' | 'lzma' | 'lzo';

export interface Payload {
  format: PayloadFormat;
  /** the compressed bytes, without the 32-bit size the x86 build appends (gzip keeps its own trailer) */
  data: Buffer;
  /** the uncompressed size the build recorded, or null (gzip) */
  size: number | null;
}

const MAGICS: Array<[PayloadFormat, number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
  ['lzma', [0x5d, 0x00, 0x00]],
];

/** The compressed kernel inside a bzImage (boot protocol >= 2.08 names it in the setup header), or null. */
export function bzImagePayload(bz: Buffer): Payload | null {
  if (!hasSetupHeader(bz, 0x250) || bz.readUInt16LE(0x206) < 0x208) return null;
  const setupSectors = bz[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + bz.readUInt32LE(0x248);
  const length = bz.readUInt32LE(0x24c);
  if (length < 8 || start + length > bz.length) return null;
  const raw = bz.subarray(start, start + length);
  const format = MAGICS.find(([, m]) => m.every((b, i) => raw[i] === b))?.[0];
  if (!format) return null;
  if (format === 'gzip') return { format, data: raw, size: null };
  return { format, data: raw.subarray(0, raw.length - 4), size: raw.readUInt32LE(raw.length - 4) };
}

/** Decompresses a payload; null for formats this host cannot read (bzip2, lzma, lzo: boot the bzImage). */
export async function decompressPayload(p: Payload): Promise<Buffer | null> {
  switch (p.format) {
    case 'gzip':
      return gunzipSync(p.data);
    case 'zstd':
      // Kernels are compressed with --ultra -22, whose window exceeds zstd's default decoding limit.
      return zstdDecompressSync(p.data, { params: { [constants.ZSTD_d_windowLogMax]: 31 } });
    case 'lz4':
      return decodeLz4Legacy(p.data, p.size ?? 0);
    case 'xz': {
      const r = await execa('xz', ['--decompress', '--stdout', '--single-stream'], { input: p.data, encoding: 'buffer', maxBuffer: 1 << 30, reject: false });
      return r.exitCode === 0 ? Buffer.from(r.stdout) : null;
    }
    default:
      return null;
  }
}

/** True when elf is an x86-64 ELF executable with a PVH entry note. */
export function hasPvhEntry(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1 || elf.readUInt16LE(18) !== EM_X86_64) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > elf.length || elf.readUInt32LE(ph) !== PT_NOTE) continue;
    const off = Number(elf.readBigUInt64LE(ph + 0x08));
    const end = Math.min(elf.length, off + Number(elf.readBigUInt64LE(ph + 0x20)));
    for (let n = off; n + 12 <= end;) {
      const namesz = elf.readUInt32LE(n);
      const descsz = elf.readUInt32LE(n + 4);
      const type = elf.readUInt32LE(n + 8);
      const name = elf.toString('latin1', n + 12, n + 12 + namesz).replace(/\0+$/, '');
      if (name === 'Xen' && type === PHYS32_ENTRY) return true;
      n += 12 + align4(namesz) + align4(descsz);
    }
  }
  return false;
}

const align4 = (n: number) => (n + 3) & ~3;

/** The PVH ELF inside a bzImage, or null with the reason it cannot be booted that way. */
export async function extractPvhElf(bz: Buffer): Promise<{ elf: Buffer } | { elf: null; reason: string }> {
  const payload = bzImagePayload(bz);
  if (!payload) return { elf: null, reason: 'not a bzImage with a known compressed payload' };
  const elf = await decompressPayload(payload).catch(() => null);
  if (!elf) return { elf: null, reason: `${payload.format} payload not decompressed` };
  if (payload.size !== null && elf.length !== payload.size) return { elf: null, reason: `payload decompressed to ${elf.length} bytes, the build recorded ${payload.size}` };
  if (!hasPvhEntry(elf)) return { elf: null, reason: 'no PVH entry (CONFIG_PVH off)' };
  return { elf };
}

/**
 * Whether the kernel's PVH note is the hypervisor-neutral entry QEMU can start: CONFIG_PVH=y in its config, or,
 * without a config, a release of 5.0 or later (an unparsable release is given the benefit of the note).
 */
export async function pvhEntryUsable(kernel: Pick<ResolvedKernel, 'configPath' | 'release'>): Promise<boolean> {
  const config = kernel.configPath ? await readFile(kernel.configPath, 'utf8').catch(() => null) : null;
  if (config !== null) return /^CONFIG_PVH=y$/m.test(config);
  const m = /^(\d+)\.(\d+)/.exec(kernel.release);
  return !m || Number(m[1]) >= 5;
}

const pending = new Map<string, Promise<string | null>>();

/**
 * The kernel's ELF payload with its PVH note, extracted once per image sha256 into <cache>/pvh/ (about a second),
 * or null when it has none (remembered too). x86_64 bzImages only.
 */
export function pvhElfPath(kernel: ResolvedKernel, cacheDir: string = cacheRoot()): Promise<string | null> {
  if (kernel.arch !== 'x86_64' || !existsSync(kernel.imagePath)) return Promise.resolve(null);
  const dir = join(cacheDir, 'pvh');
  const elfPath = join(dir, `${kernel.imageSha256}.elf`);
  const nonePath = join(dir, `${kernel.imageSha256}.none`);
  if (existsSync(elfPath)) return Promise.resolve(elfPath);
  if (existsSync(nonePath)) return Promise.resolve(null);
  let p = pending.get(elfPath);
  if (!p) {
    p = (async () => {
      const bz = await readFile(kernel.imagePath).catch(() => null);
      if (bz === null) return null;
      const r = await extractPvhElf(bz);
      if (r.elf === null) {
        await writeFileAtomic(nonePath, `${r.reason}\n`);
        return null;
      }
      await writeFileAtomic(elfPath, r.elf);
      return elfPath;
    })().finally(() => pending.delete(elfPath));
    pending.set(elfPath, p);
  }
  return p;
}

/**
 * The image QEMU should boot for this kernel: the cached PVH ELF when the kernel has a usable PVH entry, else its
 * own image.
 */
export async function bootImagePath(kernel: ResolvedKernel, cacheDir: string = cacheRoot()): Promise<string> {
  // A missing image is QEMU's to report (qemu_failed with its message), whatever is cached for its hash.
  if (kernel.arch !== 'x86_64' || process.env.BPFCOMPAT_BOOT === 'bzimage' || !existsSync(kernel.imagePath)) return kernel.imagePath;
  if (!(await pvhEntryUsable(kernel))) return kernel.imagePath;
  return (await pvhElfPath(kernel, cacheDir)) ?? kernel.imagePath;
}
