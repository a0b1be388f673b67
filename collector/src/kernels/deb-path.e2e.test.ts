// End to end: a kernel given as a .deb file path (kernel.deb.package: /path/linux-image-….deb) boots and
// gets a verdict, and is the same kernel (same image sha256) as the one the Debian catalog resolves.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Profile } from '../config/matrix.ts';
import { Report } from '../../../history/vocabulary/report-schema.ts';
import { download } from './download.ts';
import { resolveKernel } from './resolve.ts';

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-deb-path-'));
after(() => rm(dir, { recursive: true, force: true }));

test('a kernel .deb given by path boots in the direct-boot lane and matches the catalog kernel', { timeout: 300_000 }, async () => {
  const viaCatalog = await resolveKernel(Profile.parse({ id: 'debian-12', kernel: { debian: { suite: 'bookworm', flavour: 'cloud-amd64' } } }));
  assert.equal(viaCatalog.origin.kind, 'debian');
  if (viaCatalog.origin.kind !== 'debian') return;
  const deb = join(dir, `${viaCatalog.origin.package}.deb`);
  await download(viaCatalog.origin.url, deb, { sha256: viaCatalog.origin.deb_sha256, what: viaCatalog.origin.package });

  const matrix = join(dir, 'matrix.yaml');
  await writeFile(matrix, `name: deb-path\nprofiles:\n  - id: local-deb\n    kernel: { deb: { package: ${JSON.stringify(deb)} } }\n`);
  const out = join(dir, 'report.json');
  const args = ['collector/bin/bpfcompat.js', 'test', '--artifact', 'build/examples/bpf_loop.bpf.o', '--matrix', matrix, '--out', out, '--no-history', '--quiet', '--workdir', join(dir, 'work')];
  const r = await promisify(execFile)(process.execPath, args, { encoding: 'utf8' }).catch((e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
  const report = Report.parse(JSON.parse(await readFile(out, 'utf8')));
  const t = report.targets[0]!;
  assert.equal(t.infra_error ?? null, null, JSON.stringify(r));
  assert.equal(t.status, 'pass', 'bpf_loop loads on 6.1');
  assert.equal(t.kernel.sha256, viaCatalog.imageSha256, 'the .deb holds the catalog kernel');
  assert.equal(t.kernel.release, viaCatalog.release);
  assert.equal((t.kernel.source as { kind: string }).kind, 'deb');
  assert.equal((t.kernel.source as { package: string }).package, deb);
});
