// kernel.rpm: real .rpms built here with rpmbuild (tiny fake images), unpacked into a temporary cache.
// Covers the Fedora, Fedora 40+ (/usr/lib/modules) and RHEL 7 (/boot) layouts, module packages,
// resolution reuse, and every refusal (unpinned URL, wrong pin, not an rpm, no image, foreign modules).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Profile } from '../config/matrix.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256File, sha256Hex } from '../../../history/vocabulary/hash.ts';
import { buildRpm, xz } from './rpm-fixture.ts';
import { listCachedKernels, resolveKernel } from './resolve.ts';
import { isRpmFile } from './rpm-extract.ts';

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-rpm-'));
after(() => rm(dir, { recursive: true, force: true }));
let n = 0;
const freshCache = () => join(dir, `cache-${n++}`);

const profile = (rpm: unknown) => Profile.parse({ id: 'fedora', kernel: { rpm } });

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof BpfcompatError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

const REL = '6.9.5-200.fc40.x86_64';
const core = await buildRpm({
  name: 'kernel-core',
  outDir: dir,
  payload: 'w3.zstdio',
  files: [
    { path: `/lib/modules/${REL}/vmlinuz`, content: 'FEDORA IMAGE' },
    { path: `/lib/modules/${REL}/config`, content: 'CONFIG_BPF=y\n' },
    { path: `/lib/modules/${REL}/System.map`, content: '' },
    { path: `/lib/modules/${REL}/.vmlinuz.hmac`, content: 'x' },
    { path: `/lib/modules/${REL}/modules.order`, content: 'kernel/net/sched/cls_bpf.ko.xz\n' },
  ],
});
const mods = await buildRpm({
  name: 'kernel-modules-core',
  outDir: dir,
  payload: 'w2.xzdio',
  files: [{ path: `/lib/modules/${REL}/kernel/net/sched/cls_bpf.ko.xz`, content: await xz('not really a module') }],
});

test('rpm files are told from other files by their lead magic', async () => {
  assert.equal(await isRpmFile(core), true);
  const deb = join(dir, 'x.deb');
  await writeFile(deb, '!<arch>\ndebian-binary');
  assert.equal(await isRpmFile(deb), false);
});

test('Fedora layout: kernel-core + kernel-modules-core by path', async () => {
  const cacheDir = freshCache();
  const k = await resolveKernel(profile({ package: core, modules: [{ package: mods }] }), { cacheDir });
  assert.equal(k.release, REL);
  assert.equal(k.arch, 'x86_64');
  assert.equal(k.imageSha256, sha256Hex('FEDORA IMAGE'));
  assert.equal(await readFile(k.imagePath, 'utf8'), 'FEDORA IMAGE');
  assert.equal(await readFile(k.configPath!, 'utf8'), 'CONFIG_BPF=y\n');
  assert.ok((await stat(join(k.modulesDir!, 'kernel/net/sched/cls_bpf.ko.xz'))).isFile(), 'modules from the second rpm');
  assert.ok((await stat(join(k.modulesDir!, 'modules.dep'))).isFile(), 'depmod ran (modules.dep is a %ghost in Fedora)');
  assert.deepEqual(k.origin, {
    kind: 'rpm',
    package: core,
    rpm_sha256: await sha256File(core),
    extra_packages: [{ package: mods, rpm_sha256: await sha256File(mods) }],
  });
  const listed = await listCachedKernels(cacheDir);
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.origin.kind, 'rpm', 'kernels list shows the rpm origin');
});

test('a resolved set of rpms is reused: a pinned URL of the same rpm is not downloaded', async () => {
  const cacheDir = freshCache();
  const first = await resolveKernel(profile({ package: core }), { cacheDir });
  // Port 9 on loopback refuses connections: a download attempt would fail the test.
  const again = await resolveKernel(profile({ package: 'http://127.0.0.1:9/kernel-core.rpm', sha256: await sha256File(core) }), { cacheDir });
  assert.equal(again.imageSha256, first.imageSha256);
  assert.equal(again.origin.kind, 'rpm');
  assert.equal((again.origin as { package: string }).package, 'http://127.0.0.1:9/kernel-core.rpm');
});

test('usr/lib/modules (Fedora 40+) and boot/vmlinuz-* (RHEL 7) layouts', async () => {
  const usr = await buildRpm({ name: 'kernel-usr', outDir: dir, files: [{ path: '/usr/lib/modules/6.10.0-1.fc41.x86_64/vmlinuz', content: 'USR' }, { path: '/usr/lib/modules/6.10.0-1.fc41.x86_64/kernel/a.ko', content: 'a' }] });
  const k1 = await resolveKernel(profile({ package: usr }), { cacheDir: freshCache() });
  assert.equal(k1.release, '6.10.0-1.fc41.x86_64');
  assert.ok(k1.modulesDir);
  assert.equal(k1.configPath, null);

  const el7 = await buildRpm({
    name: 'kernel-el7',
    outDir: dir,
    payload: 'w2.xzdio',
    files: [
      { path: '/boot/vmlinuz-3.10.0-1160.el7.x86_64', content: 'EL7' },
      { path: '/boot/.vmlinuz-3.10.0-1160.el7.x86_64.hmac', content: 'x' },
      { path: '/boot/config-3.10.0-1160.el7.x86_64', content: 'CONFIG_BPF=y\n' },
      { path: '/lib/modules/3.10.0-1160.el7.x86_64/kernel/b.ko.xz', content: await xz('b') },
    ],
  });
  const k2 = await resolveKernel(profile({ package: el7 }), { cacheDir: freshCache() });
  assert.equal(k2.release, '3.10.0-1160.el7.x86_64');
  assert.equal(await readFile(k2.imagePath, 'utf8'), 'EL7');
  assert.ok(k2.configPath);
  assert.ok((await stat(join(k2.modulesDir!, 'kernel/b.ko.xz'))).isFile());
});

test('a URL without sha256 is refused before any download', async () => {
  await rejects(resolveKernel(profile({ package: 'https://example.org/kernel-core.rpm' }), { cacheDir: freshCache() }), 'CONFIG_INVALID', /kernel\.rpm\.package https:\/\/example\.org\/kernel-core\.rpm is a URL without sha256/);
  await rejects(
    resolveKernel(profile({ package: core, modules: [{ package: 'http://example.org/m.rpm' }] }), { cacheDir: freshCache() }),
    'CONFIG_INVALID',
    /kernel\.rpm\.modules\[0\]\.package http:\/\/example\.org\/m\.rpm is a URL without sha256/,
  );
});

test('a wrong sha256 is refused, for a path and for a download', async () => {
  const wrong = 'a'.repeat(64);
  await rejects(resolveKernel(profile({ package: core, sha256: wrong }), { cacheDir: freshCache() }), 'INTEGRITY', /has sha256 [0-9a-f]{64}, the pin says a{64}/);
  const body = await readFile(core);
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const cacheDir = freshCache();
    await rejects(resolveKernel(profile({ package: `http://127.0.0.1:${port}/kernel-core.rpm`, sha256: wrong }), { cacheDir }), 'INTEGRITY', /kernel-core\.rpm: sha256 [0-9a-f]{64} does not match the expected a{64}/);
    // The right pin downloads and resolves.
    const k = await resolveKernel(profile({ package: `http://127.0.0.1:${port}/kernel-core.rpm`, sha256: await sha256File(core) }), { cacheDir });
    assert.equal(k.release, REL);
  } finally {
    server.close();
  }
});

test('offline: a pinned URL that was never resolved is an error', async () => {
  await rejects(resolveKernel(profile({ package: 'http://127.0.0.1:9/k.rpm', sha256: 'b'.repeat(64) }), { cacheDir: freshCache(), offline: true }), 'KERNEL_RESOLVE', /offline: http:\/\/127\.0\.0\.1:9\/k\.rpm for profile fedora is not in the cache/);
});

test('a file that is not an rpm, a missing file, an rpm without an image, and foreign modules are refused', async () => {
  const tgz = join(dir, 'kernel.tar.gz');
  await writeFile(tgz, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
  await rejects(resolveKernel(profile({ package: tgz }), { cacheDir: freshCache() }), 'KERNEL_RESOLVE', /kernel\.rpm\.package .*kernel\.tar\.gz: not an \.rpm file/);
  await rejects(resolveKernel(profile({ package: join(dir, 'nope.rpm') }), { cacheDir: freshCache() }), 'FILE_NOT_FOUND', /kernel\.rpm\.package .*nope\.rpm does not exist/);
  const headers = await buildRpm({ name: 'kernel-headers', outDir: dir, files: [{ path: '/usr/include/linux/bpf.h', content: '' }] });
  await rejects(resolveKernel(profile({ package: headers }), { cacheDir: freshCache() }), 'KERNEL_RESOLVE', /kernel-headers-1\.0-1\.x86_64\.rpm: no kernel image/);
  const other = await buildRpm({ name: 'kernel-modules-other', outDir: dir, files: [{ path: '/lib/modules/5.14.0-1.el9.x86_64/kernel/c.ko', content: 'c' }] });
  await rejects(resolveKernel(profile({ package: core, modules: [{ package: other }] }), { cacheDir: freshCache() }), 'KERNEL_RESOLVE', /kernel\.rpm\.modules hold no lib\/modules\/6\.9\.5-200\.fc40\.x86_64\/kernel/);
});
