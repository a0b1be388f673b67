import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, Profile } from '../config/matrix.ts';
import { pinProfile, versionedId } from './versions.ts';
import { compareVersions, staleness, type Repository } from './freshness.ts';

test('versions: one pinned profile per version, with an id a profile may carry', () => {
  const p = Profile.parse({ id: 'ubuntu-20.04', versions: 'latest:2', kernel: { ubuntu: { release: '20.04' } } });
  const pinned = pinProfile(p, '5.4.0.216.208');
  assert.equal(pinned.id, 'ubuntu-20.04-5.4.0.216.208');
  assert.equal(pinned.versions, undefined);
  assert.equal(pinned.kernel?.ubuntu?.version, '5.4.0.216.208');
  assert.equal(versionedId('rhel-9', '1:5.14.0-503.el9~x'), 'rhel-9-1_5.14.0-503.el9_x');
  assert.doesNotThrow(() => Profile.parse(pinned));
});

test('versions: refused on kernels that do not come from a repository, and beside a pinned version', () => {
  const issue = (profile: unknown): string => {
    const r = Matrix.safeParse({ name: 'm', profiles: [profile] });
    assert.ok(!r.success);
    return `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
  };
  assert.match(issue({ id: 'f', versions: 'all', kernel: { file: { image: '/boot/vmlinuz' } } }), /^profiles\.0\.versions: needs a kernel from a repository/);
  assert.match(issue({ id: 'd', versions: 'latest:2', kernel: { debian: { suite: 'bookworm', version: '6.1.176-1' } } }), /^profiles\.0\.versions: cannot go with kernel\.debian\.version/);
  assert.match(issue({ id: 'd', versions: 'newest', kernel: { debian: { suite: 'bookworm' } } }), /^profiles\.0\.versions: must be all or latest:N/);
});

test('staleness compares the newest verified image version with the repository, in the repository\'s version order', () => {
  const repo = (version: string, order: 'deb' | 'rpm' = 'deb'): Repository => ({ order, newest: { version, imagePackage: 'linux-image-x', imageVersion: version, where: 's' }, available: [] });
  const verified = [
    { profile_id: 'p', source: { kind: 'apt', package: 'linux-image-x', version: '6.1.176-1' } },
    { profile_id: 'p', source: { kind: 'apt', package: 'linux-image-x', version: '6.1.192-3' } },
    { profile_id: 'other', source: { kind: 'apt', package: 'linux-image-x', version: '9.9.9-1' } },
  ];
  assert.equal(staleness('p', repo('6.1.192-3'), verified).stale, false);
  assert.deepEqual(staleness('p', repo('6.1.192-3'), verified).verified, { package: 'linux-image-x', version: '6.1.192-3' });
  assert.equal(staleness('p', repo('6.1.192-3+fix1'), verified).stale, true);
  assert.equal(staleness('q', repo('6.1.192-3'), verified).stale, true, 'never verified counts as outdated');
  assert.ok(compareVersions('rpm', '5.14.0-503.40.1.el9_5', '5.14.0-503.el9') > 0);
  assert.ok(compareVersions('deb', '5.4.0-216.236', '5.4.0-26.30') > 0);
});
