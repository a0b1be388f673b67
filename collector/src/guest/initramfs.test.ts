import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResolvedKernel } from '../kernels/types.ts';
import { buildBaseLayer, buildJobLayer, writeInitrd, type InitrdJob } from './initramfs.ts';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-initramfs-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function listing(path: string): Promise<string[]> {
  return (await execa('cpio', ['-it', '--quiet', '-F', path])).stdout.split('\n');
}

async function extract(path: string, dir: string, name: string): Promise<Buffer> {
  return Buffer.from((await execa('cpio', ['-i', '--to-stdout', '--quiet', '-F', path, name], { cwd: dir, encoding: 'buffer', stripFinalNewline: false })).stdout);
}

const kernel: ResolvedKernel = { release: '9.9.9-test', arch: 'x86_64', imagePath: '/dev/null', imageSha256: '', modulesDir: null, configPath: null, origin: { kind: 'file', image: '' } };

test('job layer: job list, per-job control files and payload', () =>
  withTmp(async (dir) => {
    const payload = join(dir, 'prog.bpf.o');
    await writeFile(payload, 'ELF...');
    const jobs: InitrdJob[] = [
      { id: 'validate', kind: 'validator', argv: ['--object', '/bpfcompat/jobs/validate/a.o', '--out', 'x y'], files: [{ guestPath: '/bpfcompat/jobs/validate/a.o', hostPath: payload }], timeoutMs: 1500 },
      { id: 'cmd-2', kind: 'command', command: 'uname -r', env: { A: '1', B_2: 'two words' }, files: [{ guestPath: '/opt/data.txt', data: 'inline', mode: 0o600 }], timeoutMs: 30_000 },
    ];
    const layer = join(dir, 'jobs.cpio');
    await writeFile(layer, await buildJobLayer(jobs));
    const names = await listing(layer);
    for (const n of ['bpfcompat/jobs.list', 'bpfcompat/jobs/validate/out', 'bpfcompat/jobs/validate/args', 'bpfcompat/jobs/validate/a.o', 'bpfcompat/jobs/cmd-2/command', 'bpfcompat/jobs/cmd-2/env', 'opt/data.txt']) assert.ok(names.includes(n), n);
    assert.equal((await extract(layer, dir, 'bpfcompat/jobs.list')).toString(), 'validate\ncmd-2\n');
    assert.equal((await extract(layer, dir, 'bpfcompat/jobs/validate/args')).toString(), '--object\0/bpfcompat/jobs/validate/a.o\0--out\0x y\0');
    assert.equal((await extract(layer, dir, 'bpfcompat/jobs/validate/timeout')).toString(), '2\n');
    assert.equal((await extract(layer, dir, 'bpfcompat/jobs/validate/kind')).toString(), 'validator');
    assert.equal((await extract(layer, dir, 'bpfcompat/jobs/validate/a.o')).toString(), 'ELF...');
    assert.equal((await extract(layer, dir, 'bpfcompat/jobs/cmd-2/env')).toString(), 'A=1\0B_2=two words\0');
    assert.equal((await extract(layer, dir, 'opt/data.txt')).toString(), 'inline');
  }));

test('job layer rejects what the guest could not run safely', async () => {
  const base = { kind: 'command' as const, command: 'true', files: [], timeoutMs: 1000 };
  await assert.rejects(buildJobLayer([{ ...base, id: '../x' }]), /id "\.\.\/x" must match/);
  await assert.rejects(buildJobLayer([{ ...base, id: 'a' }, { ...base, id: 'a' }]), /used twice/);
  await assert.rejects(buildJobLayer([{ ...base, id: 'a', env: { 'BAD-KEY': '1' } }]), /environment entry BAD-KEY/);
  await assert.rejects(buildJobLayer([{ ...base, id: 'a', files: [{ guestPath: 'rel/path', data: 'x' }] }]), /absolute guest path/);
  await assert.rejects(buildJobLayer([{ ...base, id: 'a', command: '' }]), /has no command/);
});

test('base layer: init, busybox, runner, validator; cached by the hash of its inputs', () =>
  withTmp(async (dir) => {
    const validator = join(dir, 'bpfcompat-validator');
    await writeFile(validator, 'validator v1');
    const first = await buildBaseLayer({ kernel, validatorPath: validator, cacheDir: dir });
    assert.equal(first.cacheHit, false);
    assert.equal(first.path, join(dir, 'initramfs', `${first.key}.cpio`));
    const names = await listing(first.path);
    for (const n of ['init', 'bin/busybox', 'bin/sh', 'dev/console', 'bpfcompat/bin/run-job', 'bpfcompat/bin/bpfcompat-agent', 'bpfcompat/bin/bpfcompat-validator', 'bpfcompat/modules.list']) assert.ok(names.includes(n), n);
    assert.deepEqual(await extract(first.path, dir, 'init'), await readFile(new URL('./init.sh', import.meta.url)));

    const again = await buildBaseLayer({ kernel, validatorPath: validator, cacheDir: dir });
    assert.deepEqual({ hit: again.cacheHit, key: again.key }, { hit: true, key: first.key });

    await writeFile(validator, 'validator v2');
    const changed = await buildBaseLayer({ kernel, validatorPath: validator, cacheDir: dir });
    assert.equal(changed.cacheHit, false);
    assert.notEqual(changed.key, first.key);

    const none = await buildBaseLayer({ kernel, validatorPath: null, cacheDir: dir });
    assert.equal(none.hasValidator, false);
    assert.ok(!(await listing(none.path)).includes('bpfcompat/bin/bpfcompat-validator'));

    const bare = await buildBaseLayer({ kernel, init: 'bare', cacheDir: dir });
    assert.deepEqual(await extract(bare.path, dir, 'init'), await readFile(new URL('./bare-init.sh', import.meta.url)));
    assert.ok(!(await listing(bare.path)).includes('bpfcompat/bin/run-job'));
    assert.ok(!(await listing(bare.path)).includes('bpfcompat/bin/bpfcompat-agent'));

    await assert.rejects(buildBaseLayer({ kernel, validatorPath: join(dir, 'missing'), cacheDir: dir }), /validator binary not found/);
  }));

test('the initrd is the base layer followed by the job layer', () =>
  withTmp(async (dir) => {
    const base = await buildBaseLayer({ kernel, validatorPath: null, cacheDir: dir });
    const layer = await buildJobLayer([{ id: 'a', kind: 'command', command: 'true', files: [], timeoutMs: 1000 }]);
    const out = join(dir, 'run', 'initrd.cpio');
    const size = await writeInitrd(out, base, layer);
    const bytes = await readFile(out);
    const baseBytes = await readFile(base.path);
    assert.equal(size, bytes.length);
    assert.deepEqual(bytes.subarray(0, baseBytes.length), baseBytes);
    assert.deepEqual(bytes.subarray(baseBytes.length), layer);
  }));
