import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CpioWriter } from './cpio.ts';

// The archive is read back by the real cpio binary: what it lists and extracts is what the kernel gets.

function sample(): Buffer {
  return new CpioWriter()
    .file('/bin/busybox', Buffer.from('#!fake busybox\n'), 0o755)
    .symlink('/bin/sh', 'busybox')
    .charDevice('/dev/console', 5, 1)
    .file('/bpfcompat/jobs/a/args', 'x\0y\0')
    .file('/odd', 'abc') // 3 bytes: data padding is exercised
    .finish();
}

test('cpio -t lists every entry with its parents, type, mode and size', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-cpio-'));
  try {
    const archive = join(dir, 'a.cpio');
    await writeFile(archive, sample());
    const r = await execa('cpio', ['-itv', '--quiet', '-F', archive]);
    const lines = r.stdout.split('\n');
    const find = (name: string) => lines.find((l) => l.endsWith(` ${name}`) || l.includes(` ${name} -> `));
    assert.deepEqual(
      lines.map((l) => l.replace(/ -> .*$/, '').split(/\s+/).at(-1)),
      ['bin', 'bin/busybox', 'bin/sh', 'dev', 'dev/console', 'bpfcompat', 'bpfcompat/jobs', 'bpfcompat/jobs/a', 'bpfcompat/jobs/a/args', 'odd'],
    );
    assert.match(find('bin/busybox')!, /^-rwxr-xr-x\s+1 root\s+root\s+15 /);
    assert.match(find('bin/sh')!, /^lrwxrwxrwx .* bin\/sh -> busybox$/);
    assert.match(find('dev/console')!, /^crw-------\s+1 root\s+root\s+5,\s+1 /);
    assert.match(find('bpfcompat')!, /^drwxr-xr-x\s+2 root/);
    assert.match(find('odd')!, /^-rw-r--r--\s+1 root\s+root\s+3 /);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cpio -i extracts the same bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-cpio-'));
  try {
    const archive = join(dir, 'a.cpio');
    await writeFile(archive, sample());
    const out = join(dir, 'x');
    await mkdir(out);
    // device nodes need root to create; everything else is compared byte for byte
    await execa('cpio', ['-id', '--quiet', '--no-absolute-filenames', '-F', archive, '--nonmatching', 'dev/console'], { cwd: out });
    assert.equal(await readFile(join(out, 'bin/busybox'), 'utf8'), '#!fake busybox\n');
    assert.equal(await readFile(join(out, 'bpfcompat/jobs/a/args'), 'utf8'), 'x\0y\0');
    assert.equal(await readFile(join(out, 'odd'), 'utf8'), 'abc');
    assert.equal(await readlink(join(out, 'bin/sh')), 'busybox');
    assert.equal((await stat(join(out, 'bin/busybox'))).mode & 0o777, 0o755);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('archives are padded to 512 bytes, deterministic, and reject duplicates and ..', () => {
  const a = sample();
  assert.equal(a.length % 512, 0);
  assert.deepEqual(a, sample());
  assert.ok(a.includes(Buffer.from('TRAILER!!!')));
  assert.throws(() => new CpioWriter().file('/a', 'x').file('a', 'y'), /duplicate entry a/);
  assert.throws(() => new CpioWriter().file('/a/../etc/passwd', 'x'), /must not contain \.\./);
  // a directory asked for twice (explicitly and as a parent) is written once
  const w = new CpioWriter().dir('/d').file('/d/f', '1').dir('/d');
  assert.equal(w.finish().toString('latin1').split('070701').length - 1, 3); // d, d/f, trailer
});

