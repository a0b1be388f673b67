import { gunzipSync } from 'node:zlib';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

// A reader for the tar streams OCI layers and image archives are (ustar, with pax and GNU long names), gzip or
// plain. Regular files only; links and devices are skipped, and no path ever reaches the file system from here.

export interface TarEntry {
  name: string;
  data: Buffer;
}

const octal = (b: Buffer) => {
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  return s === '' ? 0 : parseInt(s, 8);
};

/** A gzip stream is inflated; anything else is taken as it is. */
export function maybeGunzip(data: Buffer, what: string): Buffer {
  if (data.length < 2 || data[0] !== 0x1f || data[1] !== 0x8b) return data;
  try {
    return gunzipSync(data, { maxOutputLength: 512 * 1024 * 1024 });
  } catch (err) {
    throw new BpfcompatError('OCI_INVALID', `${what}: not a valid gzip stream (${(err as Error).message})`, { hint: 'the layer is corrupt; rebuild or re-push the image' });
  }
}

export function isTar(data: Buffer): boolean {
  return data.length >= 512 && data.toString('latin1', 257, 262) === 'ustar';
}

export function readTar(data: Buffer, what: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let off = 0;
  let longName: string | null = null;
  let paxPath: string | null = null;
  while (off + 512 <= data.length) {
    const h = data.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = octal(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] || 48);
    const start = off + 512;
    if (!Number.isFinite(size) || start + size > data.length) throw new BpfcompatError('OCI_INVALID', `${what}: truncated tar entry at offset ${off}`, { hint: 'the archive or layer is corrupt' });
    const body = data.subarray(start, start + size);
    off = start + Math.ceil(size / 512) * 512;
    if (type === 'L') { longName = body.toString('utf8').replace(/\0+$/, ''); continue; }
    if (type === 'x') {
      for (const rec of body.toString('utf8').split('\n')) {
        const m = /^\d+ path=(.*)$/.exec(rec);
        if (m) paxPath = m[1]!;
      }
      continue;
    }
    const prefix = h.toString('utf8', 345, 500).replace(/\0.*$/s, '');
    const base = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    longName = null;
    paxPath = null;
    if (type === '0' || type === '\0' || type === '7') entries.push({ name: name.replace(/^\.\//, ''), data: body });
  }
  return entries;
}
