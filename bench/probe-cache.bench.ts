// Benchmark: the per-boot probe cache, side by side. One boot of one kernel runs the suite bench's 20 objects
// twice over — once with every validator run probing the kernel itself, once sharing the probe cache — and
// prints per-job times in the guest (validator duration_ms) and on the host (job-start to job-end). Asserts nothing.
// Usage: node bench/probe-cache.bench.ts [PROFILE]   (default debian-sid; kernels must be cached or reachable)
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadMatrix } from '../collector/src/config/matrix.ts';
import { loadManifest } from '../collector/src/config/manifest.ts';
import { resolveKernel } from '../collector/src/kernels/resolve.ts';
import { runGuest } from '../collector/src/vm/runner.ts';
import { validatorJob } from '../collector/src/validation/run-targets.ts';
import { inspectArtifact } from '../collector/src/validation/artifact.ts';
import { withProbeCache } from '../collector/src/validation/probe-cache.ts';
import type { GuestJob } from '../collector/src/vm/types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const profileId = process.argv[2] ?? 'debian-sid';
const examples = [
  { object: 'build/examples/pass_everywhere.bpf.o' },
  { object: 'build/examples/bpf_loop.bpf.o' },
  { object: 'build/examples/missing_kprobe.bpf.o', manifest: 'examples/missing-kprobe/manifest.yaml' },
];
for (const e of examples) if (!existsSync(join(ROOT, e.object))) throw new Error(`${e.object} missing: run 'make examples'`);
const matrix = await loadMatrix(join(ROOT, 'matrices/debian.yaml'));
const profile = matrix.profiles.find((p) => p.id === profileId);
if (!profile) throw new Error(`${profileId} is not in matrices/debian.yaml`);
const kernel = await resolveKernel(profile);
const jobs: GuestJob[] = [];
for (let i = 0; i < 20; i++) {
  const e = examples[i % examples.length]!;
  const manifest = e.manifest ? await loadManifest(join(ROOT, e.manifest)) : null;
  jobs.push(validatorJob({ artifact: await inspectArtifact(join(ROOT, e.object)), manifest, mode: 'load_attach' }, 60_000, `j${i}`));
}
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-probe-cache-bench-'));
try {
  console.log(`probe cache: ${jobs.length} validator jobs in one boot of ${profileId} (${kernel.release}), TCG, load average ${loadavg()[0]!.toFixed(1)}`);
  for (const [label, list] of [['without cache', jobs], ['with cache', withProbeCache(jobs)]] as const) {
    const out = await runGuest({ kernel, jobs: [...list], memoryMb: profile.memory_mb, cpus: profile.cpus, accel: 'tcg', timeoutMs: 600_000, workDir: join(dir, label.replace(' ', '-')) });
    if (out.kind !== 'completed') throw new Error(`${label}: ${out.reason}: ${out.message}`);
    const validatorMs = out.jobs.map((j) => (JSON.parse(j.files['out/result.json']?.toString('utf8') ?? '{}') as { duration_ms?: number }).duration_ms ?? 0);
    const hostMs = out.jobs.map((j) => j.durationMs);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    console.log(`  ${label.padEnd(13)}: validator ${sum(validatorMs)} ms in guest (${Math.round(sum(validatorMs) / jobs.length)} ms/job, first ${validatorMs[0]} ms), jobs ${sum(hostMs)} ms on host (${Math.round(sum(hostMs) / jobs.length)} ms/job), boot ${out.bootMs} ms, total ${out.totalMs} ms`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
