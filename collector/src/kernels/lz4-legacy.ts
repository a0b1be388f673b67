// LZ4's legacy frame, as the kernel's `lz4 -l` payloads use it (Debian's 5.10 and 6.1 bzImages): the magic
// 0x184C2102, then blocks of a 32-bit little-endian compressed size and an LZ4 block, each up to 8 MiB
// uncompressed. A block size equal to the magic starts a new frame. Node has no LZ4, and one pass over a
// kernel is cheap enough in plain TypeScript.

const MAGIC = 0x184c2102;
const BLOCK_MAX = 8 << 20;

/** Decodes a legacy LZ4 frame; throws on anything malformed. `sizeHint` pre-sizes the output. */
export function decodeLz4Legacy(src: Uint8Array, sizeHint = 0): Buffer {
  const view = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  if (view.length < 4 || view.readUInt32LE(0) !== MAGIC) throw new Error('not an LZ4 legacy frame');
  let out = Buffer.allocUnsafe(Math.max(sizeHint, BLOCK_MAX));
  let op = 0;
  let ip = 4;
  while (ip + 4 <= view.length) {
    const size = view.readUInt32LE(ip);
    ip += 4;
    if (size === MAGIC) continue;
    if (size === 0 || ip + size > view.length) throw new Error(`LZ4 block of ${size} bytes at ${ip - 4} runs past the input`);
    if (op + BLOCK_MAX > out.length) {
      const grown = Buffer.allocUnsafe(Math.max(out.length * 2, op + BLOCK_MAX));
      out.copy(grown, 0, 0, op);
      out = grown;
    }
    op = decodeBlock(view, ip, ip + size, out, op);
    ip += size;
  }
  return out.subarray(0, op);
}

/** One LZ4 block from src[start, end) into out at op; returns the new output position. */
function decodeBlock(src: Buffer, start: number, end: number, out: Buffer, op: number): number {
  const blockStart = op;
  let ip = start;
  // A 4-bit length of 15 continues in the following bytes, each added, until one is not 255.
  const extended = (n: number): number => {
    if (n !== 15) return n;
    let b: number;
    do {
      b = src[ip++]!;
      n += b;
    } while (b === 255 && ip < end);
    return n;
  };
  while (ip < end) {
    const token = src[ip++]!;
    const literals = extended(token >> 4);
    if (ip + literals > end || op + literals - blockStart > BLOCK_MAX) throw new Error('LZ4 literals run past the block');
    src.copy(out, op, ip, ip + literals);
    ip += literals;
    op += literals;
    if (ip >= end) break; // the last sequence has literals only
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    const match = extended(token & 15) + 4;
    // Legacy blocks are independent (the kernel's unlz4 decodes each alone): a match stays inside its block.
    if (offset === 0 || offset > op - blockStart) throw new Error('LZ4 match offset out of range');
    if (op + match - blockStart > BLOCK_MAX) throw new Error('LZ4 block decodes past 8 MiB');
    let from = op - offset;
    if (offset >= match) {
      out.copyWithin(op, from, from + match);
      op += match;
    } else {
      // Overlapping copy: the repeated pattern is rebuilt byte by byte, as the format intends.
      for (let i = 0; i < match; i++) out[op++] = out[from++]!;
    }
  }
  return op;
}
