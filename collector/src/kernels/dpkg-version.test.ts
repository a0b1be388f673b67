import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDebianVersions } from './dpkg-version.ts';

// Each row: a < b, checked against `dpkg --compare-versions a lt b` on Debian.
const ordered: Array<[string, string]> = [
  ['6.1.0-9', '6.1.0-10'],
  ['6.1.158-1', '6.1.159-1'],
  ['6.12.94-1', '6.12.107-1'],
  ['7.2.13-1~bpo13+1', '7.2.13-1'],
  ['6.16.3-1~bpo13+1', '6.17.8-1~bpo13+1'],
  ['6.19.14-1~bpo13+1', '7.0.4-1~bpo13+1'],
  ['6.19.6-1~bpo13+1', '6.19.6-2~bpo13+1'],
  ['1.0~rc1', '1.0'],
  ['1.0~~', '1.0~'],
  ['1.0', '1.0a'],
  ['1.0a', '1.0+'],
  ['1.0', '1.0-1'],
  ['1.0-1', '1.0-1.1'],
  ['9:1.0', '10:0.1'],
  ['1.0-99', '1:0.1'],
  ['2.30-20', '2.30-20+deb11u1'],
  ['5.10.226-1', '5.10.237-1'],
];

test('compareDebianVersions orders real kernel versions, ~, epochs and revisions like dpkg', () => {
  for (const [a, b] of ordered) {
    assert.ok(compareDebianVersions(a, b) < 0, `${a} < ${b}`);
    assert.ok(compareDebianVersions(b, a) > 0, `${b} > ${a}`);
  }
});

test('compareDebianVersions treats equal forms as equal', () => {
  assert.equal(compareDebianVersions('6.1.0-10', '6.1.0-10'), 0);
  assert.equal(compareDebianVersions('0:1.0-1', '1.0-1'), 0);
  assert.equal(compareDebianVersions('1.01', '1.1'), 0);
});
