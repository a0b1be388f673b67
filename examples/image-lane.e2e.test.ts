// End to end, disk-image lane: the debian-12 image (built in the set-up by `images build`, cached) boots
// behind an overlay and is reached over SSH. One suite = one boot runs pass_everywhere, bpf_loop and a
// command case that needs the distro's userspace (systemd as PID 1, Debian's bpftool). An image that never
// brings up SSH is an infra_error with the reason, and neither leaves an overlay, seed or key behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildImage } from '../collector/src/images/build.ts';
import { findImage } from '../collector/src/images/store.ts';
import { Report } from '../history/vocabulary/report-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-image-lane-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(process.execPath, ['collector/bin/bpfcompat.js', ...args], { encoding: 'utf8' }, (_e, _o, stderr) => done({ status: child.exitCode, stderr }));
  });
}

/** Every path under root (overlays and seeds live in .image-run-* directories while a guest runs). */
function walk(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).map((p) => join(root, p));
}

test('set-up: the debian-12 image is built (once; cached under the XDG cache)', { timeout: 900_000 }, async () => {
  try {
    await findImage('debian-12');
  } catch {
    await buildImage('debian-12', { onProgress: (l) => process.stderr.write(`${l}\n`) });
  }
  const img = await findImage('debian-12');
  assert.equal(img.sidecar.disk.format, 'qcow2');
  assert.match(img.sidecar.kernel.release, /^6\.1\.\d+-\d+-cloud-amd64$/);
});

test('image lane: examples and a distro-userspace command pass on Debian 12 in one boot, nothing left behind', { timeout: 600_000 }, async () => {
  const img = await findImage('debian-12');
  const before = statSync(img.diskPath).mtimeMs;
  const suite = join(dir, 'suite.yaml');
  writeFileSync(suite, [
    'name: image-lane',
    'defaults:',
    `  matrix: ${resolve('matrices/image-debian-12.yaml')}`,
    '  timeout: 120s',
    'cases:',
    '  - name: pass-everywhere',
    `    artifact: ${resolve('build/examples/pass_everywhere.bpf.o')}`,
    '  - name: bpf-loop',
    `    artifact: ${resolve('build/examples/bpf_loop.bpf.o')}`,
    '  - name: distro-userspace',
    '    command: "test -d /run/systemd/system && test \\"$(id -u)\\" = 0 && bpftool version && ! timeout 5 bash -c \\"echo > /dev/tcp/deb.debian.org/80\\""',
    '',
  ].join('\n'));
  const work = join(dir, 'work');
  const r = await runCli(['suite', '--suite', suite, '--out', join(dir, 'summary.json'), '--no-history', '--workdir', work, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { boots: number; cases: Array<{ name: string; status: string; report_json_path: string }> };
  assert.equal(summary.boots, 1, 'all cases ran in one boot of the image');
  for (const name of ['pass-everywhere', 'bpf-loop', 'distro-userspace']) {
    const c = summary.cases.find((x) => x.name === name)!;
    assert.equal(c.status, 'pass', `${name}: ${r.stderr}`);
    const t = Report.parse(JSON.parse(readFileSync(c.report_json_path, 'utf8'))).targets[0]!;
    assert.equal(t.status, 'pass');
    assert.match(t.kernel.release, /^6\.1\.\d+-\d+-cloud-amd64$/, 'the kernel the image runs (uname -r)');
    if (name !== 'distro-userspace') assert.equal(t.validation.load_status, 'pass');
  }
  const paths = walk(work);
  assert.deepEqual(paths.filter((p) => /\.image-run-|overlay\.qcow2|seed\.iso/.test(p)), [], 'overlay, seed and keys are removed');
  assert.ok(paths.some((p) => p.endsWith('image-console.log')), 'the console log is kept as evidence');
  assert.equal(statSync(img.diskPath).mtimeMs, before, 'the base image is never written');
});

test('image lane: an image that never brings up SSH is infra_error image_boot_timeout, with no leftovers', { timeout: 180_000 }, async () => {
  const disk = join(dir, 'zeros.img');
  writeFileSync(disk, Buffer.alloc(1024 * 1024));
  const matrix = join(dir, 'zeros.yaml');
  writeFileSync(matrix, `name: no-ssh\nprofiles:\n  - id: zeros\n    image: { path: ${disk}, format: raw, ssh_timeout: 20s }\n`);
  const work = join(dir, 'work-zeros');
  const out = join(dir, 'zeros.json');
  const r = await runCli(['test', '--artifact', 'build/examples/pass_everywhere.bpf.o', '--matrix', matrix, '--out', out, '--no-history', '--workdir', work, '--quiet']);
  assert.equal(r.status, 1, 'an infrastructure error, not a verdict');
  const t = Report.parse(JSON.parse(readFileSync(out, 'utf8'))).targets[0]!;
  assert.equal(t.status, 'infra_error');
  assert.match(t.infra_error ?? '', /^image_boot_timeout: .*SSH did not come up within image\.ssh_timeout 20s/);
  assert.deepEqual(walk(work).filter((p) => /\.image-run-|overlay\.qcow2|seed\.iso/.test(p)), []);
});
