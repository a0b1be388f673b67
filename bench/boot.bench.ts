// Boot-to-verdict against the bare-boot floor, measured side by side in one run.
// Prints wall time of one artifact on the five-kernel matrix and of bare boots (init powers off at once)
// of the same kernels with the same parallelism, and their ratio. Prints only; asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadMatrix } from '../collector/src/config/matrix.ts';
import { resolveKernel } from '../collector/src/kernels/resolve.ts';
import { detectAccel } from '../collector/src/vm/accel.ts';
import { bareBoot } from '../collector/src/vm/runner.ts';
import { runArtifactTargets } from '../collector/src/validation/run-targets.ts';
import { inspectArtifact } from '../collector/src/validation/artifact.ts';
import { locateValidator } from '../collector/src/validation/validator-binary.ts';
import { mapPool } from '../collector/src/validation/pool.ts';

const matrixPath = process.argv[2] ?? 'matrices/debian.yaml';
const objectPath = process.argv[3] ?? 'build/examples/pass_everywhere.bpf.o';
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const jobs = availableParallelism();
const matrix = await loadMatrix(matrixPath);
const kernels = await Promise.all(matrix.profiles.map((p) => resolveKernel(p)));
const { accel } = await detectAccel(kernels[0]!);
const artifact = await inspectArtifact(objectPath);
const validator = await locateValidator();
const work = mkdtempSync(join(tmpdir(), 'bpfcompat-bench-'));

async function floor(): Promise<{ wall: number; per: number[] }> {
  const t0 = performance.now();
  const per = await mapPool(kernels, jobs, (k, i) => bareBoot(k, accel, join(work, `bare-${i}`)));
  return { wall: performance.now() - t0, per };
}

async function verdicts(): Promise<{ wall: number; per: number[]; statuses: string[] }> {
  const t0 = performance.now();
  const { targets } = await runArtifactTargets({ matrix, artifact, manifest: null, manifestSha256: null, mode: 'default', validator, jobs, timeoutMs: 180_000, runDir: join(work, 'run') });
  return { wall: performance.now() - t0, per: targets.map((t) => t.duration_ms), statuses: targets.map((t) => t.status) };
}

console.log(`bench: ${objectPath} on ${matrixPath} (${kernels.length} kernels), ${jobs} jobs, accel ${accel}, ${rounds} rounds interleaved`);
const floors: number[] = [];
const runs: number[] = [];
for (let r = 0; r < rounds; r++) {
  const f = await floor();
  const v = await verdicts();
  floors.push(f.wall);
  runs.push(v.wall);
  console.log(`round ${r + 1}: bare-boot floor ${(f.wall / 1000).toFixed(1)} s [${f.per.map((x) => (x / 1000).toFixed(1)).join(' ')}]  verdicts ${(v.wall / 1000).toFixed(1)} s [${v.per.map((x) => (x / 1000).toFixed(1)).join(' ')}] (${v.statuses.join(' ')})`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = median(floors);
const v = median(runs);
console.log(`median: floor ${(f / 1000).toFixed(1)} s, verdicts ${(v / 1000).toFixed(1)} s, ratio ${(v / f).toFixed(2)}x (target <= 1.30x)`);
for (const [i, k] of kernels.entries()) console.log(`  ${matrix.profiles[i]!.id}: ${k.release}`);
rmSync(work, { recursive: true, force: true });
