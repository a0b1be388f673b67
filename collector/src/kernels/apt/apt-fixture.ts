import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { execa } from 'execa';

// TEST SUPPORT ONLY (used by apt/*.test.ts and dnf/*.test.ts): real signing keys made with gpg, real .debs
// made with dpkg-deb, a real apt repository indexed by apt-ftparchive and clearsigned with gpg, and a static
// HTTP server on 127.0.0.1 that serves such trees. Every tool gets an argument array.

export interface TestKey {
  /** gpg home holding the secret key. */
  home: string;
  /** The public key as a binary keyring (.gpg) and armored (.asc). */
  gpgFile: string;
  ascFile: string;
  fingerprint: string;
  uid: string;
}

/** A fresh RSA signing key in its own gpg home. */
export async function makeTestKey(dir: string, name: string): Promise<TestKey> {
  const home = join(dir, `gnupg-${name}`);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const uid = `bpfcompat test ${name} <${name}@test.invalid>`;
  const g = ['--homedir', home, '--batch', '--no-tty', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', ''];
  await execa('gpg', [...g, '--quick-gen-key', uid, 'rsa2048', 'sign', 'never'], { stdin: 'ignore' });
  const cols = String((await execa('gpg', [...g, '--with-colons', '--list-keys', uid], { stdin: 'ignore' })).stdout);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(cols)![1]!;
  const gpgFile = join(dir, `${name}.gpg`);
  const ascFile = join(dir, `${name}.asc`);
  await execa('gpg', [...g, '--output', gpgFile, '--export', fingerprint], { stdin: 'ignore' });
  await execa('gpg', [...g, '--armor', '--output', ascFile, '--export', fingerprint], { stdin: 'ignore' });
  return { home, gpgFile, ascFile, fingerprint, uid };
}

export interface DebFile {
  /** Path inside the package, e.g. boot/vmlinuz-6.1.0-50-cloud-amd64. */
  path: string;
  from?: string;
  content?: string | Buffer;
}

/** A real .deb built with dpkg-deb (no compression: the tests' packages hold already-compressed files). */
export async function buildDeb(o: { name: string; version: string; depends?: string; files: DebFile[]; outDir: string }): Promise<string> {
  const stage = join(o.outDir, 'stage', `${o.name}_${o.version}`);
  await mkdir(join(stage, 'DEBIAN'), { recursive: true });
  for (const f of o.files) {
    const dest = join(stage, f.path);
    await mkdir(dirname(dest), { recursive: true });
    if (f.from !== undefined) await cp(f.from, dest, { recursive: true });
    else await writeFile(dest, f.content ?? '');
  }
  await writeFile(join(stage, 'DEBIAN', 'control'), [
    `Package: ${o.name}`,
    `Version: ${o.version}`,
    'Architecture: amd64',
    'Maintainer: bpfcompat tests <tests@test.invalid>',
    ...(o.depends ? [`Depends: ${o.depends}`] : []),
    'Section: kernel',
    'Priority: optional',
    `Description: ${o.name} for bpfcompat's tests`,
    '',
  ].join('\n'));
  const out = join(o.outDir, `${o.name}_${o.version}_amd64.deb`);
  await execa('dpkg-deb', ['--root-owner-group', '-Znone', '--build', stage, out], { stdin: 'ignore' });
  return out;
}

/**
 * An apt repository at `root`: the debs copied into pool/main/, dists/<suite>/main/binary-amd64/Packages(.xz)
 * by apt-ftparchive, Release by apt-ftparchive, InRelease clearsigned by `key`.
 */
export async function buildAptRepo(o: { root: string; suite: string; debs: string[]; key: TestKey; byHash?: boolean }): Promise<void> {
  const pool = join(o.root, 'pool', 'main');
  await mkdir(pool, { recursive: true });
  for (const d of o.debs) await cp(d, join(pool, d.split('/').pop()!));
  const bin = join(o.root, 'dists', o.suite, 'main', 'binary-amd64');
  await mkdir(bin, { recursive: true });
  const packages = String((await execa('apt-ftparchive', ['packages', 'pool/main'], { cwd: o.root, stdin: 'ignore' })).stdout) + '\n';
  await writeFile(join(bin, 'Packages'), packages);
  await execa('xz', ['-k', '-f', join(bin, 'Packages')], { stdin: 'ignore' });
  if (o.byHash) {
    // as Debian's archive publishes them: every index also under by-hash/SHA256/<its sha256>
    const byHash = join(bin, 'by-hash', 'SHA256');
    await mkdir(byHash, { recursive: true });
    for (const f of ['Packages', 'Packages.xz']) await cp(join(bin, f), join(byHash, createHash('sha256').update(await readFile(join(bin, f))).digest('hex')));
  }
  await signRelease(o.root, o.suite, o.key, o.byHash);
}

/** (Re)writes Release and InRelease of a suite from what is under dists/<suite>/ now. */
export async function signRelease(root: string, suite: string, key: TestKey, byHash = false): Promise<void> {
  const dist = join(root, 'dists', suite);
  const release = (byHash ? 'Acquire-By-Hash: yes\n' : '') + String((await execa('apt-ftparchive', [
    '-o', `APT::FTPArchive::Release::Suite=${suite}`, '-o', `APT::FTPArchive::Release::Codename=${suite}`,
    '-o', 'APT::FTPArchive::Release::Components=main', '-o', 'APT::FTPArchive::Release::Architectures=amd64', 'release', '.',
  ], { cwd: dist, stdin: 'ignore' })).stdout) + '\n';
  await writeFile(join(dist, 'Release'), release);
  await execa('gpg', ['--homedir', key.home, '--batch', '--no-tty', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', '--yes',
    '--local-user', key.fingerprint, '--digest-algo', 'SHA256', '--clearsign', '--output', join(dist, 'InRelease'), join(dist, 'Release')], { stdin: 'ignore' });
}

/** Serves `roots` (URL prefix → directory) on 127.0.0.1; returns the base URL and the server. */
export async function serveTrees(roots: Record<string, string>): Promise<{ base: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const [, prefix, ...rest] = path.split('/');
    const root = roots[prefix ?? ''];
    const rel = normalize(rest.join('/'));
    if (!root || rel.startsWith('..')) {
      res.writeHead(404).end();
      return;
    }
    const file = join(root, rel);
    stat(file).then((st) => {
      if (!st.isFile()) throw new Error('not a file');
      res.writeHead(200, { 'content-length': st.size });
      createReadStream(file).pipe(res);
    }).catch(() => res.writeHead(404).end());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address() as { port: number };
  return { base: `http://127.0.0.1:${addr.port}`, server, requests };
}

/** A directory's entries, none when it does not exist. */
export const dirEntries = async (p: string): Promise<string[]> => readdir(p).catch(() => [] as string[]);
/** Kernel cache entries and the repository's resolutions in a private cache: both must stay empty after a refusal. */
export async function cachedKernels(cache: string, source: 'apt' | 'dnf'): Promise<string[]> {
  return [...(await dirEntries(join(cache, 'kernels'))).filter((e) => /^[0-9a-f]{64}$/.test(e)), ...(await dirEntries(join(cache, source, 'resolutions')))];
}
