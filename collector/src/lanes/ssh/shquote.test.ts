import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { shJoin, shQuote } from './shquote.ts';

// The quoted line goes through a real POSIX shell (dash, as /bin/sh on Debian hosts): each argument must
// come out exactly as it went in, whatever it holds.
const HOSTILE = [
  '', ' ', 'plain', "it's", "'", "''", '"', '\\', '$HOME', '${PATH}', '$(id)', '`id`', 'a;b', 'a && b', 'a|b', '>x', '<x',
  '*', '?', '[a]', '~', '~root', '#comment', '-rf', '--', 'A=B', 'a\nb', '\t', '!', '!!', '%s', "\\'", "a'\\''b", 'é ü 日本', '\u0001\u007f',
];

function throughShell(argv: string[]): string[] {
  const line = `printf '%s\\0' ${shJoin(argv)}`;
  const out = execFileSync('/bin/sh', ['-c', line], { cwd: '/', env: { HOME: '/nonexistent', PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  return out.toString('utf8').split('\0').slice(0, -1);
}

test('shQuote: hostile strings reach the command unchanged through /bin/sh', () => {
  assert.deepEqual(throughShell(HOSTILE), HOSTILE);
});

test('shQuote: each hostile string alone is one word', () => {
  for (const s of HOSTILE) assert.deepEqual(throughShell([s]), [s], JSON.stringify(s));
});

test('shQuote: safe words stay bare, everything else is single-quoted', () => {
  assert.equal(shQuote('/tmp/bpfcompat.x1/bin'), '/tmp/bpfcompat.x1/bin');
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  // A bare NAME=value first word would be an assignment, not a command.
  assert.equal(shQuote('A=B'), `'A=B'`);
  assert.equal(shQuote(''), `''`);
});

test('shQuote: NUL cannot be passed and is refused', () => {
  assert.throws(() => shQuote('a\0b'), /NUL/);
  assert.throws(() => shJoin([]), /empty/);
});
