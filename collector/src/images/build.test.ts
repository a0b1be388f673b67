import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECIPES, rootfsFiles } from './recipes.ts';
import { mmdebstrapArgs } from './build.ts';

test('debian-12 is built from bookworm with sshd, cloud-init and the cloud kernel, Valid-Until relaxed but signatures kept', () => {
  const r = RECIPES['debian-12']!;
  const a = mmdebstrapArgs(r, '/tmp/root');
  assert.deepEqual(a.slice(-3), ['bookworm', '/tmp/root', 'http://deb.debian.org/debian']);
  const include = a.find((x) => x.startsWith('--include='))!;
  for (const p of ['openssh-server', 'cloud-init', 'linux-image-cloud-amd64', 'systemd-sysv']) assert.ok(include.includes(p), p);
  assert.ok(a.includes('--aptopt=Acquire::Check-Valid-Until "false"'));
  assert.ok(!a.some((x) => /AllowInsecure|allow-insecure|trusted=yes/i.test(x)), 'never skip signature checks');
  assert.ok(r.cmdline.includes('root=/dev/vda'));
});

test('the rootfs asks only the NoCloud seed and starts sshd after cloud-init wrote the pinned key', () => {
  const f = rootfsFiles();
  assert.match(f['/etc/cloud/cloud.cfg.d/90-bpfcompat.cfg']!, /datasource_list: \[ NoCloud, None \]/);
  assert.match(f['/etc/systemd/system/ssh.service.d/10-after-cloud-init.conf']!, /After=cloud-init\.service/);
  assert.match(f['/etc/fstab']!, /^\/dev\/vda \/ ext4/);
});
