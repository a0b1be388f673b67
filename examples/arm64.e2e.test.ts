// End to end, arm64 lane: every shipped example on Debian bookworm's arm64 cloud kernel (6.1) under
// qemu-system-aarch64 emulation. BPF objects are CPU-neutral here (no PT_REGS use), so each must get the
// verdict and classification examples/expected.yaml gives for debian-12 (bookworm's x86_64 kernel).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { parse } from 'yaml';
import { Report } from '../history/vocabulary/report-schema.ts';

const expected = parse(readFileSync('examples/expected.yaml', 'utf8')) as {
  examples: Record<string, { object: string; manifest?: string; verdicts: Record<string, string>; failure?: { stage: string; code: string; root_cause: Record<string, unknown> } }>;
};
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-arm64-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('the arm64 guest binaries exist (make validator-arm64)', () => {
  for (const f of ['validator/build/arm64/bpfcompat-validator', 'validator/build/arm64/busybox']) assert.ok(existsSync(f), `${f} is built by 'make validator-arm64'`);
});

/** Runs the CLI without blocking the event loop, so two examples boot side by side. */
function runCli(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { encoding: 'utf8' }, (_err, _stdout, stderr) => resolve({ status: child.exitCode, stderr }));
  });
}

// Two guests at a time: the emulated boots (~10 s each) dominate, and each is single-threaded.
describe('arm64 lane, bookworm', { concurrency: 2 }, () => {
for (const [name, ex] of Object.entries(expected.examples)) {
  const want = ex.verdicts['debian-12']!;
  test(`arm64: example ${name} is ${want} on bookworm's arm64 kernel, as on its x86_64 kernel`, { timeout: 300_000 }, async () => {
    const out = join(dir, `${name}.json`);
    const args = ['collector/bin/bpfcompat.js', 'test', '--artifact', ex.object, '--matrix', 'matrices/dev-one-arm64.yaml', '--out', out, '--no-history', '--quiet', '--workdir', join(dir, `work-${name}`)];
    if (ex.manifest) args.push('--manifest', ex.manifest);
    const r = await runCli(args);
    const report = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
    const t = report.targets[0]!;
    assert.equal(report.targets.length, 1);
    assert.equal(t.infra_error ?? null, null, `no infrastructure error (stderr: ${r.stderr})`);
    assert.equal(t.status, want, t.classification_reason);
    assert.equal(r.status, want === 'fail' ? 2 : 0, r.stderr);
    assert.match(t.kernel.release, /-cloud-arm64$/);
    assert.equal(t.vm.arch, 'arm64');
    assert.equal(t.vm.accel, process.arch === 'arm64' ? t.vm.accel : 'tcg', 'an x86_64 host emulates arm64');
    if (want === 'fail') {
      assert.equal(t.failed_stage, ex.failure!.stage);
      assert.equal(t.classification_code, ex.failure!.code, t.classification_reason);
      for (const [k, v] of Object.entries(ex.failure!.root_cause)) assert.equal((t.root_cause as Record<string, unknown>)[k], v, `root_cause.${k}`);
    } else {
      assert.equal(t.validation.load_status, 'pass');
    }
  });
}
});
