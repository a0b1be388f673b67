// The foreign-CPU closure reader: PT_INTERP, DT_NEEDED and e_machine straight from the ELF, checked against
// the host loader's own answer for an x86_64 binary and against Debian's aarch64 libc (libc6:arm64).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { foreignClosure, parseElfDeps, readElfDeps } from './elf-deps.ts';

test('interp and DT_NEEDED of a host binary match what the host loader lists', async () => {
  const deps = await readElfDeps('/usr/bin/bash');
  assert.equal(deps.machine, 62);
  assert.equal(deps.interp, '/lib64/ld-linux-x86-64.so.2');
  const listed = execFileSync('/lib64/ld-linux-x86-64.so.2', ['--list', '/usr/bin/bash'], { encoding: 'utf8' });
  for (const soname of deps.needed) assert.match(listed, new RegExp(`^\\s*${soname.replace(/\./g, '\\.')} => `, 'm'));
  assert.ok(deps.needed.includes('libc.so.6'));
  assert.ok(deps.needed.includes('libtinfo.so.6'));
});

test('an aarch64 library is read on an x86_64 host, and its closure resolves in the multiarch directory', async () => {
  const libc = (await readElfDeps('/lib/aarch64-linux-gnu/libc.so.6').catch(() => readElfDeps('/usr/lib/aarch64-linux-gnu/libc.so.6')));
  assert.equal(libc.machine, 183);
  assert.deepEqual(libc.needed, ['ld-linux-aarch64.so.1']);
  const closure = await foreignClosure('/usr/lib/aarch64-linux-gnu/libc.so.6', 'aarch64-linux-gnu');
  assert.deepEqual(closure.map((c) => c.guestPath), ['/lib/ld-linux-aarch64.so.1', '/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1']);
});

test('a missing library names the binary, the library and the package to install', async () => {
  await assert.rejects(foreignClosure('/usr/bin/bash', 'mips64el-linux-gnuabi64'), (e: unknown) => {
    assert.ok(e instanceof BpfcompatError);
    // The interpreter exists on the host at its own path; the first DT_NEEDED is not in mips64el's directories.
    assert.match(e.message, /^\/usr\/bin\/bash: shared library libtinfo\.so\.6 \(mips64el-linux-gnuabi64\) not found on this host$/);
    assert.match(e.hint ?? '', /apt-get install <package>:mips64el-linux-gnuabi64/);
    return true;
  });
  assert.throws(() => parseElfDeps(Buffer.from('#!/bin/sh\necho hi\n'), 'run.sh'), /run\.sh: not an ELF64 little-endian executable/);
});
