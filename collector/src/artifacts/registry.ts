import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { credentialsFor, type Credentials } from './credentials.ts';
import { digestOf, MAX_BLOB_BYTES, MAX_MANIFEST_BYTES, MEDIA, verified, type Descriptor, type ImageSource, type RootManifest } from './model.ts';

// The OCI distribution API, pull side: GET /v2/<repo>/manifests/<ref> and /v2/<repo>/blobs/<digest>, with the
// registry's challenge answered by an anonymous (or credentialed) bearer token, or basic auth. HTTPS always,
// plain HTTP only for a host named by --registry-insecure.

export interface RegistryOptions {
  /** HOST[:PORT] values that may be reached over plain HTTP. */
  insecureHosts: readonly string[];
  env?: NodeJS.ProcessEnv;
}

const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

function parseChallenge(header: string | null): Challenge | null {
  if (!header) return null;
  const m = /^(\w+)\s*(.*)$/s.exec(header.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return null;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!.toLowerCase()] = p[2]!;
  return { scheme, params };
}

export function registrySource(label: string, host: string, repository: string, ref: { tag: string | null; digest: string | null }, opts: RegistryOptions): ImageSource {
  const insecure = opts.insecureHosts.includes(host);
  const base = `${insecure ? 'http' : 'https'}://${host}/v2/${repository}`;
  let authorization: string | null = null;
  let creds: Credentials | null | undefined;
  const credentials = () => (creds === undefined ? (creds = credentialsFor(host, opts.env)) : creds);

  const authFailed = (status: number) => new BpfcompatError('OCI_AUTH', `--artifact ${label}: ${host} refused access to ${repository} (HTTP ${status}${credentials() ? `, with the credentials for ${host} from the docker config` : ', anonymously'})`, {
    hint: credentials() ? `check the credentials for ${host} (docker login ${host})` : `log in first (docker login ${host}), or check the repository name`,
  });

  async function request(url: string, accept: string | null, what: string): Promise<Response> {
    const go = () => fetch(url, { headers: { ...(accept ? { accept } : {}), ...(authorization ? { authorization } : {}) }, redirect: 'follow', signal: AbortSignal.timeout(120_000) });
    let res: Response;
    try {
      res = await go();
      if (res.status === 401 && !authorization) {
        const challenge = parseChallenge(res.headers.get('www-authenticate'));
        await res.body?.cancel();
        if (!challenge) throw authFailed(401);
        authorization = await answer(challenge);
        res = await go();
      }
    } catch (err) {
      if (err instanceof BpfcompatError) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new BpfcompatError('DOWNLOAD', `--artifact ${label}: ${what}: cannot reach ${host} (${cause?.code ?? cause?.message ?? (err as Error).message})`, {
        hint: insecure ? 'is the registry running?' : `is the registry running, and does it speak HTTPS? (--registry-insecure ${host} allows plain HTTP for it)`,
      });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw authFailed(res.status);
    }
    return res;
  }

  async function answer(c: Challenge): Promise<string> {
    const cred = credentials();
    if (c.scheme === 'basic') {
      if (!cred) throw authFailed(401);
      return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
    const realm = c.params.realm;
    if (!realm) throw new BpfcompatError('OCI_AUTH', `--artifact ${label}: ${host} asked for a bearer token without a realm`);
    const url = new URL(realm);
    if (url.protocol === 'http:' && !insecure) throw new BpfcompatError('OCI_AUTH', `--artifact ${label}: the token service ${url.origin} of ${host} is plain HTTP`, { hint: `--registry-insecure ${host} allows it` });
    if (c.params.service) url.searchParams.set('service', c.params.service);
    url.searchParams.set('scope', c.params.scope ?? `repository:${repository}:pull`);
    let res: Response;
    try {
      res = await fetch(url, { headers: cred ? { authorization: `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}` } : {}, signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      throw new BpfcompatError('DOWNLOAD', `--artifact ${label}: cannot reach the token service ${url.origin} (${(err as Error).message})`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw authFailed(res.status);
    }
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new BpfcompatError('OCI_AUTH', `--artifact ${label}: the token service of ${host} returned no token`);
    return `Bearer ${token}`;
  }

  async function body(res: Response, max: number, what: string): Promise<Buffer> {
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > max) throw new BpfcompatError('FILE_TOO_LARGE', `${what}: ${declared} bytes is more than the ${max} allowed`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > max) throw new BpfcompatError('FILE_TOO_LARGE', `${what}: more than the ${max} bytes allowed`);
    return bytes;
  }

  async function manifest(reference: string, what: string): Promise<{ bytes: Buffer; mediaType: string | null; digest: string | null }> {
    const res = await request(`${base}/manifests/${reference}`, ACCEPT, what);
    if (res.status === 404) {
      await res.body?.cancel();
      throw new BpfcompatError('OCI_NOT_FOUND', `--artifact ${label}: ${what} not found in ${host}/${repository} (HTTP 404)`, { hint: 'check the tag or digest (skopeo list-tags shows the tags)' });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new BpfcompatError('DOWNLOAD', `--artifact ${label}: ${what}: HTTP ${res.status} from ${host}`);
    }
    return { bytes: await body(res, MAX_MANIFEST_BYTES, what), mediaType: res.headers.get('content-type')?.split(';')[0]?.trim() ?? null, digest: res.headers.get('docker-content-digest') };
  }

  return {
    label,
    async root(): Promise<RootManifest> {
      const reference = ref.digest ?? ref.tag ?? 'latest';
      const m = await manifest(reference, ref.digest ? `manifest ${ref.digest}` : `manifest '${reference}'`);
      // By digest: the bytes must be the ones named. By tag: the registry's digest header, when given, must match the bytes.
      if (ref.digest) verified(m.bytes, { digest: ref.digest }, `--artifact ${label}: manifest`);
      else if (m.digest) verified(m.bytes, { digest: m.digest }, `--artifact ${label}: manifest '${reference}'`);
      return { bytes: m.bytes, digest: ref.digest ?? digestOf(m.bytes), mediaType: m.mediaType };
    },
    async fetch(d: Descriptor, what: string): Promise<Buffer> {
      const isManifest = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].includes(d.mediaType as never);
      if (isManifest) return verified((await manifest(d.digest, what)).bytes, d, what);
      const res = await request(`${base}/blobs/${d.digest}`, null, what);
      if (res.status === 404) {
        await res.body?.cancel();
        throw new BpfcompatError('OCI_NOT_FOUND', `--artifact ${label}: ${what}: blob ${d.digest} not found in ${host}/${repository} (HTTP 404)`, { hint: 'the image is incomplete; push it again' });
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new BpfcompatError('DOWNLOAD', `--artifact ${label}: ${what}: HTTP ${res.status} from ${host}`);
      }
      return verified(await body(res, Math.min(MAX_BLOB_BYTES, d.size), what), d, what);
    },
  };
}
