// End to end: a kernel given as a .rpm file path (kernel.rpm.package) boots and gets a verdict. The .rpm is
// BUILT HERE with rpmbuild in Fedora's layout (/lib/modules/<release>/{vmlinuz,config,kernel/…}, no
// modules.dep) from the cached Debian bookworm kernel, and resolved into an empty cache, so the boot uses
// the image, config and depmod-indexed modules that came out of the .rpm. Bad pins and non-rpm files in
// the same matrix become infra errors naming the file, without a boot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Profile } from '../config/matrix.ts';
import { Report } from '../../../history/vocabulary/report-schema.ts';
import { resolveKernel } from './resolve.ts';
import { buildRpm, type RpmFile } from './rpm-fixture.ts';

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-rpm-path-'));
after(() => rm(dir, { recursive: true, force: true }));

test('a kernel .rpm given by path boots in the direct-boot lane; bad pins and non-rpms are infra errors', { timeout: 300_000 }, async () => {
  const debian = await resolveKernel(Profile.parse({ id: 'debian-12', kernel: { debian: { suite: 'bookworm', flavour: 'cloud-amd64' } } }));
  const rel = debian.release;
  // Fedora ships modules.order/builtin but leaves modules.dep to depmod in %posttrans.
  const modFiles: RpmFile[] = (await readdir(debian.modulesDir!))
    .filter((e) => e === 'kernel' || e === 'modules.order' || e.startsWith('modules.builtin'))
    .map((e) => ({ path: `/lib/modules/${rel}/${e}`, from: join(debian.modulesDir!, e) }));
  const rpm = await buildRpm({
    name: 'kernel-core',
    outDir: dir,
    files: [{ path: `/lib/modules/${rel}/vmlinuz`, from: debian.imagePath }, { path: `/lib/modules/${rel}/config`, from: debian.configPath! }, ...modFiles],
  });
  const notRpm = join(dir, 'kernel.tar');
  await writeFile(notRpm, 'this is not a package\n');

  const matrix = join(dir, 'matrix.yaml');
  await writeFile(matrix, [
    'name: rpm-path',
    'profiles:',
    '  - id: fedora-layout-rpm',
    `    kernel: { rpm: { package: ${JSON.stringify(rpm)} } }`,
    '  - id: wrong-pin',
    `    kernel: { rpm: { package: ${JSON.stringify(rpm)}, sha256: "${'0'.repeat(64)}" } }`,
    '  - id: not-an-rpm',
    `    kernel: { rpm: { package: ${JSON.stringify(notRpm)} } }`,
    '',
  ].join('\n'));
  const out = join(dir, 'report.json');
  const args = ['collector/bin/bpfcompat.js', 'test', '--artifact', 'build/examples/pass_everywhere.bpf.o', '--matrix', matrix, '--out', out, '--no-history', '--quiet', '--workdir', join(dir, 'work')];
  const env = { ...process.env, BPFCOMPAT_CACHE_DIR: join(dir, 'cache'), BPFCOMPAT_ACCEL: 'tcg' };
  const r = await promisify(execFile)(process.execPath, args, { encoding: 'utf8', env }).catch((e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
  const report = Report.parse(JSON.parse(await readFile(out, 'utf8')));
  const [good, wrongPin, notAnRpm] = report.targets;

  assert.equal(good!.infra_error ?? null, null, JSON.stringify(r));
  assert.equal(good!.status, 'pass', 'pass_everywhere loads on 6.1');
  assert.equal(good!.kernel.release, rel, 'release found at lib/modules/<release>/vmlinuz');
  assert.equal(good!.kernel.sha256, debian.imageSha256, 'the image out of the .rpm is the Debian image');
  assert.equal((good!.kernel.source as { kind: string }).kind, 'rpm');
  assert.equal((good!.kernel.source as { package: string }).package, rpm);

  assert.equal(wrongPin!.status, 'infra_error');
  assert.match(wrongPin!.infra_error!, /wrong-pin: kernel\.rpm\.package .*kernel-core-1\.0-1\.x86_64\.rpm has sha256 [0-9a-f]{64}, the pin says 0{64}/);
  assert.equal(notAnRpm!.status, 'infra_error');
  assert.match(notAnRpm!.infra_error!, /not-an-rpm: kernel\.rpm\.package .*kernel\.tar: not an \.rpm file/);

  // `kernels list` on that cache shows the kernel with its rpm origin.
  const list = await promisify(execFile)(process.execPath, ['collector/bin/bpfcompat.js', 'kernels', 'list'], { encoding: 'utf8', env });
  assert.match(list.stdout, new RegExp(`^${rel.replace(/[.+]/g, '\\$&')}  ${debian.imageSha256.slice(0, 12)}  \\d+ MB  rpm ${rpm.replace(/[.+]/g, '\\$&')}$`, 'm'));
});
