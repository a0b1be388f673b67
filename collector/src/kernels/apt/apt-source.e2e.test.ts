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
import { buildAptRepo, buildDeb, makeTestKey, serveTrees, signRelease } from './apt-fixture.ts';

const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-apt-'));
const servers: Array<{ close: () => void }> = [];
after(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

const entries = async (p: string): Promise<string[]> => readdir(p).catch(() => [] as string[]);
/** Kernel cache entries and apt resolutions in a private cache: both must stay empty after a refusal. */
async function cachedKernels(cache: string): Promise<string[]> {
  return [...(await entries(join(cache, 'kernels'))).filter((e) => /^[0-9a-f]{64}$/.test(e)), ...(await entries(join(cache, 'apt', 'resolutions')))];
}

test('apt: a signed repository on loopback, metapackage followed to image + modules (+extra when needed), boots to a verdict; tampering refused', { timeout: 600_000 }, async () => {
  const debian = await resolveKernel(Profile.parse({ id: 'debian-12', kernel: { debian: { suite: 'bookworm', flavour: 'cloud-amd64' } } }));
  const rel = debian.release;
  const v = (debian.origin as { version: string }).version;
  const mods = debian.modulesDir!;
  const key = await makeTestKey(dir, 'repo');
  const other = await makeTestKey(dir, 'other');
  const out = join(dir, 'debs');
  const debs = [
    await buildDeb({ name: 'linux-image-cloud-amd64', version: v, depends: `linux-image-${rel} (= ${v}), linux-modules-extra-${rel} (= ${v}), linux-firmware`, files: [{ path: 'usr/share/doc/linux-image-cloud-amd64/README', content: 'meta\n' }], outDir: out }),
    await buildDeb({ name: `linux-image-${rel}`, version: v, depends: `linux-base, linux-modules-${rel} (= ${v})`, files: [{ path: `boot/vmlinuz-${rel}`, from: debian.imagePath }], outDir: out }),
    await buildDeb({
      name: `linux-modules-${rel}`, version: v, outDir: out,
      files: [
        { path: `boot/config-${rel}`, from: debian.configPath! },
        ...['kernel/net/sched/cls_bpf.ko', 'kernel/net/sched/sch_ingress.ko', 'kernel/drivers/net/dummy.ko', 'modules.order', 'modules.builtin', 'modules.builtin.modinfo']
          .map((f) => ({ path: `lib/modules/${rel}/${f}`, from: join(mods, f) })),
      ],
    }),
    await buildDeb({ name: `linux-modules-extra-${rel}`, version: v, files: [{ path: `lib/modules/${rel}/kernel/drivers/net/veth.ko`, from: join(mods, 'kernel/drivers/net/veth.ko') }], outDir: out }),
  ];
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
  await writeFile(matrix, [
    'name: apt-repo',
    'profiles:',
    '  - id: apt-meta',
    apt('package: linux-image-cloud-amd64'),
    '  - id: not-a-key',
    `    kernel: { apt: { url: "${srv.base}/good", suite: fleet, keyring: not-a-key.asc, package: linux-image-cloud-amd64 } }`,
    '  - id: missing-package',
    apt('package: linux-image-nope'),
    '  - id: unreachable',
    '    kernel: { apt: { url: "http://127.0.0.1:9/ubuntu", suite: fleet, keyring: repo-key.asc, package: linux-image-cloud-amd64 } }',
    '',
  ].join('\n'));
  const cache = join(dir, 'cache');
  const report = join(dir, 'report.json');
  const args = ['collector/bin/bpfcompat.js', 'test', '--artifact', 'build/examples/pass_everywhere.bpf.o', '--matrix', matrix, '--out', report, '--no-history', '--quiet', '--jobs', '1', '--workdir', join(dir, 'work')];
  const env = { ...process.env, BPFCOMPAT_CACHE_DIR: cache, BPFCOMPAT_ACCEL: 'tcg' };
  const r = await promisify(execFile)(process.execPath, args, { encoding: 'utf8', env }).catch((e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
  const rep = Report.parse(JSON.parse(await readFile(report, 'utf8')));
  const [meta, notAKey, missing, unreachable] = rep.targets;

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

  // Refusals, each into an empty cache: nothing may be left in it.
  const refuse = async (id: string, repo: string, keyring: string, want: RegExp): Promise<void> => {
    const c = join(dir, `cache-${id}`);
    const p = Profile.parse({ id, kernel: { apt: { url: `${srv.base}/${repo}`, suite: 'fleet', package: 'linux-image-cloud-amd64', keyring } } });
    await assert.rejects(resolveKernel(p, { cacheDir: c }), (e: unknown) => {
      assert.ok(e instanceof BpfcompatError, String(e));
      assert.equal(e.code, 'INTEGRITY');
      assert.match(e.message, want);
      return true;
    });
    assert.deepEqual(await cachedKernels(c), [], `${id}: nothing cached`);
  };
  await refuse('wrong-key', 'good', other.gpgFile, /wrong-key: kernel\.apt: http:\/\/127\.0\.0\.1:\d+\/good\/dists\/fleet\/InRelease: signature check failed \(NO_PUBKEY\)/);
  await refuse('foreign-signed', 'foreign', key.gpgFile, /foreign-signed: kernel\.apt: .*\/foreign\/dists\/fleet\/InRelease: signature check failed/);
  await refuse('changed-packages', 'changed', key.gpgFile, /changed-packages: kernel\.apt: .*\/changed\/dists\/fleet\/main\/binary-amd64\/Packages\.xz \(listed in the signed InRelease\): sha256 [0-9a-f]{64} does not match/);
  await refuse('swapped-deb', 'swapped', key.gpgFile, new RegExp(`swapped-deb: kernel\\.apt: linux-image-${rel.replace(/[.+]/g, '\\$&')} .*sha256 listed in the signed fleet index\\): sha256 [0-9a-f]{64} does not match`));
  assert.deepEqual(await entries(join(dir, 'cache-changed-packages', 'apt', 'indexes')), [], 'a Packages file that does not match InRelease is not kept');
});
