import { deflateRawSync, inflateRawSync } from 'node:zlib';

// Raw deflate at the default level. A call costs a fixed ~15-20 µs of zlib set-up whatever the input
// size, so small, similar texts (target JSON, ~1.5 KB each) are compressed against a preset dictionary:
// long matches make deflate faster (~25 µs instead of ~40 µs a target) and the output 5x smaller
// (~140 bytes instead of ~720). The dictionary bytes are stored in the history file itself
// (table dictionaries), so a blob stays readable whatever dictionary later code ships.

export function compressText(text: string, dictionary?: Buffer): Buffer {
  return dictionary === undefined ? deflateRawSync(Buffer.from(text, 'utf8')) : deflateRawSync(Buffer.from(text, 'utf8'), { dictionary });
}

export function decompressText(blob: Uint8Array, dictionary?: Buffer | null): string {
  return (dictionary ? inflateRawSync(blob, { dictionary }) : inflateRawSync(blob)).toString('utf8');
}
