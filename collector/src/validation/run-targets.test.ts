import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { targetFromOutcome } from './run-targets.ts';
import type { ResolvedKernel } from '../kernels/types.ts';

// A validator that exits without a result says why on stderr: that reason must reach the report, not vanish.

const kernel: ResolvedKernel = { release: '6.1.0-50-cloud-amd64', arch: 'x86_64', imagePath: '/k', imageSha256: 'ab'.repeat(32), modulesDir: null, configPath: null, origin: { kind: 'debian', suite: 'bookworm', flavour: 'cloud-amd64', package: 'linux-image-6.1.0-50-cloud-amd64', version: '1', url: 'http://deb.debian.org/x.deb', deb_sha256: 'cd'.repeat(32), extra_packages: [] } };

test('an infra error from a validator that exited without a result carries its stderr tail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-outcome-'));
  try {
    const stderr = 'libbpf: something earlier\nbpfcompat-validator: --args-file /bpfcompat/job/args: too many arguments\n';
    const ctx = { profileId: 'debian-12', required: true, resultKey: 'ef'.repeat(32), kernel, accel: 'tcg' as const, machine: { cpu: 'EPYC-Rome-v1', memory_mb: 1024, cpus: 1 }, startedAt: new Date(0), finishedAt: new Date(1000) };
    const t = await targetFromOutcome(ctx, { kind: 'completed', accel: 'tcg', bootMs: 3000, totalMs: 4000, consoleLogPath: join(dir, 'console.log'), jobs: [{ id: 'validate', exitCode: 1, files: { stderr: Buffer.from(stderr) }, durationMs: 5 }] }, 'best-effort', dir);
    assert.equal(t.status, 'infra_error');
    assert.equal(t.infra_error, 'the validator exited 1 without a result: bpfcompat-validator: --args-file /bpfcompat/job/args: too many arguments');
    assert.match(t.console_tail, /^validator stderr:\nlibbpf: something earlier\nbpfcompat-validator: .*too many arguments$/);
    assert.equal(readFileSync(join(dir, 'validator.stderr'), 'utf8'), stderr, 'the whole stream is kept as evidence');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
