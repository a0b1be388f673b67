// docs/runtime.md's rollout example runs as printed: every command of its shell blocks, from a directory laid out
// like the repository (its parts linked), on the Debian matrix. The suite exits 2 as the doc says (the loop build
// fails on 5.10); everything else exits 0, and fetch writes the build the doc names for this (never booted) host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const REPO = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-runtime-docs-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** The command lines of docs/runtime.md's ```sh blocks, in order. */
function docCommands(): string[] {
  const text = readFileSync(join(REPO, 'docs/runtime.md'), 'utf8');
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')));
}

test('the rollout example of docs/runtime.md runs as printed', () => {
  for (const part of ['node_modules', 'collector', 'history', 'site', 'examples', 'matrices', 'build', 'validator', 'package.json', 'astro.config.mjs', 'tsconfig.json']) {
    symlinkSync(join(REPO, part), join(dir, part));
  }
  const commands = docCommands();
  assert.equal(commands.length, 5, commands.join('\n'));
  for (const line of commands) {
    // The doc's commands hold no quoting: split on blanks, as a shell would here.
    const [cmd, ...args] = line.split(/\s+/);
    assert.equal(cmd, 'node_modules/.bin/node', line);
    const r = spawnSync(join(dir, cmd!), args, { cwd: dir, encoding: 'utf8' });
    const expected = args[1] === 'suite' ? 2 : 0;
    assert.equal(r.status, expected, `${line}\n${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`);
  }
  assert.deepEqual(readdirSync(join(dir, 'agent')), ['exec-counter-1.0-loop.bpf.o'], 'this host never booted: the preferred build, predicted');
  assert.ok(existsSync(join(dir, 'reports/runtime-site/api/v1/signatures.json.sig')));
});
