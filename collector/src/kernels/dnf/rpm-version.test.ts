import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareEvr, rpmvercmp } from './rpm-version.ts';

// Cases from rpm's own test suite (tests/rpmvercmp.at).
test('rpmvercmp orders as rpm does', () => {
  const cases: Array<[string, string, number]> = [
    ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0.1', '2.0', 1], ['5.5p1', '5.5p2', -1], ['5.5p10', '5.5p1', 1],
    ['10xyz', '10.1xyz', -1], ['xyz10', 'xyz10.1', -1], ['1.0', '1.0a', -1], ['1.0a', '1.0', 1], ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1], ['1.0^', '1.0', 1], ['1.0^git1', '1.0^git2', -1], ['2.0a', '2.0.1', -1], ['6.0', '6.0.a', -1],
  ];
  for (const [a, b, want] of cases) assert.equal(rpmvercmp(a, b), want, `${a} vs ${b}`);
  // Kernel releases as RHEL and Fedora number them.
  assert.equal(compareEvr({ epoch: 0, ver: '5.14.0', rel: '503.40.1.el9_5' }, { epoch: 0, ver: '5.14.0', rel: '503.el9' }), 1);
  assert.equal(compareEvr({ epoch: 0, ver: '6.9.10', rel: '200.fc40' }, { epoch: 0, ver: '6.10.3', rel: '200.fc40' }), -1);
  assert.equal(compareEvr({ epoch: 1, ver: '1', rel: '1' }, { epoch: 0, ver: '9', rel: '9' }), 1);
});
