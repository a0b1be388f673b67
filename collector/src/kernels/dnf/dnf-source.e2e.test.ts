// End to end: a kernel from a dnf repository this test builds itself: Debian's bookworm kernel repackaged with
// rpmbuild in RHEL 9's split (kernel-core: vmlinuz, config, core modules; kernel-modules-core; kernel-modules:
// veth), every .rpm signed with rpmsign by an RSA key made here, indexed by createrepo_c with zstd metadata and
// repomd.xml signed (repomd.xml.asc), served on 127.0.0.1. The profile gives baseurl and the armored key
// relative to the matrix and boots to a verdict. Wrong keys, unsigned or re-signed packages, a changed primary
// and a swapped .rpm are refused with nothing cached.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { execa } from 'execa';
import { Profile } from '../../config/matrix.ts';
import { Report } from '../../../../history/vocabulary/report-schema.ts';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';
import { resolveKernel } from '../resolve.ts';
import { buildRpm } from '../rpm-fixture.ts';
import { cachedKernels, makeTestKey, serveTrees } from '../apt/apt-fixture.ts';
import { buildDnfRepo, primaryFile, reindex, signRpms } from './dnf-fixture.ts';

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-dnf-'));
const servers: Array<{ close: () => void }> = [];
after(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});


test('dnf: a signed repository on loopback (zstd primary, repomd.xml.asc), newest kernel-core + modules packages, boots to a verdict; tampering refused', { timeout: 600_000 }, async () => {
  const debian = await resolveKernel(Profile.parse({ id: 'debian-12', kernel: { debian: { suite: 'bookworm', flavour: 'cloud-amd64' } } }));
  const rel = debian.release;
  const mods = debian.modulesDir!;
  const key = await makeTestKey(dir, 'repo');
  const other = await makeTestKey(dir, 'other');
  const out = join(dir, 'rpms');
  const m = (f: string) => ({ path: `/lib/modules/${rel}/${f}`, from: join(mods, f) });
  const build = { version: '6.1.176', release: '1.el9', outDir: out, payload: 'w1.gzdio' };
  const rpms = [
    await buildRpm({ ...build, name: 'kernel-core', files: [{ path: `/lib/modules/${rel}/vmlinuz`, from: debian.imagePath }, { path: `/lib/modules/${rel}/config`, from: debian.configPath! }, m('kernel/net/sched/cls_bpf.ko'), m('kernel/net/sched/sch_ingress.ko'), m('modules.order'), m('modules.builtin'), m('modules.builtin.modinfo')] }),
    await buildRpm({ ...build, name: 'kernel-modules-core', files: [m('kernel/drivers/net/dummy.ko')] }),
    await buildRpm({ ...build, name: 'kernel-modules', files: [m('kernel/drivers/net/veth.ko')] }),
    // An older build the resolver must not pick (it holds no kernel: picking it would fail).
    await buildRpm({ ...build, name: 'kernel-core', release: '1.el9_0', version: '6.1.99', files: [{ path: '/usr/share/doc/old/README', content: 'old\n' }] }),
  ];
  await signRpms(rpms, key);
  const good = join(dir, 'good');
  await buildDnfRepo({ root: good, rpms, compress: 'zstd', signRepomd: key });

  // Packages re-signed by a key the profile does not trust (repomd.xml left unsigned, so the rpm check decides).
  const resigned = join(dir, 'resigned');
  await cp(good, resigned, { recursive: true });
  await rm(join(resigned, 'repodata'), { recursive: true });
  const resignedRpms = (await readdir(join(resigned, 'Packages'))).map((f) => join(resigned, 'Packages', f));
  await signRpms(resignedRpms, other);
  await reindex(resigned, 'xz');
  // Unsigned packages (gz metadata).
  const unsigned = join(dir, 'unsigned');
  await buildDnfRepo({ root: unsigned, rpms: [], compress: 'gz' });
  for (const r of rpms) await cp(r, join(unsigned, 'Packages', r.split('/').pop()!));
  await execa('rpmsign', ['--delsign', ...(await readdir(join(unsigned, 'Packages'))).map((f) => join(unsigned, 'Packages', f))]);
  await reindex(unsigned, 'gz');
  // Primary changed after repomd.xml was written.
  const changed = join(dir, 'changed');
  await cp(good, changed, { recursive: true });
  const primary = await primaryFile(changed);
  const xml = String((await execa('zstd', ['-dc', '-q', primary])).stdout).replace('<summary>', '<summary>changed ');
  await writeFile(join(dir, 'p.xml'), xml);
  await execa('zstd', ['-q', '-f', '-o', primary, join(dir, 'p.xml')]);
  // A .rpm whose bytes differ from primary's sha256 (still validly signed: the sha256 decides).
  const swapped = join(dir, 'swapped');
  await cp(good, swapped, { recursive: true });
  await cp(rpms[2]!, join(swapped, 'Packages', rpms[0]!.split('/').pop()!));

  const srv = await serveTrees({ good, resigned, unsigned, changed, swapped });
  servers.push(srv.server);

  await cp(key.ascFile, join(dir, 'RPM-GPG-KEY-test'));
  const matrix = join(dir, 'matrix.yaml');
  await writeFile(matrix, [
    'name: dnf-repo',
    'profiles:',
    '  - id: rhel-layout',
    `    kernel: { dnf: { baseurl: "${srv.base}/good", keyring: RPM-GPG-KEY-test } }`,
    '  - id: missing-package',
    `    kernel: { dnf: { baseurl: "${srv.base}/good", package: kernel-uek-core, keyring: RPM-GPG-KEY-test } }`,
    '  - id: missing-version',
    `    kernel: { dnf: { baseurl: "${srv.base}/good", version: "5.14.0", keyring: RPM-GPG-KEY-test } }`,
    '',
  ].join('\n'));
  const cache = join(dir, 'cache');
  const report = join(dir, 'report.json');
  const args = ['collector/bin/bpfcompat.js', 'test', '--artifact', 'build/examples/pass_everywhere.bpf.o', '--matrix', matrix, '--out', report, '--no-history', '--quiet', '--jobs', '1', '--workdir', join(dir, 'work')];
  const env = { ...process.env, BPFCOMPAT_CACHE_DIR: cache, BPFCOMPAT_ACCEL: 'tcg' };
  const r = await promisify(execFile)(process.execPath, args, { encoding: 'utf8', env }).catch((e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
  const rep = Report.parse(JSON.parse(await readFile(report, 'utf8')));
  const [rhel, missingPkg, missingVer] = rep.targets;

  assert.equal(rhel!.infra_error ?? null, null, JSON.stringify(r));
  assert.equal(rhel!.status, 'pass');
  assert.equal(rhel!.kernel.release, rel);
  assert.equal(rhel!.kernel.sha256, debian.imageSha256);
  const src = rhel!.kernel.source as { kind: string; package: string; version: string; repomd_signed: boolean; extra_packages: Array<{ package: string }> };
  assert.equal(src.kind, 'dnf');
  assert.equal(src.package, 'kernel-core');
  assert.equal(src.version, '6.1.176-1.el9', 'the newest build, not 6.1.99');
  assert.equal(src.repomd_signed, true);
  assert.deepEqual(src.extra_packages.map((p) => p.package), ['kernel-modules-core', 'kernel-modules'], 'kernel-modules taken because veth lives there');
  assert.ok(srv.requests.some((p) => /^\/good\/repodata\/[0-9a-f]{64}-primary\.xml\.zst$/.test(p)));

  assert.match(missingPkg!.infra_error!, /missing-package: kernel\.dnf\.package: no package kernel-uek-core \(x86_64\) in http:\/\/127\.0\.0\.1:\d+\/good/);
  assert.match(missingVer!.infra_error!, /missing-version: kernel\.dnf\.version: kernel-core has no version 5\.14\.0 in .* \(available: 6\.1\.176-1\.el9, 6\.1\.99-1\.el9_0\)/);

  const refuse = async (id: string, repo: string, keyring: string, want: RegExp): Promise<void> => {
    const c = join(dir, `cache-${id}`);
    const p = Profile.parse({ id, kernel: { dnf: { baseurl: `${srv.base}/${repo}`, keyring } } });
    await assert.rejects(resolveKernel(p, { cacheDir: c }), (e: unknown) => {
      assert.ok(e instanceof BpfcompatError, String(e));
      // A changed index is refused by its size when it grew beyond what the signed root declares, else by its sha256.
      assert.equal(e.code, /more than the \d+ bytes expected/.test(e.message) ? 'DOWNLOAD' : 'INTEGRITY', e.message);
      assert.match(e.message, want);
      return true;
    });
    assert.deepEqual(await cachedKernels(c, 'dnf'), [], `${id}: nothing cached`);
  };
  await refuse('wrong-key', 'good', other.ascFile, /wrong-key: kernel\.dnf: http:\/\/127\.0\.0\.1:\d+\/good\/repodata\/repomd\.xml\.asc: signature check failed \(NO_PUBKEY\)/);
  await refuse('resigned', 'resigned', key.ascFile, /resigned: kernel\.dnf: kernel-core 6\.1\.176-1\.el9 .*: rpm signature check failed \(.*SIGNATURES NOT OK\)/);
  await refuse('unsigned', 'unsigned', key.gpgFile, /unsigned: kernel\.dnf: kernel-core 6\.1\.176-1\.el9 .*: rpm signature check failed \(not signed\)/);
  await refuse('changed-primary', 'changed', key.ascFile, /changed-primary: kernel\.dnf: .*primary\.xml\.zst \(listed in repomd\.xml\): (sha256 [0-9a-f]{64} does not match|more than the \d+ bytes expected)/);
  await refuse('swapped', 'swapped', key.ascFile, /swapped: kernel\.dnf: kernel-core 6\.1\.176-1\.el9 .*sha256 listed in primary: sha256 [0-9a-f]{64} does not match/);
});
