// bpfcompat matrix import: the reference's matrix and vm/profiles → one bpfcompat matrix, every skip named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadMatrix } from './matrix.ts';

const REF = 'collector/src/config/testdata/reference';
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-import-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'matrix', ...args], { encoding: 'utf8' });

test('converts kernel packages and cloud images, names every profile it cannot convert and why', async () => {
  const out = join(dir, 'fleet.yaml');
  const r = run('import', `${REF}/vm/profiles`, `${REF}/matrices/fleet.yaml`, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const m = await loadMatrix(out);
  assert.equal(m.name, 'my-fleet');
  assert.deepEqual(m.profiles.map((p) => p.id), ['ubuntu-22.04-5.15', 'ubuntu-22.04-k5.15.0-181', 'almalinux-9-k5.14.0-687']);
  const [cloud, deb, rpm] = m.profiles;
  assert.deepEqual(cloud!.image, { path: 'vm/cache/ubuntu-22.04-release-20240101.qcow2', sha256: 'a'.repeat(64), ssh_timeout: '180s' });
  assert.equal(cloud!.memory_mb, 2048);
  assert.deepEqual(deb!.kernel?.deb?.package, 'https://archive.ubuntu.com/ubuntu/pool/main/l/linux-signed/linux-image-unsigned-5.15.0-181-generic_5.15.0-181.191_amd64.deb');
  assert.deepEqual(deb!.kernel?.deb?.modules.map((x) => x.package), ['https://archive.ubuntu.com/ubuntu/pool/main/l/linux/linux-modules-5.15.0-181-generic_5.15.0-181.191_amd64.deb']);
  assert.equal(deb!.required, false);
  assert.equal(deb!.timeout, '20m');
  assert.equal(deb!.memory_mb, 4096, 'clamped as the reference clamps boot resources');
  assert.equal(deb!.cpus, 4);
  assert.equal(rpm!.arch, 'arm64');
  assert.match(rpm!.kernel?.rpm?.package ?? '', /kernel-core-5\.14\.0-687\.26\.1\.el9_8\.aarch64\.rpm$/);
  assert.equal(rpm!.kernel?.rpm?.modules.length, 1);
  const skipped = r.stderr.split('\n').filter((l) => l.startsWith('bpfcompat: not converted: '));
  assert.deepEqual(skipped.map((l) => l.split(': ')[2]), ['ubuntu-24.04-6.8', 'fc-6.1', 'rhel-9-no-packages', 'missing-profile']);
  assert.match(r.stderr, /ubuntu-24\.04-6\.8: image only by source_url https:\/\/cloud-images\.ubuntu\.com\/.*download it and set image\.local_path/);
  assert.match(r.stderr, /fc-6\.1: runner firecracker has no bpfcompat lane/);
  assert.match(r.stderr, /rhel-9-no-packages: install_kernel 5\.14\.0-427\.el9\.x86_64 without kernel_packages/);
  assert.match(r.stderr, /missing-profile: no profile file .*missing-profile\.yaml/);
  assert.match(r.stderr, /3 of 7 profiles converted/);
  const json = run('import', `${REF}/vm/profiles`, `${REF}/matrices/fleet.yaml`, '--json');
  assert.deepEqual(JSON.parse(json.stdout).converted, ['ubuntu-22.04-5.15', 'ubuntu-22.04-k5.15.0-181', 'almalinux-9-k5.14.0-687']);
});

test('bad input: one line, exit 1, nothing written', () => {
  const out = join(dir, 'none.yaml');
  const cases: Array<[string[], RegExp]> = [
    [['import', `${REF}/vm/profiles`], /PROFILES_DIR and MATRIX\.yaml are required/],
    [['import', `${REF}/vm/profiles`, join(dir, 'nope.yaml'), '--out', out], /nope\.yaml: no such file/],
    [['import', join(dir, 'empty'), `${REF}/matrices/fleet.yaml`, '--out', out], /no profile of .*fleet\.yaml could be converted \(ubuntu-22\.04-5\.15: no profile file/],
    [['convert'], /matrix: unknown subcommand 'convert'/],
  ];
  for (const [args, re] of cases) {
    const r = run(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
  assert.ok(!existsSync(out));
  assert.ok(readFileSync(`${REF}/matrices/fleet.yaml`, 'utf8').includes('my-fleet'));
});
