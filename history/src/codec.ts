import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

// Brotli at quality 5: close to deflate's speed on kilobyte-sized JSON with a clearly better ratio;
// quality 11 (the default) costs ~50x the time for a few percent, which the 1M-result bench cannot afford.
const OPTS = { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };

export function compressText(text: string): Buffer {
  return brotliCompressSync(Buffer.from(text, 'utf8'), OPTS);
}

export function decompressText(blob: Uint8Array): string {
  return brotliDecompressSync(blob).toString('utf8');
}
