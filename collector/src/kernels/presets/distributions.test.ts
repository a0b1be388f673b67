import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelSource, UBUNTU_RELEASE_NAMES } from '../../config/matrix.ts';
import { UBUNTU_RELEASES } from './distributions.ts';
import { expandPreset } from './plans.ts';

// The presets against the values the distributions document (their .repo files, apt sources and key names).
const expand = (k: unknown) => expandPreset(KernelSource.parse(k))!.expanded;

test('ubuntu: archive.ubuntu.com, codename pockets, linux-image-<flavour>, ubuntu-archive-keyring.gpg', () => {
  const e = expand({ ubuntu: { release: 22.04 } });
  assert.equal(e.kind, 'apt');
  if (e.kind !== 'apt') return;
  assert.equal(e.src.url, 'http://archive.ubuntu.com/ubuntu');
  assert.equal(e.src.package, 'linux-image-generic');
  assert.equal(e.src.component, 'main');
  assert.deepEqual(e.suites, ['jammy', 'jammy-updates', 'jammy-security']);
  assert.deepEqual(e.key, { package: 'ubuntu-keyring', path: 'usr/share/keyrings/ubuntu-archive-keyring.gpg' });
  const aws = expand({ ubuntu: { release: '20.04', flavour: 'aws', pocket: 'release' } });
  assert.ok(aws.kind === 'apt' && aws.src.package === 'linux-image-aws' && aws.suites.join() === 'focal');
  const sec = expand({ ubuntu: { release: 24.04, pocket: 'security' } });
  assert.ok(sec.kind === 'apt' && sec.suites.join() === 'noble,noble-security');
  assert.deepEqual(Object.keys(UBUNTU_RELEASES), [...UBUNTU_RELEASE_NAMES], 'every release the schema accepts has a codename');
  assert.deepEqual(Object.values(UBUNTU_RELEASES).slice(0, 4), ['bionic', 'focal', 'jammy', 'noble']);
});

test('RHEL family, Oracle, Amazon, Fedora: baseurls, packages, keys', () => {
  const cases: Array<[unknown, string[], string, string, string?]> = [
    [{ almalinux: { release: 9 } }, ['https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os'], 'kernel-core', 'alma/RPM-GPG-KEY-AlmaLinux-9'],
    [{ almalinux: { release: 8 } }, ['https://repo.almalinux.org/almalinux/8/BaseOS/x86_64/os'], 'kernel-core', 'alma/RPM-GPG-KEY-AlmaLinux-8'],
    [{ rocky: { release: 8 } }, ['https://dl.rockylinux.org/pub/rocky/8/BaseOS/x86_64/os'], 'kernel-core', 'rocky/RPM-GPG-KEY-rockyofficial'],
    [{ rocky: { release: 9 } }, ['https://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os'], 'kernel-core', 'rocky/RPM-GPG-KEY-Rocky-9'],
    [{ 'centos-stream': { release: 9 } }, ['https://mirror.stream.centos.org/9-stream/BaseOS/x86_64/os'], 'kernel-core', 'centos/RPM-GPG-KEY-CentOS-9'],
    [{ 'centos-stream': { release: 8 } }, ['https://vault.centos.org/8-stream/BaseOS/x86_64/os'], 'kernel-core', 'centos/RPM-GPG-KEY-CentOS-8'],
    [{ oracle: { release: 9 } }, ['https://yum.oracle.com/repo/OracleLinux/OL9/UEKR8/x86_64'], 'kernel-uek-core', 'oraclelinux/RPM-GPG-KEY-oracle-ol9'],
    [{ oracle: { release: 8, kernel: 'rhck' } }, ['https://yum.oracle.com/repo/OracleLinux/OL8/baseos/latest/x86_64'], 'kernel-core', 'oraclelinux/RPM-GPG-KEY-oracle-ol8'],
    [{ amazon: { release: 2023 } }, [], 'kernel', 'amazon-linux/RPM-GPG-KEY-amazon-linux-2023', 'https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list'],
    [{ amazon: { release: 2 } }, [], 'kernel', 'amazon-linux/RPM-GPG-KEY-amazon-linux-2', 'https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list'],
    [{ fedora: { release: 42 } }, ['https://dl.fedoraproject.org/pub/fedora/linux/releases/42/Everything/x86_64/os', 'https://dl.fedoraproject.org/pub/fedora/linux/updates/42/Everything/x86_64'], 'kernel-core', 'fedora/RPM-GPG-KEY-fedora-42-primary'],
  ];
  for (const [k, baseurls, pkg, key, mirrorlist] of cases) {
    const e = expand(k);
    assert.equal(e.kind, 'dnf', JSON.stringify(k));
    if (e.kind !== 'dnf') continue;
    assert.deepEqual(e.baseurls, baseurls, JSON.stringify(k));
    assert.equal(e.src.package, pkg, JSON.stringify(k));
    assert.deepEqual(e.key, { package: 'distribution-gpg-keys', path: `usr/share/distribution-gpg-keys/${key}` }, JSON.stringify(k));
    assert.equal(e.mirrorlist, mirrorlist, JSON.stringify(k));
  }
});

test('unknown release or flavour: the schema names the field', () => {
  const issue = (k: unknown): string => {
    const r = KernelSource.safeParse(k);
    assert.ok(!r.success);
    return `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
  };
  assert.match(issue({ ubuntu: { release: '19.10' } }), /^ubuntu\.release: must be one of 18\.04, 20\.04, 22\.04, 24\.04/);
  assert.match(issue({ ubuntu: { release: 24.04, flavour: 'raspi-nope' } }), /^ubuntu\.flavour: /);
  assert.match(issue({ rocky: { release: 7 } }), /^rocky\.release: must be one of 8, 9, 10/);
  assert.match(issue({ oracle: { release: 9, kernel: 'xen' } }), /^oracle\.kernel: /);
  assert.match(issue({ amazon: { release: 2022 } }), /^amazon\.release: must be one of 2, 2023/);
});
