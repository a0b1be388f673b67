import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';

// The OCI image model bpfcompat reads (image-spec v1 and Docker's v2 schema 2), and the one check every byte
// passes: its digest against the descriptor that named it, before anything uses it.

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  gadgetProgram: 'application/vnd.gadget.ebpf.program.v1+binary',
  gadgetConfig: 'application/vnd.gadget.config.v1+yaml',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string; variant?: string };
  annotations?: Record<string, string>;
}

/** What a source gives for a reference: the bytes of the manifest or index it names, verified when it named a digest. */
export interface RootManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string | null;
}

/** An image store: a layout directory, an archive's contents, or a registry. */
export interface ImageSource {
  /** The reference as the user wrote it, for errors. */
  label: string;
  root(): Promise<RootManifest>;
  /** A manifest, image index or blob by descriptor, verified against its digest and size. */
  fetch(d: Descriptor, what: string): Promise<Buffer>;
}

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_BLOB_BYTES = 512 * 1024 * 1024;

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${sha256Hex(bytes)}`;
}

/** The bytes, if their sha256 (and size, when declared) is what the descriptor says; else an INTEGRITY error. */
export function verified(bytes: Buffer, d: Pick<Descriptor, 'digest'> & { size?: number }, what: string): Buffer {
  if (!/^sha256:[0-9a-f]{64}$/.test(d.digest)) throw new BpfcompatError('OCI_INVALID', `${what}: unsupported digest '${d.digest}'`, { hint: 'only sha256 digests are accepted' });
  const got = digestOf(bytes);
  if (got !== d.digest) throw new BpfcompatError('INTEGRITY', `${what}: digest mismatch: expected ${d.digest}, got ${got}`, { hint: 'the image was modified or corrupted after it was built; rebuild or re-push it' });
  if (d.size !== undefined && d.size !== bytes.length) throw new BpfcompatError('INTEGRITY', `${what}: ${bytes.length} bytes, the descriptor declares ${d.size}`, { hint: 'the image was modified after it was built' });
  return bytes;
}

export function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(bytes.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new BpfcompatError('OCI_INVALID', `${what}: not a JSON object`, { hint: 'the image is not an OCI or Docker image' });
}

export function descriptors(v: unknown, what: string): Descriptor[] {
  if (!Array.isArray(v)) throw new BpfcompatError('OCI_INVALID', `${what}: missing its descriptor list`, { hint: 'the image is not an OCI or Docker image' });
  return v.map((d, i) => {
    const o = d as Partial<Descriptor>;
    if (typeof o?.digest !== 'string' || typeof o.size !== 'number' || typeof o.mediaType !== 'string') throw new BpfcompatError('OCI_INVALID', `${what}: descriptor ${i} lacks mediaType, digest or size`);
    return o as Descriptor;
  });
}
