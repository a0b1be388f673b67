// `bpfcompat probe` on this machine itself: the real host probe binary against the running kernel, as root and as
// an unprivileged user (who gets "unknown", never a crash), and the file reads (config, image identity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';
import { HostProfile } from './host-profile.ts';
import { probeHost } from './probe-host.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-probe-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('probe describes this machine: release, arch, BTF, config and the feature probes as root', async () => {
  assert.equal(process.getuid?.(), 0, 'the feature probes need root: run this test as root');
  const out = join(dir, 'host.json');
  const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'probe', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^kernel ${release().replace(/[.+]/g, '\\$&')} `));
  const p = HostProfile.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.equal(p.kernel.release, release());
  assert.equal(p.kernel.arch, process.arch === 'x64' ? 'x86_64' : 'aarch64');
  assert.equal(p.bpf_access, 'granted');
  assert.equal(p.probe.uid, 0);
  assert.ok(p.map_types !== 'unknown' && p.program_types !== 'unknown' && p.helpers !== 'unknown');
  // Every kernel that runs BPF at all has these; a kernel where the probe missed them would be misdescribed.
  assert.equal(p.map_types.array, 'supported');
  assert.equal(p.map_types.hash, 'supported');
  assert.equal(p.program_types.kprobe, 'supported');
  assert.equal(p.helpers.kprobe!.bpf_map_lookup_elem, 'supported');
  // A helper the kernel has but not for this program type, and an id past every kernel's last helper never appear as supported.
  assert.equal(p.helpers.kprobe!.bpf_skb_store_bytes, 'unsupported_for_type');
  assert.equal(p.helpers.sched_cls!.bpf_skb_store_bytes, 'supported');
  assert.equal(p.btf.available, readFileSync('/sys/kernel/btf/vmlinux').length > 0);
  // The config is the running kernel's (/proc/config.gz here) and its BPF switch is on, as bpf() just worked.
  assert.notEqual(p.config, 'unknown');
  if (p.config !== 'unknown') assert.equal(p.config.options.CONFIG_BPF_SYSCALL, 'y');
  assert.ok(typeof p.unprivileged_bpf_disabled === 'number');
  assert.equal(p.unprivileged_bpf_disabled, Number(readFileSync('/proc/sys/kernel/unprivileged_bpf_disabled', 'utf8').trim()));
});

test('without permission for bpf() the profile says unknown for what it could not probe, and the verb still exits 0', () => {
  const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, 'collector/bin/bpfcompat.js', 'probe', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const p = HostProfile.parse(JSON.parse(r.stdout));
  assert.equal(p.probe.uid, 65534);
  assert.equal(p.bpf_access, 'denied');
  assert.equal(p.map_types, 'unknown');
  assert.equal(p.program_types, 'unknown');
  assert.equal(p.helpers, 'unknown');
  assert.equal(p.kernel.release, release(), 'what needs no permission is still there');
});

test('the config falls back to /boot/config-<release> and the image identity is the sha256 of /boot/vmlinuz-<release>', async () => {
  const root = join(dir, 'root');
  mkdirSync(join(root, 'boot'), { recursive: true });
  const image = Buffer.from('not really a bzImage, but bytes whose sha256 is the identity');
  writeFileSync(join(root, 'boot', `vmlinuz-${release()}`), image);
  writeFileSync(join(root, 'boot', `config-${release()}`), '# comment\nCONFIG_BPF_SYSCALL=y\nCONFIG_DEBUG_INFO_BTF=y\nCONFIG_SOUND=m\n# CONFIG_BPF_JIT is not set\n');
  const p = await probeHost({ root });
  assert.deepEqual(p.kernel.image, { path: `/boot/vmlinuz-${release()}`, sha256: sha256Hex(image) });
  assert.notEqual(p.config, 'unknown');
  if (p.config !== 'unknown') {
    assert.equal(p.config.source, `/boot/config-${release()}`);
    assert.deepEqual(p.config.options, { CONFIG_BPF_SYSCALL: 'y', CONFIG_DEBUG_INFO_BTF: 'y' });
  }
  const none = await probeHost({ root: join(dir, 'empty') });
  assert.equal(none.config, 'unknown');
  assert.equal(none.kernel.image, 'unknown');
});
