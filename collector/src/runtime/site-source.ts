import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';
import { SITE_SIGNATURES_PATH, SiteSignatures } from '../../../history/vocabulary/site-signatures.ts';
import { keyIdOf, publicKeyFromRaw, verifyBytes, type TrustedKey } from '../../../history/vocabulary/signing.ts';

// Reading a published site (a built directory or its URL) as evidence, checked against its signed manifest:
// api/v1/signatures.json lists the sha256 of every API file and published object, api/v1/signatures.json.sig is the
// site key's Ed25519 signature over its exact bytes. With trusted keys, every file read must be listed there with
// the sha256 of the bytes read, and the manifest must be signed by a trusted key; anything else is refused.


const MAX_FILE = 64 << 20;

/** A site given as a directory or an http(s) URL; file paths are relative to its root (its base path). */
export class SiteReader {
  readonly location: string;
  private readonly isUrl: boolean;
  private manifest: SiteSignatures | null = null;
  private readonly trusted: readonly TrustedKey[];

  constructor(location: string, trusted: readonly TrustedKey[] = []) {
    this.isUrl = /^https?:\/\//.test(location);
    this.location = this.isUrl && !location.endsWith('/') ? `${location}/` : location;
    this.trusted = trusted;
  }

  /** The raw bytes of a file of the site; a missing file is a one-line error naming it. */
  async raw(path: string): Promise<Buffer> {
    if (!/^[A-Za-z0-9._\/-]+$/.test(path) || path.split('/').includes('..')) throw new BpfcompatError('INTEGRITY', `--site: refusing the path '${path}'`);
    if (!this.isUrl) {
      try {
        return await readFile(join(this.location, path));
      } catch (err) {
        throw new BpfcompatError('FILE_NOT_FOUND', `--site ${this.location}: no ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, { hint: 'pass the directory bpfcompat site build wrote (--out), or the URL it is served at' });
      }
    }
    const url = new URL(path, this.location).toString();
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow' });
    } catch (err) {
      throw new BpfcompatError('DOWNLOAD', `--site ${url}: ${(err as Error).message}`, { hint: 'check the URL and the network' });
    }
    if (!res.ok) throw new BpfcompatError('DOWNLOAD', `--site ${url}: HTTP ${res.status}`, { hint: 'pass the URL the site is served at (its base path included)' });
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_FILE) throw new BpfcompatError('DOWNLOAD', `--site ${url}: larger than ${MAX_FILE} bytes`);
    return body;
  }

  /** The signed manifest, checked against the trusted keys (read once). */
  async signatures(): Promise<SiteSignatures> {
    if (this.manifest) return this.manifest;
    const bytes = await this.raw(SITE_SIGNATURES_PATH).catch((err: unknown) => {
      if (err instanceof BpfcompatError && (err.code === 'FILE_NOT_FOUND' || err.code === 'DOWNLOAD')) {
        throw new BpfcompatError('SIGNATURE', `--site ${this.location}: the site is not signed (no ${SITE_SIGNATURES_PATH}); evidence refused`, { hint: 'build it with bpfcompat site build --sign-key KEY, or drop --trusted-key' });
      }
      throw err;
    });
    const sig = (await this.raw(`${SITE_SIGNATURES_PATH}.sig`)).toString('utf8').trim();
    let parsed: SiteSignatures;
    try {
      parsed = SiteSignatures.parse(JSON.parse(bytes.toString('utf8')));
    } catch {
      throw new BpfcompatError('SIGNATURE', `--site ${this.location}: ${SITE_SIGNATURES_PATH} is not a bpfcompat signature manifest; evidence refused`);
    }
    const key = this.trusted.find((k) => k.keyId === parsed.key_id);
    if (!key) throw new BpfcompatError('SIGNATURE', `--site ${this.location}: signed by key ${parsed.key_id.slice(0, 16)}, which is not a --trusted-key; evidence refused`, { hint: 'pass the site key\'s .pub with --trusted-key' });
    if (keyIdOf(publicKeyFromRaw(parsed.public_key)) !== parsed.key_id || !verifyBytes(key.publicKey, bytes, sig)) {
      throw new BpfcompatError('SIGNATURE', `--site ${this.location}: the signature of ${SITE_SIGNATURES_PATH} does not hold; evidence refused`, { hint: 'the site was changed after it was signed' });
    }
    this.manifest = parsed;
    return parsed;
  }

  /** A file's bytes; with trusted keys, checked against the signed manifest before they are used. */
  async file(path: string): Promise<Buffer> {
    const bytes = await this.raw(path);
    if (this.trusted.length === 0) return bytes;
    const m = await this.signatures();
    const want = m.files[path];
    if (!want) throw new BpfcompatError('SIGNATURE', `--site ${this.location}: ${path} is not in the signed manifest; evidence refused`);
    const got = sha256Hex(bytes);
    if (got !== want) throw new BpfcompatError('INTEGRITY', `--site ${this.location}: ${path} hashes to ${got.slice(0, 16)}…, the signed manifest says ${want.slice(0, 16)}…; refused`, { hint: 'the site was changed after it was signed' });
    return bytes;
  }

  async json(path: string): Promise<unknown> {
    const bytes = await this.file(path);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new BpfcompatError('INTEGRITY', `--site ${this.location}: ${path} is not JSON`);
    }
  }

  get signedKeyId(): string | null {
    return this.manifest?.key_id ?? null;
  }
}
