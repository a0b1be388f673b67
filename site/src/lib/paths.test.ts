import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseBase, routes, safeSlug, siteHref } from './paths.ts';

test('slugs are URL-safe, readable and distinct for names that differ only in unsafe characters', () => {
  const names = ['xdp-counter', 'xdp counter', 'XDP/counter', '../../etc/passwd', '<script>alert(1)</script>', '"><img src=x>', '', 'ünïcödé', 'a'.repeat(300)];
  const slugs = names.map(safeSlug);
  for (const s of slugs) assert.match(s, /^[a-z0-9-]+$/);
  assert.equal(new Set(slugs).size, names.length);
  assert.match(safeSlug('xdp-counter'), /^xdp-counter-[0-9a-f]{8}$/);
  assert.ok(safeSlug('a'.repeat(300)).length <= 49);
  assert.equal(safeSlug('same'), safeSlug('same'));
  for (const s of slugs) assert.ok(!s.includes('--'), 'pair slugs rely on "--" never occurring in a slug');
});

test('base paths normalise to /…/ and every link is prefixed', () => {
  assert.equal(normaliseBase(''), '/');
  assert.equal(normaliseBase('/'), '/');
  assert.equal(normaliseBase('repo'), '/repo/');
  assert.equal(normaliseBase('/repo'), '/repo/');
  assert.equal(normaliseBase('//a/b//'), '/a/b/');
  assert.equal(routes.artifact('/repo/', 'x-1'), '/repo/artifact/x-1/');
  assert.equal(routes.overview('/repo/'), '/repo/');
  assert.equal(routes.badge('/', 'x-1'), '/badge/x-1.svg');
  assert.equal(routes.api('/r/', 'artifacts', 'x', 'results.json'), '/r/api/v1/artifacts/x/results.json');
  assert.equal(routes.failureClass('/r/', 'VERIFIER_REJECTION'), '/r/class/verifier_rejection/');
  assert.equal(routes.cell('/r/', 'x', 'cell-0-1'), '/r/artifact/x/#cell-0-1');
  // Segments are encoded, so a stray value cannot add path components or a query.
  assert.equal(siteHref('/', 'a b', '?q#x'), '/a%20b/%3Fq%23x/');
});
