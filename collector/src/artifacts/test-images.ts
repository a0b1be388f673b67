// Test support: builds bpfman and Inspektor Gadget images as OCI layouts byte by byte, and runs a real registry
// (Debian's docker-registry, `registry serve`) on loopback. Used by the artifacts tests only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';
import { MEDIA } from './model.ts';

export function tarOf(files: Array<{ name: string; data: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(f.data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    parts.push(h, f.data, Buffer.alloc((512 - (f.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface Blob {
  mediaType: string;
  bytes: Buffer;
  annotations?: Record<string, string>;
}

export interface PlatformImage {
  arch: 'amd64' | 'arm64';
  config: Blob;
  layers: Blob[];
}

const desc = (b: Blob) => ({ mediaType: b.mediaType, digest: `sha256:${sha256Hex(b.bytes)}`, size: b.bytes.length, ...(b.annotations ? { annotations: b.annotations } : {}) });

/** Writes an OCI layout holding one image (or an index of several platforms) under `tag`; returns the root digest. */
export function writeLayout(dir: string, tag: string, images: PlatformImage[], asIndex = images.length > 1): string {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes: Buffer) => {
    const hex = sha256Hex(bytes);
    writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes);
    return `sha256:${hex}`;
  };
  const manifests = images.map((img) => {
    put(img.config.bytes);
    for (const l of img.layers) put(l.bytes);
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: desc(img.config), layers: img.layers.map(desc) }));
    return { mediaType: MEDIA.ociManifest, digest: put(bytes), size: bytes.length, platform: { architecture: img.arch, os: 'linux' } };
  });
  let root;
  if (asIndex) {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }));
    root = { mediaType: MEDIA.ociIndex, digest: put(bytes), size: bytes.length };
  } else {
    const { platform: _p, ...m } = manifests[0]!;
    root = m;
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...root, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
  return root.digest;
}

/** bpfman's bytecode image: an image config with io.ebpf.* labels, one gzipped tar layer holding the objects. */
export function bpfmanImage(arch: 'amd64' | 'arm64', objects: Array<{ name: string; data: Buffer }>, programs: Record<string, string>): PlatformImage {
  const layer = gzipSync(tarOf(objects));
  const diffId = `sha256:${sha256Hex(tarOf(objects))}`;
  const config = {
    architecture: arch, os: 'linux',
    config: { Labels: { 'io.ebpf.programs': JSON.stringify(programs), 'io.ebpf.maps': '{}' } },
    rootfs: { type: 'layers', diff_ids: [diffId] },
  };
  return { arch, config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: Buffer.from(JSON.stringify(config)) }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', bytes: layer }] };
}

/** An Inspektor Gadget image: gadget metadata as the config, the ELF itself as the ebpf layer. */
export function gadgetImage(arch: 'amd64' | 'arm64', object: Buffer, name = 'trace-demo'): PlatformImage {
  return {
    arch,
    config: { mediaType: MEDIA.gadgetConfig, bytes: Buffer.from(`name: ${name}\ndescription: a test gadget\n`) },
    layers: [{ mediaType: MEDIA.gadgetProgram, bytes: object }],
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Registry {
  host: string;
  stop(): Promise<void>;
}

/** Debian's docker-registry on 127.0.0.1 (plain HTTP), optionally with htpasswd auth for one user. */
export async function startRegistry(dir: string, auth?: { user: string; password: string }, token?: TokenService): Promise<Registry> {
  const port = await freePort();
  mkdirSync(join(dir, 'storage'), { recursive: true });
  let authConf = '';
  if (token) authConf = `auth:\n  token:\n    realm: ${token.realm}\n    service: ${token.service}\n    issuer: ${token.issuer}\n    rootcertbundle: ${token.certPath}\n`;
  else if (auth) {
    writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', auth.user, auth.password]));
    authConf = `auth:\n  htpasswd:\n    realm: bpfcompat-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authConf}`);
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    const ok = await fetch(`http://${host}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** skopeo copy from a layout to the registry (every platform of an index). */
export function pushLayout(layoutDir: string, tag: string, dest: string, creds?: { user: string; password: string }): void {
  execFileSync('skopeo', ['copy', '--all', '--quiet', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', `${creds.user}:${creds.password}`] : []), '--preserve-digests', `oci:${layoutDir}:${tag}`, `docker://${dest}`], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface TokenService {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** The query of every token request, and whether it carried credentials. */
  requests: Array<{ scope: string | null; service: string | null; authorized: boolean }>;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * A token service as Docker Hub and GHCR run one: anonymous pulls get a bearer token (an ES256 JWT whose x5c chain
 * the registry checks against its root bundle) granting pull on the scope asked for.
 */
export async function startTokenService(dir: string): Promise<TokenService> {
  mkdirSync(dir, { recursive: true });
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=bpfcompat-test-token'], { stdio: 'ignore' });
  const key = createPrivateKey(readFileSync(keyPath));
  const der = new X509Certificate(readFileSync(certPath)).raw;
  const service = 'bpfcompat-test-registry';
  const issuer = 'bpfcompat-test-issuer';
  const requests: TokenService['requests'] = [];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scope = url.searchParams.get('scope');
    requests.push({ scope, service: url.searchParams.get('service'), authorized: req.headers.authorization !== undefined });
    const [, name, actions] = /^repository:([^:]+):(.+)$/.exec(scope ?? '') ?? [];
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: issuer, sub: '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access: name ? [{ type: 'repository', name, actions: actions!.split(',').filter((a) => a === 'pull') }] : [] };
    const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(signing), { key, dsaEncoding: 'ieee-p1363' });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token: `${signing}.${b64url(sig)}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { realm: `http://127.0.0.1:${port}/token`, service, issuer, certPath, requests, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
