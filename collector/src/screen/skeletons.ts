// BPF objects embedded in a loader binary: a libbpf skeleton (bpftool gen skeleton) carries its object as one ELF
// blob in .rodata. Found by the ELF magic, kept when e_machine is EM_BPF, cut at the end of its last section or
// section header table, and checked to be whole before it is returned.

const EM_BPF = 247;
const MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]); // ELF, 64-bit, little-endian

export function embeddedBpfObjects(bin: Buffer): Buffer[] {
  const found: Buffer[] = [];
  for (let at = bin.indexOf(MAGIC, 1); at >= 0; at = bin.indexOf(MAGIC, at + 1)) {
    if (at + 64 > bin.length || bin.readUInt16LE(at + 18) !== EM_BPF || bin.readUInt16LE(at + 16) !== 1 /* ET_REL */) continue;
    const shoff = Number(bin.readBigUInt64LE(at + 0x28));
    const shentsize = bin.readUInt16LE(at + 0x3a);
    const shnum = bin.readUInt16LE(at + 0x3c);
    if (shentsize !== 64 || !shnum || at + shoff + shnum * shentsize > bin.length) continue;
    let end = shoff + shnum * shentsize;
    for (let i = 0; i < shnum; i++) {
      const sh = at + shoff + i * shentsize;
      const type = bin.readUInt32LE(sh + 4);
      const off = Number(bin.readBigUInt64LE(sh + 0x18));
      const size = Number(bin.readBigUInt64LE(sh + 0x20));
      if (type !== 8 /* SHT_NOBITS */ && off + size > end) end = off + size;
    }
    if (at + end > bin.length) continue;
    found.push(Buffer.from(bin.subarray(at, at + end)));
    at += end - 1;
  }
  return found;
}
