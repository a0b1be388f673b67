// End to end: a kernel from an apt repository this test builds and signs itself (apt-ftparchive + gpg, RSA keys
// made here), served on 127.0.0.1. The repository holds Debian's bookworm kernel repackaged the way Ubuntu splits
// it: linux-image-<abi> (vmlinuz) → linux-modules-<abi> (config, modules) and linux-modules-extra-<abi> (veth),
// and a metapackage linux-image-cloud-amd64 that depends on them. The profile names the metapackage and an
// armored key relative to the matrix; the kernel boots to a verdict. Bad input in the same matrix becomes infra
// errors naming profile and field. Tampered or wrongly signed repositories are refused with nothing cached.
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
import { buildAptRepo, buildDeb, cachedKernels, dirEntries, makeTestKey, serveTrees, signRelease } from './apt-fixture.ts';

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-apt-'));
const servers: Array<{ close: () => void }> = [];
after(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});


test('apt: a signed repository on loopback, metapackage followed to image + modules (+extra when needed), boots to a verdict; tampering refused', { timeout: 600_000 }, async () => {
  const debian = await resolveKernel(Profile.parse({ id: 'debian-12', kernel: { debian: { suite: 'bookworm', flavour: 'cloud-amd64' } } }));
  const rel = debian.release;
  const v = (debian.origin as { version: string }).version;
  const mods = debian.modulesDir!;
  const key = await makeTestKey(dir, 'repo');
  const other = await makeTestKey(dir, 'other');
  const out = join(dir, 'debs');
  const kernelDebs = async (ver: string, outDir: string): Promise<string[]> => [
    await buildDeb({ name: 'linux-image-cloud-amd64', version: ver, depends: `linux-image-${rel} (= ${ver}), linux-modules-extra-${rel} (= ${ver}), linux-firmware`, files: [{ path: 'usr/share/doc/linux-image-cloud-amd64/README', content: 'meta\n' }], outDir }),
    await buildDeb({ name: `linux-image-${rel}`, version: ver, depends: `linux-base, linux-modules-${rel} (= ${ver})`, files: [{ path: `boot/vmlinuz-${rel}`, from: debian.imagePath }], outDir }),
    await buildDeb({
      name: `linux-modules-${rel}`, version: ver, outDir,
      files: [
        { path: `boot/config-${rel}`, from: debian.configPath! },
        ...['kernel/net/sched/cls_bpf.ko', 'kernel/net/sched/sch_ingress.ko', 'kernel/drivers/net/dummy.ko', 'modules.order', 'modules.builtin', 'modules.builtin.modinfo']
          .map((f) => ({ path: `lib/modules/${rel}/${f}`, from: join(mods, f) })),
      ],
    }),
    await buildDeb({ name: `linux-modules-extra-${rel}`, version: ver, files: [{ path: `lib/modules/${rel}/kernel/drivers/net/veth.ko`, from: join(mods, 'kernel/drivers/net/veth.ko') }], outDir }),
  ];
  const debs = await kernelDebs(v, out);
  const good = join(dir, 'repo-good');
  await buildAptRepo({ root: good, suite: 'fleet', debs, key });

  // Packages changed after signing: one field of the image's stanza edited, InRelease left as signed.
  const changed = join(dir, 'repo-changed-packages');
  await cp(good, changed, { recursive: true });
  const pk = join(changed, 'dists/fleet/main/binary-amd64/Packages');
  await writeFile(pk, (await readFile(pk, 'utf8')).replace(/^Priority: optional$/m, 'Priority: required'));
  await execa('xz', ['-k', '-f', pk]);
  // A .deb whose bytes differ from the sha256 in the signed Packages.
  const swapped = join(dir, 'repo-swapped-deb');
  await cp(good, swapped, { recursive: true });
  const imageDeb = (await readdir(join(swapped, 'pool/main'))).find((f) => f.startsWith(`linux-image-${rel}_`))!;
  await cp(debs[3]!, join(swapped, 'pool/main', imageDeb));
  // Signed by a key the profile does not trust.
  const foreign = join(dir, 'repo-foreign-key');
  await cp(good, foreign, { recursive: true });
  await signRelease(foreign, 'fleet', other);

  const srv = await serveTrees({ good, changed, swapped, foreign });
  servers.push(srv.server);

  await cp(key.ascFile, join(dir, 'repo-key.asc'));
  await writeFile(join(dir, 'not-a-key.asc'), 'this is not a key\n');
  const matrix = join(dir, 'matrix.yaml');
  const apt = (extra: string): string => `    kernel: { apt: { url: "${srv.base}/good", suite: fleet, keyring: repo-key.asc, ${extra} } }`;
  await writeFile(matrix, ['name: apt-meta', 'profiles:', '  - id: apt-meta', apt('package: linux-image-cloud-amd64'), ''].join('\n'));
  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, [
    'name: apt-bad-input',
    'profiles:',
    '  - id: not-a-key',
    `    kernel: { apt: { url: "${srv.base}/good", suite: fleet, keyring: not-a-key.asc, package: linux-image-cloud-amd64 } }`,
    '  - id: missing-package',
    apt('package: linux-image-nope'),
    '  - id: unreachable',
    '    kernel: { apt: { url: "http://127.0.0.1:9/ubuntu", suite: fleet, keyring: repo-key.asc, package: linux-image-cloud-amd64 } }',
    '',
  ].join('\n'));
  const cache = join(dir, 'cache');
  const history = join(dir, 'history.sqlite');
  const env = { ...process.env, BPFCOMPAT_CACHE_DIR: cache, BPFCOMPAT_ACCEL: 'tcg' };
  const cli = (a: string[]) => promisify(execFile)(process.execPath, ['collector/bin/bpfcompat.js', ...a], { encoding: 'utf8', env }).then((o) => ({ code: 0, ...o }), (e: { code: number; stdout: string; stderr: string }) => e);
  const run = async (m: string, out: string, hist: string[]) => {
    const r = await cli(['test', '--artifact', 'build/examples/pass_everywhere.bpf.o', '--matrix', m, '--out', out, ...hist, '--quiet', '--jobs', '1', '--workdir', join(dir, 'work')]);
    return { r, report: Report.parse(JSON.parse(await readFile(out, 'utf8'))) };
  };
  const { r, report: rep } = await run(matrix, join(dir, 'report.json'), ['--history', history]);
  const { report: badRep } = await run(bad, join(dir, 'bad.json'), ['--no-history']);
  const [meta] = rep.targets;
  const [notAKey, missing, unreachable] = badRep.targets;

  assert.equal(meta!.infra_error ?? null, null, JSON.stringify(r));
  assert.equal(meta!.status, 'pass', 'pass_everywhere loads on 6.1');
  assert.equal(meta!.kernel.release, rel);
  assert.equal(meta!.kernel.sha256, debian.imageSha256, 'the image out of the repository is the Debian image');
  const src = meta!.kernel.source as { kind: string; requested: string; package: string; suite: string; extra_packages: Array<{ package: string }> };
  assert.equal(src.kind, 'apt');
  assert.equal(src.requested, 'linux-image-cloud-amd64', 'the metapackage the profile named');
  assert.equal(src.package, `linux-image-${rel}`, 'followed through Depends to the image package');
  // veth is =m in the config and only linux-modules-extra holds it, so the extra package was taken along.
  assert.deepEqual(src.extra_packages.map((p) => p.package), [`linux-modules-${rel}`, `linux-modules-extra-${rel}`]);
  assert.ok(srv.requests.includes('/good/dists/fleet/InRelease'));
  assert.ok(!srv.requests.some((p) => p.includes('linux-firmware')), 'non-kernel dependencies are not followed');

  assert.equal(notAKey!.status, 'infra_error');
  assert.match(notAKey!.infra_error!, /not-a-key: kernel\.apt\.keyring .*not-a-key\.asc is not an OpenPGP public key/);
  assert.equal(missing!.status, 'infra_error');
  assert.match(missing!.infra_error!, /missing-package: kernel\.apt\.package: no package linux-image-nope in http:\/\/127\.0\.0\.1:\d+\/good fleet main \(amd64\)/);
  assert.equal(unreachable!.status, 'infra_error');
  assert.match(unreachable!.infra_error!, /unreachable: kernel\.apt: cannot fetch http:\/\/127\.0\.0\.1:9\/ubuntu\/dists\/fleet\/InRelease/);

  // Freshness: the history's verdict is on the repository's newest kernel, so nothing is outdated …
  const onlyMeta = matrix;
  const current = await cli(['kernels', 'outdated', '--matrix', onlyMeta, '--history', history, '--json', '--fail-on-stale']);
  assert.equal(current.code, 0, current.stdout + current.stderr);
  assert.deepEqual(JSON.parse(current.stdout).map((r: { stale: boolean }) => r.stale), [false]);
  // … until the repository publishes a newer build (same image bytes, a new package version), signed again.
  const nv = `${v}+fix1`;
  const newer = await kernelDebs(nv, join(dir, 'debs2'));
  const rebuilt = [...debs, ...newer];
  await rm(join(good, 'pool'), { recursive: true });
  await buildAptRepo({ root: good, suite: 'fleet', debs: rebuilt, key });
  const stale = await cli(['kernels', 'outdated', '--matrix', onlyMeta, '--history', history, '--json', '--fail-on-stale']);
  const staleRows = JSON.parse(stale.stdout) as Array<{ profile_id: string; stale: boolean; verified: { package: string; version: string }; available: { package: string; version: string } }>;
  assert.equal(stale.code, 2, 'outdated with --fail-on-stale exits 2');
  assert.deepEqual(staleRows[0], { profile_id: 'apt-meta', stale: true, verified: { package: `linux-image-${rel}`, version: v }, available: { package: `linux-image-${rel}`, version: nv, where: 'fleet' } });
  const avail = await cli(['kernels', 'list', '--available', '--matrix', onlyMeta, '--json']);
  assert.deepEqual(JSON.parse(avail.stdout)[0].versions.map((x: { version: string }) => x.version), [nv, v]);
  // versions: latest:2 expands the profile into one per metapackage version, each pinned.
  const both = join(dir, 'versions.yaml');
  await writeFile(both, ['name: apt-versions', 'profiles:', '  - id: apt', '    versions: "latest:2"', apt('package: linux-image-cloud-amd64'), ''].join('\n'));
  const fetched = await cli(['kernels', 'fetch', '--matrix', both, '--json']);
  assert.equal(fetched.code, 0, fetched.stderr);
  const rows = JSON.parse(fetched.stdout) as Array<{ profile_id: string; origin: { version: string } }>;
  assert.deepEqual(rows.map((r) => [r.profile_id, r.origin.version]), [[`apt-${nv.replace(/[^A-Za-z0-9._-]/g, '_')}`, nv], [`apt-${v}`, v]]);

  // Refusals, each into an empty cache: nothing may be left in it.
  const refuse = async (id: string, repo: string, keyring: string, want: RegExp): Promise<void> => {
    const c = join(dir, `cache-${id}`);
    const p = Profile.parse({ id, kernel: { apt: { url: `${srv.base}/${repo}`, suite: 'fleet', package: 'linux-image-cloud-amd64', keyring } } });
    await assert.rejects(resolveKernel(p, { cacheDir: c }), (e: unknown) => {
      assert.ok(e instanceof BpfcompatError, String(e));
      // A changed index is refused by its size when it grew beyond what the signed root declares, else by its sha256.
      assert.equal(e.code, /more than the \d+ bytes expected/.test(e.message) ? 'DOWNLOAD' : 'INTEGRITY', e.message);
      assert.match(e.message, want);
      return true;
    });
    assert.deepEqual(await cachedKernels(c, 'apt'), [], `${id}: nothing cached`);
  };
  await refuse('wrong-key', 'good', other.gpgFile, /wrong-key: kernel\.apt: http:\/\/127\.0\.0\.1:\d+\/good\/dists\/fleet\/InRelease: signature check failed \(NO_PUBKEY\)/);
  await refuse('foreign-signed', 'foreign', key.gpgFile, /foreign-signed: kernel\.apt: .*\/foreign\/dists\/fleet\/InRelease: signature check failed/);
  await refuse('changed-packages', 'changed', key.gpgFile, /changed-packages: kernel\.apt: .*\/changed\/dists\/fleet\/main\/binary-amd64\/Packages\.xz \(listed in the signed InRelease\): (sha256 [0-9a-f]{64} does not match|more than the \d+ bytes expected)/);
  await refuse('swapped-deb', 'swapped', key.gpgFile, new RegExp(`swapped-deb: kernel\\.apt: linux-image-${rel.replace(/[.+]/g, '\\$&')} .*sha256 listed in the signed fleet index\\): sha256 [0-9a-f]{64} does not match`));
  assert.deepEqual(await dirEntries(join(dir, 'cache-changed-packages', 'apt', 'indexes')), [], 'a Packages file that does not match InRelease is not kept');
});
