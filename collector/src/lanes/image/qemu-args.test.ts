import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageBootArgs, imageDriveArgs, imageNetArgs, imageQemuArgs, overlayArgs } from './qemu-args.ts';
import { bootOf } from './lane.ts';

test('the network forwards only SSH, on 127.0.0.1, with restrict=on (no outbound network)', () => {
  const a = imageNetArgs(40022);
  assert.deepEqual(a, ['-netdev', 'user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22', '-device', 'virtio-net-pci,netdev=n0']);
  assert.throws(() => imageNetArgs(0), /TCP port/);
  assert.throws(() => imageNetArgs(70000), /TCP port/);
});

test('the overlay is the writable disk, the seed is read-only, commas in paths are escaped', () => {
  const a = imageDriveArgs('/w/a,b/overlay.qcow2', '/w/seed.iso');
  assert.equal(a[1], 'file=/w/a,,b/overlay.qcow2,format=qcow2,if=virtio,cache=unsafe');
  assert.equal(a[3], 'file=/w/seed.iso,format=raw,if=virtio,readonly=on');
});

test('a built image boots its own kernel; a bare disk boots by firmware', () => {
  assert.deepEqual(imageBootArgs({ kind: 'kernel', kernelPath: '/i/vmlinuz', initrdPath: '/i/initrd.img', cmdline: ['root=/dev/vda', 'rw'] }), ['-kernel', '/i/vmlinuz', '-initrd', '/i/initrd.img', '-append', 'root=/dev/vda rw']);
  assert.deepEqual(imageBootArgs({ kind: 'firmware' }), ['-boot', 'c']);
});

test('the whole command line: no default devices, -no-reboot, the console on stdio, TCG cpu', () => {
  const a = imageQemuArgs({ name: 'bpfcompat-image-x', accel: 'tcg', cpu: 'EPYC-Rome-v1', memoryMb: 1024, cpus: 1, boot: { kind: 'firmware' }, overlayPath: '/o.qcow2', seedPath: '/s.iso', sshPort: 2222, console: { kind: 'stdio' } });
  for (const flag of ['-nodefaults', '-no-user-config', '-no-reboot']) assert.ok(a.includes(flag), flag);
  assert.equal(a[a.indexOf('-accel') + 1], 'tcg');
  assert.equal(a[a.indexOf('-m') + 1], '1024');
  assert.equal(a[a.indexOf('-chardev') + 1], 'stdio,id=console,signal=off');
  assert.ok(!a.includes('-nic'), 'the lane needs its one forwarded NIC');
});

test('the overlay is qcow2 backed by the base in its own format', () => {
  assert.deepEqual(overlayArgs('/base.img', 'raw', '/run/overlay.qcow2'), ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', '/base.img', '/run/overlay.qcow2']);
});

test('a sidecar kernel boots with no_timer_check added once; no sidecar means firmware', () => {
  const sidecar = { kernel: { file: 'vmlinuz' }, initrd: { file: 'initrd.img' }, cmdline: ['root=/dev/vda', 'rw'] } as unknown as NonNullable<Parameters<typeof bootOf>[0]['sidecar']>;
  assert.deepEqual(bootOf({ sidecar, sidecarDir: '/i' }), { kind: 'kernel', kernelPath: '/i/vmlinuz', initrdPath: '/i/initrd.img', cmdline: ['root=/dev/vda', 'rw', 'no_timer_check'] });
  const already = { ...sidecar, cmdline: ['root=/dev/vda', 'no_timer_check'] };
  assert.deepEqual((bootOf({ sidecar: already, sidecarDir: '/i' }) as { cmdline: string[] }).cmdline, ['root=/dev/vda', 'no_timer_check']);
  assert.deepEqual(bootOf({ sidecar: null, sidecarDir: null }), { kind: 'firmware' });
});
