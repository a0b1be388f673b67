import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageSource } from '../../config/image-source.ts';
import { sha256File } from '../../../../history/vocabulary/hash.ts';
import { baseImageSha256, locateBaseImage } from './base-image.ts';

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-baseimg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a bare disk boots by firmware, its format sniffed from the qcow2 magic', async (t) => {
  const dir = await scratch(t);
  await writeFile(join(dir, 'raw.img'), Buffer.alloc(4096));
  await writeFile(join(dir, 'q.qcow2'), Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(100)]));
  const raw = await locateBaseImage(ImageSource.parse({ path: join(dir, 'raw.img') }), dir);
  assert.equal(raw.format, 'raw');
  assert.equal(raw.sidecar, null);
  assert.equal((await locateBaseImage(ImageSource.parse({ path: join(dir, 'q.qcow2') }), dir)).format, 'qcow2');
  assert.equal((await locateBaseImage(ImageSource.parse({ path: join(dir, 'q.qcow2'), format: 'raw' }), dir)).format, 'raw', 'image.format wins');
});

test('image.sha256 is checked: a mismatch is an INTEGRITY error naming both digests', async (t) => {
  const dir = await scratch(t);
  const p = join(dir, 'raw.img');
  await writeFile(p, 'disk bytes');
  const real = await sha256File(p);
  const ok = ImageSource.parse({ path: p, sha256: real });
  assert.equal(await baseImageSha256(await locateBaseImage(ok, dir), ok, dir), real);
  const bad = ImageSource.parse({ path: p, sha256: '0'.repeat(64) });
  await assert.rejects(baseImageSha256(await locateBaseImage(bad, dir), bad, dir), (e: Error & { code?: string }) => e.code === 'INTEGRITY' && e.message.includes(real));
});

test('a built image is found by name with its sidecar; a missing one says how to build it', async (t) => {
  const dir = await scratch(t);
  await assert.rejects(locateBaseImage(ImageSource.parse({ name: 'debian-12' }), dir), /images build debian-12/);
  const img = join(dir, 'images', 'debian-12');
  await mkdir(img, { recursive: true });
  await writeFile(join(img, 'disk.qcow2'), 'x');
  const sidecar = { schema: 1, name: 'debian-12', disk: { file: 'disk.qcow2', format: 'qcow2', sha256: 'a'.repeat(64) }, kernel: { file: 'vmlinuz', sha256: 'b'.repeat(64), release: '6.1.0-50-cloud-amd64' }, initrd: { file: 'initrd.img', sha256: 'c'.repeat(64) }, cmdline: ['root=/dev/vda'], arch: 'x86_64', suite: 'bookworm', packages: [], built_at: 'now', build_ms: 1 };
  await writeFile(join(img, 'image.json'), JSON.stringify(sidecar));
  const src = ImageSource.parse({ name: 'debian-12' });
  const base = await locateBaseImage(src, dir);
  assert.equal(base.label, 'image:debian-12');
  assert.equal(base.diskPath, join(img, 'disk.qcow2'));
  assert.equal(await baseImageSha256(base, src, dir), 'a'.repeat(64), "a built image's identity is its recorded sha256");
  // The same disk named by path also boots its kernel (image.json beside it), but is hashed for real.
  const byPath = await locateBaseImage(ImageSource.parse({ path: join(img, 'disk.qcow2') }), dir);
  assert.equal(byPath.sidecar?.kernel.release, '6.1.0-50-cloud-amd64');
});

test('a missing image.path is a one-line error naming the field', async (t) => {
  const dir = await scratch(t);
  await assert.rejects(locateBaseImage(ImageSource.parse({ path: join(dir, 'nope.qcow2') }), dir), /image\.path .*nope\.qcow2: cannot read it \(ENOENT\)/);
});
