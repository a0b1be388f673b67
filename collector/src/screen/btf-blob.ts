// BTF blobs inside the files kernels ship: the .BTF section of an ELF (a vmlinux, the PVH ELF, a module's .ko),
// or the blob inside a raw arm64 Image, found by its header.

import { elfSection } from '../infra/elf.ts';

const BTF_MAGIC = 0xeb9f;

/** The bytes of an ELF's .BTF section, or null when it has none (64-bit little-endian ELF only: the kernels we boot). */
export const elfBtfSection = (elf: Buffer): Buffer | null => elfSection(elf, '.BTF');

/** The first plausible BTF blob inside a raw image (arm64 Image): magic, version 1, a 24-byte header, sizes in bounds. */
export function rawImageBtf(img: Buffer): Buffer | null {
  for (let at = img.indexOf(Buffer.from([0x9f, 0xeb, 0x01, 0x00])); at >= 0; at = img.indexOf(Buffer.from([0x9f, 0xeb, 0x01, 0x00]), at + 1)) {
    if (at + 24 > img.length || img.readUInt16LE(at) !== BTF_MAGIC || img.readUInt32LE(at + 4) !== 24) continue;
    const typeOff = img.readUInt32LE(at + 8), typeLen = img.readUInt32LE(at + 12), strOff = img.readUInt32LE(at + 16), strLen = img.readUInt32LE(at + 20);
    const end = at + 24 + Math.max(typeOff + typeLen, strOff + strLen);
    if (typeOff !== 0 || strOff !== typeLen || typeLen < 1024 || end > img.length) continue;
    return img.subarray(at, end);
  }
  return null;
}
