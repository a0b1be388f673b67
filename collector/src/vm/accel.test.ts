import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResolvedKernel } from '../kernels/types.ts';
import { detectAccel, nativeArch } from './accel.ts';

// The real KVM probe boots a kernel and is covered end to end; these cover the decisions around it.

const kernel: ResolvedKernel = { release: 'x', arch: 'x86_64', imagePath: '/nonexistent', imageSha256: '', modulesDir: null, configPath: null, origin: { kind: 'file', image: '' } };

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-accel-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('BPFCOMPAT_ACCEL forces the accelerator; other values are a usage error', async () => {
  assert.deepEqual(await detectAccel(kernel, { env: { BPFCOMPAT_ACCEL: 'tcg' } }), { accel: 'tcg', reason: 'forced by BPFCOMPAT_ACCEL=tcg' });
  assert.equal((await detectAccel(kernel, { env: { BPFCOMPAT_ACCEL: 'kvm' } })).accel, 'kvm');
  await assert.rejects(detectAccel(kernel, { env: { BPFCOMPAT_ACCEL: 'hvf' } }), /BPFCOMPAT_ACCEL=hvf is not kvm or tcg/);
});

test('no usable /dev/kvm means TCG without probing', () =>
  withTmp(async (dir) => {
    const v = await detectAccel(kernel, { env: {}, kvmDevice: join(dir, 'kvm'), cacheDir: dir });
    assert.equal(v.accel, 'tcg');
    assert.match(v.reason, /missing or not accessible/);
  }));

test('a fresh cached verdict for this host and QEMU is reused; a stale one is not', () =>
  withTmp(async (dir) => {
    const device = join(dir, 'kvm');
    await writeFile(device, '');
    const qemu = (await execa('qemu-system-x86_64', ['--version'])).stdout.split('\n')[0];
    const now = 1_000_000_000_000;
    await writeFile(join(dir, 'accel.json'), JSON.stringify({ host_kernel: release(), qemu_version: qemu, accel: 'kvm', reason: 'probe ok', checked_at: now - 1000 }));
    assert.deepEqual(await detectAccel(kernel, { env: {}, kvmDevice: device, cacheDir: dir, now: () => now }), { accel: 'kvm', reason: 'probe ok (cached)' });

    // 25 hours later the cache is stale: the probe runs, and with no bootable kernel it fails → tcg, cached anew.
    const later = now + 25 * 3600 * 1000;
    const v = await detectAccel(kernel, { env: {}, kvmDevice: device, cacheDir: dir, now: () => later });
    assert.equal(v.accel, 'tcg');
    assert.match(v.reason, /KVM probe boot failed/);
    const stored = JSON.parse(await readFile(join(dir, 'accel.json'), 'utf8'));
    assert.deepEqual([stored.accel, stored.checked_at], ['tcg', later]);
  }));

test('a guest CPU other than the host\'s is emulated without a probe, even when KVM is forced', async () => {
  const arm = { ...kernel, arch: 'arm64' as const };
  const v = await detectAccel(arm, { env: { BPFCOMPAT_ACCEL: 'kvm' }, hostArch: 'x64' });
  assert.deepEqual(v, { accel: 'tcg', reason: 'arm64 guest on a x86_64 host: emulated (TCG)' });
  assert.equal((await detectAccel(kernel, { env: {}, hostArch: 'arm64', kvmDevice: '/nonexistent' })).reason, 'x86_64 guest on a arm64 host: emulated (TCG)');
  // On an arm64 host, an arm64 guest goes through the normal decision (here: forced).
  assert.equal((await detectAccel(arm, { env: { BPFCOMPAT_ACCEL: 'kvm' }, hostArch: 'arm64' })).accel, 'kvm');
});

test('nativeArch maps Node\'s CPU names to guest CPUs', () => {
  assert.equal(nativeArch('x64'), 'x86_64');
  assert.equal(nativeArch('arm64'), 'arm64');
  assert.equal(nativeArch('riscv64'), null);
});
