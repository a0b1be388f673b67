// Site build benchmark: a synthetic history of 1,000 artifacts × 10 kernels × 30 runs (300,000
// results, 3 versions per artifact), built with `bpfcompat site build`'s core. Prints the build time
// and the gzip size of the largest artifact page against the targets (≤ 90 s, ≤ 60 KB).
//   node bench/site.bench.ts [--artifacts N] [--runs N] [--keep]
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { openHistory } from '../history/src/index.ts';
import { buildSite } from '../site/build.ts';
import { FIXTURE_KERNELS, makeReport, type FixtureKernel, type OutcomeSpec, type RunSpec } from '../site/test/fixtures.ts';

const { values } = parseArgs({ options: { artifacts: { type: 'string', default: '1000' }, runs: { type: 'string', default: '30' }, keep: { type: 'boolean', default: false } } });
const ARTIFACTS = Number(values.artifacts);
const RUNS = Number(values.runs);
const RUNS_PER_VERSION = 10;

const KERNELS: FixtureKernel[] = [
  ...FIXTURE_KERNELS,
  { profile_id: 'debian-12-bpo-6.12', release: '6.12.12+bpo-cloud-amd64', suite: 'bookworm-backports', btf: true },
  { profile_id: 'debian-13-bpo-6.17', release: '6.17.7+deb13-cloud-amd64', suite: 'trixie-backports', btf: true },
  { profile_id: 'debian-11-bpo-6.1', release: '6.1.0-0.deb11.21-cloud-amd64', suite: 'bullseye-backports', btf: true },
  { profile_id: 'debian-12-6.1-rt', release: '6.1.0-37-rt-amd64', suite: 'bookworm', btf: true },
  { profile_id: 'debian-10-4.19', release: '4.19.0-27-cloud-amd64', suite: 'buster', btf: false },
];

const LOG = Array.from({ length: 120 }, (_, i) => `${i}: (bf) r${i % 10} = r${(i + 3) % 10} ; R${i % 10}_w=scalar(smin=0,smax=${i * 17})`).join('\n') + '\nprocessed 121 insns (limit 1000000)';
const CLASSES = ['VERIFIER_REJECTION', 'UNSUPPORTED_MAP_TYPE', 'CORE_RELOCATION_FAILURE', 'UNSUPPORTED_ATTACH_TYPE', 'MISSING_BTF'];

function outcome(a: number, v: number, k: FixtureKernel, ki: number): OutcomeSpec {
  if (k.suite === 'buster') return { status: 'fail', code: 'MISSING_BTF' };
  const h = (a * 31 + v * 7 + ki * 13) % 23;
  if (h === 0) return { status: 'infra_error' };
  if (h < 4 && ki < 3) {
    const code = CLASSES[(a + v) % CLASSES.length]!;
    return { status: 'fail', code, failing: a % 3, verifierLog: code === 'VERIFIER_REJECTION' ? LOG : '', remediation: 'see the class page', rootCause: { kind: 'helper', name: 'bpf_loop', id: 181 } };
  }
  return { status: 'pass' };
}

function runSpec(a: number, r: number): RunSpec {
  const v = Math.floor(r / RUNS_PER_VERSION);
  const programs = Array.from({ length: 1 + (a % 4) }, (_, i) => ({ name: `prog_${i}_handler`, section: i % 2 ? `kprobe/do_sys_open${i}` : `tracepoint/syscalls/sys_enter_${i}`, type: i % 2 ? 'kprobe' : 'tracepoint' }));
  const reused = r % RUNS_PER_VERSION !== 0;
  const firstOfVersion = `run-${a}-${v * RUNS_PER_VERSION}`;
  return {
    id: `run-${a}-${r}`,
    startedAt: new Date(Date.UTC(2025, 0, 1) + (r * ARTIFACTS + a) * 60_000).toISOString(),
    artifact: `org-${a % 50}/tool-${a}`,
    version: `v${v + 1}.0.0`,
    programs,
    kernels: KERNELS,
    outcome: (k) => {
      const o = outcome(a, v, k, KERNELS.indexOf(k));
      return reused && o.status !== 'infra_error' ? { ...o, reusedFrom: firstOfVersion } : o;
    },
  };
}

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-site-bench-'));
try {
  const historyPath = join(dir, 'history.sqlite');
  let t = performance.now();
  const h = openHistory(historyPath);
  for (let r = 0; r < RUNS; r++) {
    h.appendRuns(Array.from({ length: ARTIFACTS }, (_, a) => ({ input: makeReport(runSpec(a, r)) })));
  }
  h.close();
  const results = ARTIFACTS * RUNS * KERNELS.length;
  console.log(`history: ${ARTIFACTS} artifacts × ${KERNELS.length} kernels × ${RUNS} runs = ${results} results, written in ${((performance.now() - t) / 1000).toFixed(1)} s (setup, not measured)`);

  t = performance.now();
  const out = join(dir, 'site');
  const r = await buildSite({ history: historyPath, out, base: '/bpfcompat/', logLevel: 'error' });
  const buildS = (performance.now() - t) / 1000;

  let largest = { slug: '', raw: 0, gz: 0 };
  for (const slug of await readdir(join(out, 'artifact'))) {
    const html = await readFile(join(out, 'artifact', slug, 'index.html'));
    const gz = gzipSync(html, { level: 9 }).length;
    if (gz > largest.gz) largest = { slug, raw: html.length, gz };
  }
  const overview = await readFile(join(out, 'index.html'));
  console.log(`site: ${r.pages} pages, ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB`);
  console.log(`build time: ${buildS.toFixed(1)} s (target ≤ 90 s, ${(buildS / 90 * 100).toFixed(0)}% of budget), ${(buildS * 1000 / r.files).toFixed(2)} ms per file`);
  console.log(`largest artifact page: ${largest.slug} ${(largest.raw / 1024).toFixed(1)} KB, gzip ${(largest.gz / 1024).toFixed(1)} KB (target ≤ 60 KB, ${(largest.gz / 1024 / 60 * 100).toFixed(0)}% of budget)`);
  console.log(`overview page: ${(overview.length / 1024).toFixed(0)} KB, gzip ${(gzipSync(overview, { level: 9 }).length / 1024).toFixed(1)} KB`);
  if (values.keep) console.log(`kept: ${dir}`);
} finally {
  if (!values.keep) await rm(dir, { recursive: true, force: true });
}
