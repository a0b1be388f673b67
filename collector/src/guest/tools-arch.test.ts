// Guest tools per CPU: an executable of the wrong CPU is refused by name before anything boots; an arm64
// guest gets no host (x86_64) tools by name; scripts pass (their interpreter is in the guest).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { checkGuestArch, stageForArch, stageGuestTools } from './tools.ts';

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-tools-arch-'));
after(() => rm(dir, { recursive: true, force: true }));

test('an x86_64 ELF is refused for arm64 profiles, naming the flag, the file and the profiles', async () => {
  await assert.rejects(checkGuestArch('/usr/bin/true', 'arm64', '--bin', ['debian-12-arm64', 'sid-arm64']), (e: unknown) => {
    assert.ok(e instanceof BpfcompatError);
    assert.equal(e.message, '--bin /usr/bin/true: is an x86_64 executable and cannot run on profiles debian-12-arm64, sid-arm64 (arm64)');
    assert.match(e.hint ?? '', /aarch64-linux-gnu-gcc/);
    return true;
  });
  await checkGuestArch('/usr/bin/true', 'x86_64', '--bin');
  const script = join(dir, 'load.sh');
  await writeFile(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  await checkGuestArch(script, 'arm64', '--bin');
});

test('an aarch64 ELF is refused for x86_64 profiles', async () => {
  await assert.rejects(checkGuestArch('/usr/lib/aarch64-linux-gnu/libc.so.6', 'x86_64', 'command_binary', ['debian-12']), /command_binary \/usr\/lib\/aarch64-linux-gnu\/libc\.so\.6: is an aarch64 \(arm64\) executable and cannot run on profile debian-12 \(x86_64\)/);
});

test('host tools by name are refused on arm64; an aarch64 file is staged with aarch64 libraries', async () => {
  await assert.rejects(stageGuestTools(['bpftool'], 'guest_tools', 'arm64'), /guest_tools bpftool: host tools are x86_64 and cannot run on arm64 profiles/);
  const files = await stageForArch('/usr/lib/aarch64-linux-gnu/libc.so.6', '/usr/bin/x', 'arm64', '--guest-tool');
  assert.equal(files[0]!.guestPath, '/usr/bin/x');
  assert.ok(files.some((f) => f.guestPath === '/lib/ld-linux-aarch64.so.1'), 'the aarch64 loader is staged at its PT_INTERP path');
});
