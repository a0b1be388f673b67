import { existsSync } from 'node:fs';
import { usageError } from '../../../history/vocabulary/errors.ts';

// `--artifact` names a file or an OCI image. One parser turns the string into a typed reference, with the
// transport names skopeo users know (oci:, oci-archive:, docker-archive:, docker://).

export type ArtifactReference =
  | { kind: 'file'; path: string }
  | { kind: 'oci-layout'; dir: string; tag: string | null; digest: string | null }
  | { kind: 'oci-archive'; file: string; tag: string | null }
  | { kind: 'docker-archive'; file: string }
  | { kind: 'registry'; host: string; repository: string; tag: string | null; digest: string | null };

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPO = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const HOST = /^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\[[0-9a-fA-F:]+\]|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$/;

/** `NAME[:TAG]` or `NAME@sha256:…` split at the tag or digest (a colon inside a path is kept). */
function splitTagOrDigest(s: string): { name: string; tag: string | null; digest: string | null } {
  const at = s.lastIndexOf('@');
  if (at > 0) return { name: s.slice(0, at), tag: null, digest: s.slice(at + 1) };
  const colon = s.lastIndexOf(':');
  if (colon > s.lastIndexOf('/') && colon > 0) return { name: s.slice(0, colon), tag: s.slice(colon + 1), digest: null };
  return { name: s, tag: null, digest: null };
}

function checkTagDigest(what: string, tag: string | null, digest: string | null): void {
  if (digest !== null && !DIGEST.test(digest)) throw usageError(`--artifact ${what}: '${digest}' is not a sha256 digest`, 'write @sha256: followed by 64 lowercase hex digits');
  if (tag !== null && !TAG.test(tag)) throw usageError(`--artifact ${what}: '${tag}' is not a valid tag`, 'tags are letters, digits, _ . - (at most 128)');
}

/** A registry reference needs an explicit registry host (a dot, a port or localhost): bare names stay file paths. */
export function looksLikeRegistryReference(s: string): boolean {
  // ./x, ../x and /x are paths, whatever follows
  if (/^\.{0,2}\//.test(s)) return false;
  const ref = s.startsWith('docker://') ? s.slice('docker://'.length) : s;
  const slash = ref.indexOf('/');
  return slash > 0 && HOST.test(ref.slice(0, slash)) && /[.:]|^localhost/.test(ref.slice(0, slash));
}

export function parseArtifactReference(arg: string): ArtifactReference {
  if (arg.startsWith('oci:')) {
    // oci:DIR[:TAG|@DIGEST]: a directory may itself contain a colon, so the tag is only taken when DIR:TAG's DIR exists.
    const rest = arg.slice(4);
    const { name, tag, digest } = splitTagOrDigest(rest);
    const dir = existsSync(rest) && !digest ? rest : name;
    const t = dir === rest ? null : tag;
    checkTagDigest(arg, t, digest);
    if (!dir) throw usageError(`--artifact ${arg}: the OCI layout directory is missing`, 'write oci:DIR[:TAG|@sha256:…]');
    return { kind: 'oci-layout', dir, tag: t, digest };
  }
  if (arg.startsWith('oci-archive:')) {
    const rest = arg.slice('oci-archive:'.length);
    const colon = rest.lastIndexOf(':');
    const file = colon > 0 && !existsSync(rest) ? rest.slice(0, colon) : rest;
    const tag = file === rest ? null : rest.slice(colon + 1);
    checkTagDigest(arg, tag, null);
    if (!file) throw usageError(`--artifact ${arg}: the archive path is missing`, 'write oci-archive:FILE.tar[:TAG]');
    return { kind: 'oci-archive', file, tag };
  }
  if (arg.startsWith('docker-archive:')) {
    const file = arg.slice('docker-archive:'.length);
    if (!file) throw usageError(`--artifact ${arg}: the archive path is missing`, 'write docker-archive:FILE.tar');
    return { kind: 'docker-archive', file };
  }
  if (existsSync(arg) || !looksLikeRegistryReference(arg)) return { kind: 'file', path: arg };
  const ref = arg.startsWith('docker://') ? arg.slice('docker://'.length) : arg;
  const slash = ref.indexOf('/');
  const host = ref.slice(0, slash);
  const { name, tag, digest } = splitTagOrDigest(ref.slice(slash + 1));
  if (!REPO.test(name)) throw usageError(`--artifact ${arg}: '${name}' is not a repository name`, 'write HOST[:PORT]/REPO[:TAG|@sha256:…] with a lowercase repository path');
  checkTagDigest(arg, tag, digest);
  return { kind: 'registry', host, repository: name, tag: digest ? null : (tag ?? 'latest'), digest };
}

/** The reference as users write it (recorded in the report). */
export function formatReference(r: ArtifactReference): string {
  switch (r.kind) {
    case 'file': return r.path;
    case 'oci-layout': return `oci:${r.dir}${r.digest ? `@${r.digest}` : r.tag ? `:${r.tag}` : ''}`;
    case 'oci-archive': return `oci-archive:${r.file}${r.tag ? `:${r.tag}` : ''}`;
    case 'docker-archive': return `docker-archive:${r.file}`;
    case 'registry': return `${r.host}/${r.repository}${r.digest ? `@${r.digest}` : `:${r.tag}`}`;
  }
}
