// Benchmark: a suite of 20 objects × the 5-kernel Debian matrix, one boot per kernel, against one boot per
// verdict (bpfcompat test per object), measured in the same run. Prints figures and the ratio; asserts nothing.
// Usage: node bench/suite.bench.ts [--baseline-sample N]   (N objects for the baseline, default all 20;
// with fewer, the baseline wall time is scaled to 20 objects and says so)
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const ROOT = resolve(import.meta.dirname, '..');
const OBJECTS = 20;
const sampleArg = process.argv.indexOf('--baseline-sample');
const sample = sampleArg > 0 ? Math.min(OBJECTS, Math.max(1, Number(process.argv[sampleArg + 1]))) : OBJECTS;
const examples = [
  { object: 'build/examples/pass_everywhere.bpf.o' },
  { object: 'build/examples/bpf_loop.bpf.o' },
  { object: 'build/examples/missing_kprobe.bpf.o', manifest: 'examples/missing-kprobe/manifest.yaml' },
];
for (const e of examples) if (!existsSync(join(ROOT, e.object))) throw new Error(`${e.object} missing: run 'make examples'`);
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-suite-bench-'));
const cli = (args: string[]) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'collector/bin/bpfcompat.js'), ...args], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 2) throw new Error(`bpfcompat ${args[0]} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return performance.now() - t0;
};
try {
  const cases = Array.from({ length: OBJECTS }, (_, i) => ({ name: `obj-${String(i).padStart(2, '0')}`, ...examples[i % examples.length]! }));
  const suite = join(dir, 'suite.yaml');
  writeFileSync(suite, [
    'name: bench', `defaults: { matrix: ${join(ROOT, 'matrices/debian.yaml')}, report_dir: ${join(dir, 'reports')} }`, 'cases:',
    ...cases.map((c) => `  - { name: ${c.name}, artifact: ${join(ROOT, c.object)}${c.manifest ? `, manifest: ${join(ROOT, c.manifest)}` : ''} }`),
  ].join('\n') + '\n');
  const jobs = '2';
  const suiteMs = cli(['suite', '--suite', suite, '--out', join(dir, 'summary.json'), '--no-history', '--quiet', '--jobs', jobs, '--workdir', join(dir, 'w1')]);
  let baseMs = 0;
  for (const c of cases.slice(0, sample)) {
    baseMs += cli(['test', '--artifact', join(ROOT, c.object), ...(c.manifest ? ['--manifest', join(ROOT, c.manifest)] : []), '--matrix', 'debian', '--out', join(dir, `${c.name}.json`), '--no-history', '--quiet', '--jobs', jobs, '--workdir', join(dir, 'w2')]);
  }
  const baseline = (baseMs / sample) * OBJECTS;
  // The machine is shared: the load average says how comparable a figure is.
  console.log(`suite: ${OBJECTS} objects × 5 kernels = ${OBJECTS * 5} verdicts, --jobs ${jobs}, TCG, load average ${loadavg()[0]!.toFixed(1)} at the end`);
  console.log(`  one boot per kernel (bpfcompat suite): ${(suiteMs / 1000).toFixed(1)} s wall, 5 boots`);
  console.log(`  one boot per verdict (bpfcompat test per object): ${(baseline / 1000).toFixed(1)} s wall${sample < OBJECTS ? ` (measured ${sample} objects: ${(baseMs / 1000).toFixed(1)} s, scaled to ${OBJECTS})` : ''}, ${OBJECTS * 5} boots`);
  console.log(`  ratio: ${(baseline / suiteMs).toFixed(1)}x faster (target >= 5x); target wall <= 30 s: ${suiteMs <= 30_000 ? 'met' : 'not met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
