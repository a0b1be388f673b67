import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMatrix, MAX_PROFILES } from './matrix.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-matrix-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function errorOf(yaml: string): Promise<BpfcompatError> {
  const file = join(dir, `m${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  try {
    await loadMatrix(file);
  } catch (err) {
    assert.ok(err instanceof BpfcompatError);
    assert.ok(err.message.startsWith(file), `message names the file: ${err.message}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail('expected an error');
}

test('the shipped matrices parse, with defaults applied', async () => {
  const m = await loadMatrix('matrices/debian.yaml');
  assert.deepEqual(m.profiles.map((p) => p.id), ['debian-11', 'debian-12', 'debian-13', 'debian-13-backports', 'debian-sid']);
  assert.ok(m.profiles.every((p) => p.required && p.kernel?.debian?.flavour === 'cloud-amd64'));
  const one = await loadMatrix('matrices/dev-one.yaml');
  assert.equal(one.profiles.length, 1);
});

test('an unknown key is named with its path', async () => {
  const e = await errorOf('name: x\nprofiles:\n  - id: a\n    kernel: { debian: { suite: bookworm, flavor: cloud-amd64 } }\n');
  assert.match(e.message, /profiles\[0\]\.kernel\.debian\.flavor: unknown key/);
  assert.equal(e.code, 'CONFIG_INVALID');
});

test('a bad suite, a bad id and a duplicate id are refused with the key path', async () => {
  assert.match((await errorOf('name: x\nprofiles:\n  - id: a\n    kernel: { debian: { suite: hamm } }\n')).message, /profiles\[0\]\.kernel\.debian\.suite/);
  assert.match((await errorOf('name: x\nprofiles:\n  - id: "bad id"\n    kernel: { file: { image: /x } }\n')).message, /profiles\[0\]\.id/);
  assert.match((await errorOf('name: x\nprofiles:\n  - id: a\n    kernel: { file: { image: /x } }\n  - id: a\n    kernel: { file: { image: /x } }\n')).message, /profiles\[1\]\.id: duplicate profile id a/);
});

test('empty files, invalid YAML and missing files get one-line errors', async () => {
  assert.match((await errorOf('')).message, /the file is empty/);
  const bad = await errorOf('name: [unclosed\n');
  assert.equal(bad.code, 'YAML_INVALID');
  await assert.rejects(loadMatrix(join(dir, 'nope.yaml')), (e: unknown) => e instanceof BpfcompatError && /nope\.yaml: no such file/.test(e.message));
});

test('a kernel source needs exactly one kind', async () => {
  const e = await errorOf('name: x\nprofiles:\n  - id: a\n    kernel: { file: { image: /x }, deb: { package: /y.deb } }\n');
  assert.match(e.message, /profiles\[0\]\.kernel/);
});

test('arch: x86_64 by default, arm64 for the arm64 matrix, and a flavour for the other CPU is refused', async () => {
  const m = await loadMatrix('matrices/debian-arm64.yaml');
  assert.ok(m.profiles.length >= 1 && m.profiles.every((p) => p.arch === 'arm64' && p.kernel?.debian?.flavour === 'cloud-arm64'));
  assert.equal((await loadMatrix('matrices/dev-one-arm64.yaml')).profiles[0]!.arch, 'arm64');
  assert.equal((await loadMatrix('matrices/dev-one.yaml')).profiles[0]!.arch, 'x86_64');
  const e = await errorOf('name: x\nprofiles:\n  - id: a\n    arch: arm64\n    kernel: { debian: { suite: bookworm } }\n');
  assert.match(e.message, /profiles\[0\]\.kernel\.debian\.flavour: flavour cloud-amd64 is for amd64, but the profile's arch is arm64 \(use cloud-arm64\)/);
  assert.match((await errorOf('name: x\nprofiles:\n  - id: a\n    kernel: { debian: { suite: bookworm, flavour: arm64 } }\n')).message, /profiles\[0\]\.kernel\.debian\.flavour/);
  assert.match((await errorOf('name: x\nprofiles:\n  - id: a\n    arch: riscv64\n    kernel: { file: { image: /x } }\n')).message, /profiles\[0\]\.arch/);
});
test('a profile runs in exactly one lane: kernel, image or ssh', async () => {
  const none = await errorOf('name: m\nprofiles:\n  - id: a\n');
  assert.match(none.message, /profiles\[0\].*needs one of kernel, image or ssh/);
  const two = await errorOf('name: m\nprofiles:\n  - id: a\n    kernel: { debian: { suite: bookworm } }\n    ssh: { host: h, key: k, host_key: "SHA256:x" }\n');
  assert.match(two.message, /has kernel and ssh: give exactly one/);
  const noPin = await errorOf('name: m\nprofiles:\n  - id: a\n    ssh: { host: h, key: k }\n');
  assert.match(noPin.message, /profiles\[0\]\.ssh\.host_key/);
  const image = await errorOf('name: m\nprofiles:\n  - id: a\n    image: { sha256: "00" }\n');
  assert.match(image.message, /profiles\[0\]\.image/);
  const file = join(dir, 'ok.yaml');
  writeFileSync(file, 'name: m\nprofiles:\n  - id: r\n    ssh: { host: 10.0.0.2, key: id_ed25519, host_key: "SHA256:abc" }\n  - id: i\n    image: { name: debian-12 }\n');
  const m = await loadMatrix(file);
  assert.equal(m.profiles[0]!.ssh?.port, 22);
  assert.equal(m.profiles[0]!.ssh?.user, 'root');
  assert.equal(m.profiles[1]!.image?.ssh_timeout, '180s');
});

test('a YAML alias bomb is a usage error naming the file, not an internal error', async () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill('*' + String.fromCharCode(96 + i)).join(', ')}]`);
  const e = await errorOf(`name: x\n${bomb.join('\n')}\nprofiles: [*i]\n`);
  assert.equal(e.code, 'YAML_INVALID');
  assert.match(e.message, /invalid YAML: more than 100 alias expansions/);
});

test('a symbolic link loop is named as one, not as a missing file', async () => {
  const loop = join(dir, 'loop.yaml');
  symlinkSync(loop, loop);
  await assert.rejects(loadMatrix(loop), (e: unknown) => e instanceof BpfcompatError && e.message === `${loop}: a loop of symbolic links`);
});

test(`a matrix holds at most ${MAX_PROFILES} profiles`, async () => {
  const profiles = Array.from({ length: MAX_PROFILES + 1 }, (_, i) => `  - { id: p${i}, kernel: { debian: { suite: bookworm } } }`).join('\n');
  const e = await errorOf(`name: big\nprofiles:\n${profiles}\n`);
  assert.match(e.message, new RegExp(`profiles: more than ${MAX_PROFILES} profiles`));
  const ok = Array.from({ length: MAX_PROFILES }, (_, i) => `  - { id: p${i}, kernel: { debian: { suite: bookworm } } }`).join('\n');
  const file = join(dir, 'max.yaml');
  writeFileSync(file, `name: max\nprofiles:\n${ok}\n`);
  assert.equal((await loadMatrix(file)).profiles.length, MAX_PROFILES);
});
