import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';
import type { EvidenceSource } from './evidence-source.ts';

// The bytes of a chosen object: the site's /artifacts/<sha256>.bpf.o (checked against its signed manifest when keys
// are trusted), else the artifact URI recorded at test time. Whatever the source, the bytes must hash to the sha256
// the evidence names, or nothing is returned.

const MAX_OBJECT = 64 << 20; // the collector refuses larger objects at test time

async function download(uri: string): Promise<Buffer> {
  if (!/^https?:\/\//.test(uri)) throw new BpfcompatError('DOWNLOAD', `artifact URI ${uri}: only http(s) is followed`);
  let res: Response;
  try {
    res = await fetch(uri, { redirect: 'follow' });
  } catch (err) {
    throw new BpfcompatError('DOWNLOAD', `artifact URI ${uri}: ${(err as Error).message}`, { hint: 'check the URL recorded with --artifact-uri and the network' });
  }
  if (!res.ok) throw new BpfcompatError('DOWNLOAD', `artifact URI ${uri}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_OBJECT) throw new BpfcompatError('DOWNLOAD', `artifact URI ${uri}: ${declared} bytes is larger than ${MAX_OBJECT}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_OBJECT) throw new BpfcompatError('DOWNLOAD', `artifact URI ${uri}: larger than ${MAX_OBJECT} bytes`);
  return body;
}

/** The object's bytes, verified against `sha256`; `uri` is the one recorded for the variant (or null). */
export async function objectBytes(source: EvidenceSource, sha256: string, uri: string | null): Promise<{ bytes: Buffer; from: string }> {
  let bytes: Buffer | null = null;
  let from = '';
  if (source.site) {
    const path = `artifacts/${sha256}.bpf.o`;
    try {
      bytes = await source.site.file(path);
      from = `${source.location} ${path}`;
    } catch (err) {
      // Not published there: the recorded URI, if any. A published object that fails its check is never bypassed.
      const absent = err instanceof BpfcompatError && (err.code === 'FILE_NOT_FOUND' || (err.code === 'DOWNLOAD' && /HTTP 404/.test(err.message)));
      if (!absent || uri === null) throw err;
    }
  }
  if (bytes === null) {
    if (uri === null) {
      throw new BpfcompatError('USAGE', `fetch: no source for object ${sha256.slice(0, 16)}…: ${source.kind === 'history' ? 'a history holds verdicts, not objects,' : 'the site does not publish it'} and no --artifact-uri was recorded for it; nothing written`, {
        hint: 'fetch from a site built with site build --with-artifacts, or record test --artifact-uri URL',
      });
    }
    bytes = await download(uri);
    from = uri;
  }
  const got = sha256Hex(bytes);
  if (got !== sha256) {
    throw new BpfcompatError('INTEGRITY', `fetch: the object from ${from} hashes to ${got}, not the sha256 the evidence names (${sha256}); nothing written`, { hint: 'the published object was changed or the URI serves another file' });
  }
  return { bytes, from };
}
