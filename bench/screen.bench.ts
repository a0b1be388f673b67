// The screen against the boot, on the same objects and kernels: the shipped examples, the validator's test objects
// and the BPF objects inside Debian's libbpf-tools binaries (skeletons, extracted). Prints the confusion matrix
// (predicted pass/fail/unknown × booted pass/fail), where they disagree and in which class, the time per kernel
// screened against the time per kernel booted, and the screen's throughput over 500+ BTF files (copies of the cached
// kernels' BTF). Prints only; asserts nothing.
//   node bench/screen.bench.ts [matrix]    env: BENCH_TOOLS=N (libbpf-tools objects, default 12), BENCH_BTF=N (500)
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { Report } from '../history/vocabulary/report-schema.ts';
import type { ScreenReport } from '../history/vocabulary/screen-schema.ts';
import { loadMatrix } from '../collector/src/config/matrix.ts';
import { loadManifest, manifestIdentity } from '../collector/src/config/manifest.ts';
import { resolveKernel } from '../collector/src/kernels/resolve.ts';
import { cacheRoot } from '../collector/src/infra/xdg.ts';
import { screenKernelFromCache, screenKernelsFromPaths } from '../collector/src/screen/btf-source.ts';
import { runScreen } from '../collector/src/screen/screen.ts';
import { embeddedBpfObjects } from '../collector/src/screen/skeletons.ts';
import { locateValidator } from '../collector/src/validation/validator-binary.ts';
import { sha256Hex } from '../history/vocabulary/hash.ts';

const matrixPath = resolve(process.argv[2] ?? 'matrices/debian.yaml');
const tools = Number(process.env.BENCH_TOOLS ?? 12);
const btfCopies = Number(process.env.BENCH_BTF ?? 500);
const work = mkdtempSync(join(tmpdir(), 'bpfcompat-screen-bench-'));
const cacheDir = cacheRoot();

/** CPU time of this process and of its reaped children (the validator), in ms: what the work costs, whatever the load. */
function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').slice(readFileSync('/proc/self/stat', 'utf8').lastIndexOf(')') + 2).split(' ');
  const tick = 100; // USER_HZ
  const self = process.cpuUsage();
  return (self.user + self.system) / 1000 + ((Number(f[13]) + Number(f[14])) * 1000) / tick;
}

// ---- the objects ----
interface Case { name: string; object: string; manifest: string | null }
const cases: Case[] = [];
const expected = parse(readFileSync('examples/expected.yaml', 'utf8')) as { examples: Record<string, { object: string; manifest?: string }> };
for (const [name, ex] of Object.entries(expected.examples)) cases.push({ name: `ex-${name}`, object: resolve(ex.object), manifest: ex.manifest ? resolve(ex.manifest) : null });
for (const f of readdirSync('validator/build/testdata').filter((f) => f.endsWith('.bpf.o')).sort()) cases.push({ name: `vt-${f.replace(/\.bpf\.o$/, '').replace(/_/g, '-')}`, object: resolve('validator/build/testdata', f), manifest: null });
const seen = new Set<string>();
const toolDir = join(work, 'libbpf-tools');
mkdirSync(toolDir);
const binaries = existsSync('/usr/sbin/execsnoop') ? readdirSync('/usr/sbin').filter((b) => spawnSync('dpkg', ['-S', `/usr/sbin/${b}`], { encoding: 'utf8' }).stdout.startsWith('libbpf-tools:')).sort() : [];
for (const b of binaries) {
  if (cases.filter((c) => c.name.startsWith('lt-')).length >= tools) break;
  for (const [i, obj] of embeddedBpfObjects(readFileSync(`/usr/sbin/${b}`)).entries()) {
    const sha = sha256Hex(obj);
    if (seen.has(sha)) continue;
    seen.add(sha);
    const path = join(toolDir, `${b}${i ? `-${i}` : ''}.bpf.o`);
    writeFileSync(path, obj);
    cases.push({ name: `lt-${b}${i ? `-${i}` : ''}`, object: path, manifest: null });
  }
}
console.log(`objects: ${cases.length} (${cases.filter((c) => c.name.startsWith('ex-')).length} examples, ${cases.filter((c) => c.name.startsWith('vt-')).length} validator test objects, ${cases.filter((c) => c.name.startsWith('lt-')).length} from libbpf-tools ${binaries.length ? '' : '(libbpf-tools not installed)'})`);

// ---- the screen ----
const matrix = await loadMatrix(matrixPath);
const resolved = await Promise.all(matrix.profiles.map(async (p) => screenKernelFromCache(p.id, await resolveKernel(p), cacheDir)));
const validator = await locateValidator();
const screens = new Map<string, ScreenReport>();
const t0 = performance.now();
for (const c of cases) {
  const m = c.manifest ? await loadManifest(c.manifest) : null;
  screens.set(c.name, await runScreen({
    artifact: { path: c.object, sha256: sha256Hex(readFileSync(c.object)) }, validator: { path: validator.path, sha256: validator.sha256 },
    manifest: m ? { path: c.manifest!, sha256: manifestIdentity(m).sha256, manifest: m } : null,
    source: { kind: 'matrix', path: matrixPath, name: matrix.name }, kernels: resolved, group: false,
  }));
}
const screenMs = performance.now() - t0;

// ---- the boot: one suite, one boot per kernel holding every object ----
const suite = join(work, 'suite.yaml');
writeFileSync(suite, `name: screen-bench\ndefaults: { matrix: ${JSON.stringify(matrixPath)}, report_dir: reports, timeout: 180s, concurrency: 1 }\ncases:\n` +
  cases.map((c) => `  - { name: ${c.name}, artifact: ${JSON.stringify(c.object)}${c.manifest ? `, manifest: ${JSON.stringify(c.manifest)}` : ''} }\n`).join(''));
const b0 = performance.now();
const run = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'suite', '--suite', suite, '--no-history', '--quiet', '--jobs', '1', '--workdir', join(work, 'wd')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const bootMs = performance.now() - b0;
if (run.status === 1) console.log(`suite exited 1 (some infrastructure error): ${run.stderr.split('\n').filter(Boolean).slice(-3).join(' | ')}`);

// ---- the confusion matrix ----
type Row = 'pass' | 'fail' | 'unknown';
const matrixCounts: Record<Row, { pass: number; fail: number }> = { pass: { pass: 0, fail: 0 }, fail: { pass: 0, fail: 0 }, unknown: { pass: 0, fail: 0 } };
const disagreements: string[] = [];
const codeMismatches: string[] = [];
let infra = 0, codeMatches = 0, bothFail = 0;
for (const c of cases) {
  const reportPath = join(work, 'reports', `${c.name}.json`);
  if (!existsSync(reportPath)) { infra += resolved.length; continue; }
  const report = Report.parse(JSON.parse(readFileSync(reportPath, 'utf8')));
  for (const t of screens.get(c.name)!.targets) {
    const booted = report.targets.find((r) => r.profile_id === t.profile_id);
    if (!booted || booted.status === 'infra_error') { infra++; continue; }
    const b = booted.status === 'pass' ? 'pass' : 'fail';
    matrixCounts[t.prediction][b]++;
    if (t.prediction === 'fail' && b === 'fail') {
      bothFail++;
      if (t.classification_code === booted.classification_code) codeMatches++;
      else codeMismatches.push(`${c.name} on ${t.profile_id}: predicted ${t.classification_code}, booted ${booted.classification_code} — ${t.reason.slice(0, 140)}`);
    }
    if (t.prediction !== 'unknown' && t.prediction !== b) disagreements.push(`${c.name} on ${t.profile_id}: predicted ${t.prediction}${t.classification_code ? ` ${t.classification_code}` : ''}, booted ${b}${booted.classification_code ? ` ${booted.classification_code}` : ''} — ${t.reason.slice(0, 160)}`);
  }
}
const cells = cases.length * resolved.length;
console.log(`\nconfusion matrix (${cells} object × kernel cells on ${matrix.name}; ${infra} without a booted verdict):`);
console.log('                    booted pass  booted fail');
for (const r of ['pass', 'fail', 'unknown'] as const) console.log(`  predicted ${r.padEnd(8)} ${String(matrixCounts[r].pass).padStart(11)}  ${String(matrixCounts[r].fail).padStart(11)}`);
const decided = matrixCounts.pass.pass + matrixCounts.pass.fail + matrixCounts.fail.pass + matrixCounts.fail.fail;
console.log(`decided: ${decided}/${cells - infra} (${((100 * decided) / Math.max(1, cells - infra)).toFixed(1)}%); predicted fail with the boot's code: ${codeMatches}/${bothFail}`);
console.log(`predicted pass, booted fail: ${matrixCounts.pass.fail}; predicted fail, booted pass: ${matrixCounts.fail.pass}`);
for (const d of disagreements) console.log(`  disagreement: ${d}`);
for (const d of codeMismatches) console.log(`  both fail, other code: ${d}`);

// ---- time per kernel ----
const perScreen = screenMs / cells, perBoot = bootMs / resolved.length, perBootCell = bootMs / cells;
console.log(`\ntime: screen ${screenMs.toFixed(0)} ms for ${cells} cells (${perScreen.toFixed(1)} ms per object × kernel, one validator run per object);`);
console.log(`      boot ${(bootMs / 1000).toFixed(1)} s for ${resolved.length} boots holding every object (${(perBoot / 1000).toFixed(1)} s per kernel booted, ${perBootCell.toFixed(0)} ms per object × kernel); boot/screen per cell: ${(perBootCell / perScreen).toFixed(0)}x`);

// ---- throughput over many BTF files ----
const hub = join(work, 'btf-copies');
const sources = resolved.map((k) => k.btfPath).filter((p): p is string => !!p);
for (let i = 0; i < btfCopies; i++) {
  const d = join(hub, `copy/${Math.floor(i / 100)}/x86_64`);
  mkdirSync(d, { recursive: true });
  symlinkSync(sources[i % sources.length]!, join(d, `k${i}.btf`));
}
const probe = cases.find((c) => c.name === 'lt-runqslower') ?? cases.find((c) => c.name.startsWith('lt-')) ?? cases[0]!;
const c0 = cpuMs();
const h0 = performance.now();
const kernels = await screenKernelsFromPaths([hub], cacheDir);
const h1 = performance.now();
const big = await runScreen({
  artifact: { path: probe.object, sha256: sha256Hex(readFileSync(probe.object)) }, validator: { path: validator.path, sha256: validator.sha256 },
  manifest: null, source: { kind: 'btf', paths: [hub] }, kernels, group: true,
});
const h2 = performance.now();
const cpu = cpuMs() - c0;
console.log(`\nthroughput: ${basename(probe.object)} against ${kernels.length} BTF files: ${(h2 - h0).toFixed(0)} ms in all = ${((1000 * kernels.length) / (h2 - h0)).toFixed(0)} kernels/s`);
console.log(`  (listing and hashing the files ${(h1 - h0).toFixed(0)} ms; validator and predictions ${(h2 - h1).toFixed(0)} ms = ${((1000 * kernels.length) / (h2 - h1)).toFixed(0)} kernels/s); ${big.groups!.length} groups: ${big.summary.pass} pass, ${big.summary.fail} fail, ${big.summary.unknown} unknown`);
console.log(`  CPU time (bpfcompat and its validator processes): ${cpu.toFixed(0)} ms = ${((1000 * kernels.length) / cpu).toFixed(0)} kernels per CPU-second; load average now ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${availableParallelism()} cores`);
console.log(`  10,000 kernels at this rate: ${((10000 * (h2 - h0)) / kernels.length / 1000).toFixed(0)} s (target: under 120 s)`);
rmSync(work, { recursive: true, force: true });
