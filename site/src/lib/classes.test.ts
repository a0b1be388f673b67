import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { FAILURE_CLASSES, classPageCode } from './classes.ts';

test('every failure class has its MDX page and no page lacks a class', () => {
  const pages = readdirSync(new URL('../content/classes/', import.meta.url)).filter((f) => f.endsWith('.mdx')).map((f) => f.slice(0, -4)).sort();
  assert.deepEqual(pages, [...FAILURE_CLASSES].sort());
});

test('codes outside the catalogue are filed under UNKNOWN', () => {
  assert.equal(classPageCode('VERIFIER_REJECTION'), 'VERIFIER_REJECTION');
  assert.equal(classPageCode('<script>'), 'UNKNOWN');
});
