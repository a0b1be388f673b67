import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { Profile } from '../config/matrix.ts';
import { sha256File } from '../../../history/vocabulary/hash.ts';
import { readBzImageRelease } from './bzimage.ts';
import { listCachedKernels, resolveKernel } from './resolve.ts';
import type { ResolvedKernel } from './types.ts';

// Resolves real kernels from deb.debian.org through the signed chain. Set BPFCOMPAT_CACHE_DIR to a
// shared cache to avoid downloading again; otherwise a temp cache is used and removed.
const shared = process.env.BPFCOMPAT_CACHE_DIR;
const cacheDir = shared ?? (await mkdtemp(join(tmpdir(), 'bpfcompat-kernels-e2e-')));
after(async () => {
  if (!shared) await rm(cacheDir, { recursive: true, force: true });
});

const debian = (id: string, suite: string, extra: Record<string, unknown> = {}) =>
  Profile.parse({ id, kernel: { debian: { suite, flavour: 'cloud-amd64', ...extra } } });

async function checkKernel(k: ResolvedKernel, release: RegExp): Promise<void> {
  assert.match(k.release, release);
  assert.equal(await sha256File(k.imagePath), k.imageSha256);
  assert.equal(await readBzImageRelease(k.imagePath), k.release, 'bzImage header names the same release');
  assert.ok(k.modulesDir);
  assert.ok((await stat(join(k.modulesDir, 'modules.dep'))).size > 0, 'modules.dep exists');
  assert.ok((await stat(join(k.modulesDir, 'kernel'))).isDirectory());
  assert.ok(k.configPath);
  assert.match(await readFile(k.configPath, 'utf8'), /^CONFIG_BPF_SYSCALL=y$/m);
}

test('bookworm cloud-amd64 (layout A): image, config and modules with modules.dep', async () => {
  const k = await resolveKernel(debian('debian-12', 'bookworm'), { cacheDir });
  await checkKernel(k, /^6\.1\.0-\d+-cloud-amd64$/);
  assert.equal(k.origin.kind, 'debian');
  if (k.origin.kind === 'debian') assert.match(k.origin.package, /^linux-image-6\.1\.0-\d+-cloud-amd64$/);
});

test('sid cloud-amd64 (layout B): linux-binary + linux-modules + linux-base', async () => {
  const k = await resolveKernel(debian('debian-sid', 'sid'), { cacheDir });
  await checkKernel(k, /^\d+\.\d+\.\d+\+deb\d+-cloud-amd64$/);
  assert.ok(k.origin.kind === 'debian' && k.origin.package.startsWith('linux-binary-'));
  assert.ok(k.origin.kind === 'debian' && k.origin.extra_packages.some((p) => p.package.startsWith('linux-modules-')));
});

test('a re-resolve and an offline resolve give the same cached kernel; the cache lists it', async () => {
  const first = await resolveKernel(debian('debian-12', 'bookworm'), { cacheDir });
  const progress: string[] = [];
  const again = await resolveKernel(debian('debian-12', 'bookworm'), { cacheDir, onProgress: (m) => progress.push(m) });
  const offline = await resolveKernel(debian('debian-12', 'bookworm'), { cacheDir, offline: true });
  assert.deepEqual(again, first);
  assert.deepEqual(offline, first);
  assert.deepEqual(progress, [], 'nothing downloaded or unpacked the second time');
  const listed = await listCachedKernels(cacheDir);
  const entry = listed.find((k) => k.imageSha256 === first.imageSha256);
  assert.ok(entry && entry.sizeBytes > 10_000_000);
});

test('a sha256 pin that does not match the signed index fails closed', async () => {
  await assert.rejects(resolveKernel(debian('pinned', 'bookworm', { sha256: '0'.repeat(64) }), { cacheDir }), (e) =>
    e instanceof BpfcompatError && e.code === 'INTEGRITY' && e.message.includes('kernel.debian.sha256'));
});

test('an unknown flavour is a KERNEL_RESOLVE error naming profile, field, package and suites', async () => {
  await assert.rejects(resolveKernel(Profile.parse({ id: 'debian-12', kernel: { debian: { suite: 'bookworm', flavour: 'no-such-flavour' } } }), { cacheDir }), (e) =>
    e instanceof BpfcompatError && e.code === 'KERNEL_RESOLVE' && e.message === 'profile debian-12: kernel.debian.flavour: no package linux-image-no-such-flavour in http://deb.debian.org/debian bookworm, bookworm-updates, bookworm-security main (amd64)');
});

test('deb source (pinned URL) and file source (bzImage, release from its header) reach the same image', async () => {
  const k = await resolveKernel(debian('debian-12', 'bookworm'), { cacheDir });
  assert.ok(k.origin.kind === 'debian');
  const viaDeb = await resolveKernel(Profile.parse({ id: 'deb-12', kernel: { deb: { package: k.origin.url, sha256: k.origin.deb_sha256 } } }), { cacheDir });
  assert.equal(viaDeb.imageSha256, k.imageSha256);
  assert.equal(viaDeb.release, k.release);
  const viaFile = await resolveKernel(Profile.parse({ id: 'file-12', kernel: { file: { image: k.imagePath } } }), { cacheDir });
  assert.equal(viaFile.release, k.release);
  assert.equal(viaFile.imageSha256, k.imageSha256);
  assert.equal(viaFile.modulesDir, null);
});

test('offline with an empty cache says what to do', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'bpfcompat-kernels-empty-'));
  try {
    await assert.rejects(resolveKernel(debian('debian-13', 'trixie'), { cacheDir: empty, offline: true }), (e) =>
      e instanceof BpfcompatError && e.code === 'KERNEL_RESOLVE' && /without --offline/.test(e.hint ?? ''));
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
