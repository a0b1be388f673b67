// Sections of a 64-bit little-endian ELF (the kernels, modules and PVH payloads bpfcompat reads), without a parser
// library: the section headers and their name table, every offset checked against the file.

/** True for an ELF64 little-endian file. */
export const isElf64Le = (elf: Buffer): boolean => elf.length >= 64 && elf.readUInt32BE(0) === 0x7f454c46 && elf[4] === 2 && elf[5] === 1;

/** The bytes of the section called `name`, or null when the file is not an ELF64 LE or has no such section. */
export function elfSection(elf: Buffer, name: string): Buffer | null {
  if (!isElf64Le(elf)) return null;
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  if (!shoff || shoff + shnum * shentsize > elf.length || shstrndx >= shnum) return null;
  const sh = (i: number) => {
    const o = shoff + i * shentsize;
    return { name: elf.readUInt32LE(o), offset: Number(elf.readBigUInt64LE(o + 0x18)), size: Number(elf.readBigUInt64LE(o + 0x20)) };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const nameStart = strtab.offset + s.name;
    if (nameStart >= elf.length) continue;
    if (elf.toString('latin1', nameStart, elf.indexOf(0, nameStart)) === name && s.offset + s.size <= elf.length) return elf.subarray(s.offset, s.offset + s.size);
  }
  return null;
}
