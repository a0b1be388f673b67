import { open } from 'node:fs/promises';

// An x86 bzImage names its own kernel version: the setup header (boot protocol >= 2.00, magic "HdrS"
// at 0x202) holds at 0x20E a 16-bit pointer, relative to 0x200, to a NUL-terminated string such as
// "6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP …". Its first word is `uname -r`.

const HEADER_BYTES = 0x8000;

/** The full version string of a bzImage, or null when the file is not a bzImage. */
export async function readBzImageVersion(path: string): Promise<string | null> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
    return bzImageVersionOf(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** True when buf starts with an x86 boot sector carrying a setup header of at least `minBytes` (magic "HdrS" at 0x202). */
export function hasSetupHeader(buf: Buffer, minBytes = 0x210): boolean {
  return buf.length >= minBytes && buf.toString('latin1', 0x202, 0x206) === 'HdrS';
}

export function bzImageVersionOf(head: Uint8Array): string | null {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (!hasSetupHeader(buf)) return null;
  const pointer = buf.readUInt16LE(0x20e);
  if (pointer === 0) return null;
  const start = pointer + 0x200;
  if (start >= buf.length) return null;
  const end = buf.indexOf(0, start);
  const text = buf.toString('latin1', start, end < 0 ? Math.min(buf.length, start + 256) : end).trim();
  return text === '' ? null : text;
}

/** `uname -r` of a bzImage (first word of its version string), or null. */
export async function readBzImageRelease(path: string): Promise<string | null> {
  const v = await readBzImageVersion(path);
  return v === null ? null : (v.split(/\s+/)[0] ?? null);
}
