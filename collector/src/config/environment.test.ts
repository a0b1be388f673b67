// The env catalogue is the code's truth: every BPFCOMPAT_* name the sources use is in it, and it names no other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENVIRONMENT } from './environment.ts';

const ROOTS = ['collector', 'history', 'site', 'bench'];
const SKIP = new Set(['node_modules', 'dist', 'testdata', '.astro']);

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    // The catalogue itself and tests (which set variables to exercise them) are not uses.
    else if (/\.(ts|mjs|astro|sh)$/.test(name) && !name.endsWith('.test.ts') && path !== join('collector', 'src', 'config', 'environment.ts')) yield path;
  }
}

test('the catalogue lists exactly the BPFCOMPAT_* names the code uses', () => {
  const used = new Map<string, string>();
  for (const root of ROOTS) for (const file of sources(root)) for (const m of readFileSync(file, 'utf8').matchAll(/\bBPFCOMPAT_[A-Z0-9_]+\b/g)) used.set(m[0], file);
  const listed = new Set(ENVIRONMENT.map((v) => v.name));
  assert.equal(listed.size, ENVIRONMENT.length, 'no name twice');
  for (const [name, file] of used) assert.ok(listed.has(name), `${name} (used in ${file}) is missing from collector/src/config/environment.ts`);
  for (const name of listed) assert.ok(used.has(name), `${name} is catalogued but no source uses it`);
  assert.ok(used.size >= 10, `found ${used.size} names`);
});

test('bpfcompat env prints the catalogue as text, JSON and Markdown', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'env', ...args], { encoding: 'utf8' });
  const json = run('--json');
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).variables.map((v: { name: string }) => v.name), ENVIRONMENT.map((v) => v.name));
  const md = run('--markdown');
  assert.match(md.stdout, /^\| `BPFCOMPAT_CACHE_DIR` \| host \| `\$XDG_CACHE_HOME\/bpfcompat` \|/m);
  assert.equal(readFileSync('docs/environment.md', 'utf8'), md.stdout, 'docs/environment.md is `bpfcompat env --markdown` (regenerate it)');
  assert.match(run().stdout, /^BPFCOMPAT_OFFLINE +host +set to 1/m);
  const both = run('--json', '--markdown');
  assert.equal(both.status, 1);
  assert.equal(both.stderr.trim().split('\n').length, 1);
  assert.match(both.stderr, /--json and --markdown exclude each other/);
});
