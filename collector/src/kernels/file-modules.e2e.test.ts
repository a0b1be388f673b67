// End to end: the bare kernel source, kernel.file { image, modules_dir, config, release }, boots a kernel
// image with its modules directory (as a self-built kernel would give them: here the cached Debian bookworm
// kernel's vmlinuz and lib/modules/<release>), and the guest loads modules from that directory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Profile } from '../config/matrix.ts';
import { Report } from '../../../history/vocabulary/report-schema.ts';
import { resolveKernel } from './resolve.ts';

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-file-kernel-'));
after(() => rm(dir, { recursive: true, force: true }));

test('a bare image + modules_dir boots, and the guest loads modules from modules_dir', { timeout: 300_000 }, async () => {
  const debian = await resolveKernel(Profile.parse({ id: 'debian-12', kernel: { debian: { suite: 'bookworm', flavour: 'cloud-amd64' } } }));
  assert.ok(debian.modulesDir && debian.configPath, 'the catalog kernel has modules and a config');
  // veth and cls_bpf are =m in Debian's cloud config: they can only come from modules_dir.
  assert.match(await readFile(debian.configPath, 'utf8'), /^CONFIG_VETH=m$/m);
  const matrix = join(dir, 'matrix.yaml');
  const file = { image: debian.imagePath, modules_dir: debian.modulesDir, config: debian.configPath, release: debian.release };
  await writeFile(matrix, `name: file-kernel\nprofiles:\n  - id: self-built\n    kernel: { file: ${JSON.stringify(file)} }\n`);
  const out = join(dir, 'report.json');
  const args = ['collector/bin/bpfcompat.js', 'test-command', '--cmd', 'cat /proc/modules; uname -r', '--matrix', matrix, '--out', out, '--no-history', '--quiet', '--workdir', join(dir, 'work')];
  const r = await promisify(execFile)(process.execPath, args, { encoding: 'utf8' }).catch((e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
  const report = Report.parse(JSON.parse(await readFile(out, 'utf8')));
  const t = report.targets[0]!;
  assert.equal(t.infra_error ?? null, null, JSON.stringify(r));
  assert.equal(t.status, 'pass');
  assert.deepEqual(t.kernel.source, { kind: 'file', image: debian.imagePath });
  assert.equal(t.kernel.release, debian.release);
  const stdout = String(t.functional.tests[0]!.stdout_tail);
  assert.match(stdout, /^veth /m, 'veth.ko was loaded from modules_dir');
  assert.match(stdout, /^cls_bpf /m, 'cls_bpf.ko was loaded from modules_dir');
  assert.ok(stdout.trimEnd().endsWith(debian.release), 'uname -r is the given release');
});
