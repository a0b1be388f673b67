// OCI artifacts without booting: references, layouts, archives and a real registry on loopback (Debian's
// docker-registry) holding bpfman and Inspektor Gadget images the test builds and pushes with skopeo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { parseArtifactReference, formatReference } from './reference.ts';
import { pullImage } from './image.ts';
import { bpfmanProgramTypes } from './program-types.ts';
import { bpfmanImage, gadgetImage, pushLayout, startRegistry, startTokenService, tarOf, writeLayout, type Registry } from './test-images.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-oci-'));
const pass = readFileSync('build/examples/pass_everywhere.bpf.o');
const reject = readFileSync('build/examples/verifier_rejection.bpf.o');
const ringbuf = readFileSync('build/examples/bpf_loop.bpf.o');
let registry: Registry;
let authRegistry: Registry;
const CREDS = { user: 'ci', password: 's3cret' };

test.before(async () => {
  writeLayout(join(dir, 'bpfman'), 'v1', [
    bpfmanImage('amd64', [{ name: 'pass.bpf.o', data: pass }, { name: 'sub/reject.bpf.o', data: reject }, { name: 'README', data: Buffer.from('not an object') }], { handle_exec: 'tracepoint', xdp_prog: 'xdp', weird: 'sk_lookup' }),
    bpfmanImage('arm64', [{ name: 'loop.bpf.o', data: ringbuf }], { loop_on_execve: 'tracepoint' }),
  ]);
  writeLayout(join(dir, 'gadget'), 'v1', [gadgetImage('amd64', pass)]);
  writeLayout(join(dir, 'amd64-only'), 'v1', [gadgetImage('amd64', pass), gadgetImage('amd64', pass, 'again')], true);
  writeLayout(join(dir, 'nobpf'), 'v1', [{ arch: 'amd64', config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}') }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', bytes: tarOf([{ name: 'etc/hello', data: Buffer.from('hi\n') }]) }] }]);
  registry = await startRegistry(join(dir, 'registry'));
  authRegistry = await startRegistry(join(dir, 'registry-auth'), CREDS);
  pushLayout(join(dir, 'bpfman'), 'v1', `${registry.host}/bpfman/demo:v1`);
  pushLayout(join(dir, 'gadget'), 'v1', `${registry.host}/gadgets/trace-demo:v1`);
  pushLayout(join(dir, 'amd64-only'), 'v1', `${registry.host}/gadgets/amd64-only:v1`);
  pushLayout(join(dir, 'nobpf'), 'v1', `${registry.host}/plain/nobpf:v1`);
  pushLayout(join(dir, 'gadget'), 'v1', `${authRegistry.host}/private/trace-demo:v1`, CREDS);
});
test.after(async () => {
  await registry?.stop();
  await authRegistry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out = join(dir, `r${Math.random().toString(16).slice(2)}.json`);
  const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'test', ...args, '--out', out, '--no-history', '--workdir', join(dir, 'work')], { encoding: 'utf8', env: { ...process.env, BPFCOMPAT_OFFLINE: '1', DOCKER_CONFIG: join(dir, 'no-docker'), ...env } });
  return { ...r, out };
}

function oneLineError(args: string[], mention: RegExp, env: NodeJS.ProcessEnv = {}) {
  const r = cli(args, env);
  assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, mention);
  assert.ok(!/\bat .*\.ts:\d+/.test(r.stderr), 'no stack trace');
  assert.ok(!existsSync(r.out), 'no report');
}

test('references: transports, registry references, and file paths', () => {
  assert.deepEqual(parseArtifactReference('oci:/x/layout:v2'), { kind: 'oci-layout', dir: '/x/layout', tag: 'v2', digest: null });
  assert.deepEqual(parseArtifactReference(`oci:/x/layout@sha256:${'a'.repeat(64)}`), { kind: 'oci-layout', dir: '/x/layout', tag: null, digest: `sha256:${'a'.repeat(64)}` });
  assert.deepEqual(parseArtifactReference('oci-archive:/x/a.tar:v1'), { kind: 'oci-archive', file: '/x/a.tar', tag: 'v1' });
  assert.deepEqual(parseArtifactReference('docker-archive:/x/a.tar'), { kind: 'docker-archive', file: '/x/a.tar' });
  assert.deepEqual(parseArtifactReference('ghcr.io/org/gadget:v0.30'), { kind: 'registry', host: 'ghcr.io', repository: 'org/gadget', tag: 'v0.30', digest: null });
  assert.deepEqual(parseArtifactReference('localhost:5000/bpf/xdp'), { kind: 'registry', host: 'localhost:5000', repository: 'bpf/xdp', tag: 'latest', digest: null });
  assert.deepEqual(parseArtifactReference('docker://quay.io/bpfman-bytecode/go-xdp-counter@sha256:' + 'b'.repeat(64)).kind, 'registry');
  assert.equal(formatReference(parseArtifactReference('quay.io/a/b')), 'quay.io/a/b:latest');
  assert.deepEqual(parseArtifactReference('build/x.bpf.o'), { kind: 'file', path: 'build/x.bpf.o' });
  assert.deepEqual(parseArtifactReference('prog.bpf.o'), { kind: 'file', path: 'prog.bpf.o' });
  assert.throws(() => parseArtifactReference('quay.io/Upper/Case'), /is not a repository name/);
  assert.throws(() => parseArtifactReference('quay.io/a/b@sha256:xyz'), /is not a sha256 digest/);
});

test('bpfman labels feed program types; unknown kinds are named', () => {
  assert.deepEqual(bpfmanProgramTypes({ 'io.ebpf.programs': '{"a":"xdp","b":"tc","c":"fentry","d":"sk_lookup"}' }), { programTypes: [{ program: 'a', type: 'xdp' }, { program: 'b', type: 'sched_cls' }, { program: 'c', type: 'tracing' }], unknown: ['d: sk_lookup'] });
  assert.deepEqual(bpfmanProgramTypes({ 'io.ebpf.program_type': 'kprobe', 'io.ebpf.bpf_function_name': 'probe' }).programTypes, [{ program: 'probe', type: 'kprobe' }]);
});

test('layouts: every BPF object of the image, the index resolved per CPU, the digest as identity', async () => {
  const amd = await pullImage(parseArtifactReference(`oci:${join(dir, 'bpfman')}:v1`), 'x86_64', { insecureHosts: [] });
  const arm = await pullImage(parseArtifactReference(`oci:${join(dir, 'bpfman')}:v1`), 'arm64', { insecureHosts: [] });
  assert.equal(amd.kind, 'bpfman');
  assert.deepEqual(amd.objects.map((o) => o.name), ['pass.bpf.o', 'sub/reject.bpf.o'], 'the README is not an object');
  assert.deepEqual(arm.objects.map((o) => o.name), ['loop.bpf.o']);
  assert.equal(amd.digest, arm.digest, 'one identity: the index digest');
  assert.notEqual(amd.manifestDigest, arm.manifestDigest);
  assert.deepEqual(amd.declared.programTypes, [{ program: 'handle_exec', type: 'tracepoint' }, { program: 'xdp_prog', type: 'xdp' }]);
  const gadget = await pullImage(parseArtifactReference(`oci:${join(dir, 'gadget')}:v1`), 'x86_64', { insecureHosts: [] });
  assert.equal(gadget.kind, 'gadget');
  assert.deepEqual(gadget.objects.map((o) => o.bytes.equals(pass)), [true]);
  assert.deepEqual(gadget.declared.programTypes, []);
});

test('archives: oci-archive and docker-archive written by skopeo', async () => {
  execFileSync('skopeo', ['copy', '--quiet', `oci:${join(dir, 'gadget')}:v1`, `oci-archive:${join(dir, 'gadget.tar')}:v1`]);
  const fromOciArchive = await pullImage(parseArtifactReference(`oci-archive:${join(dir, 'gadget.tar')}:v1`), 'x86_64', { insecureHosts: [] });
  assert.equal(fromOciArchive.kind, 'gadget');
  assert.ok(fromOciArchive.objects[0]!.bytes.equals(pass));
  mkdirSync(join(dir, 'single'), { recursive: true });
  writeLayout(join(dir, 'single'), 'v1', [bpfmanImage('amd64', [{ name: 'reject.bpf.o', data: reject }], { count_unchecked: 'tracepoint' })]);
  execFileSync('skopeo', ['copy', '--quiet', `oci:${join(dir, 'single')}:v1`, `docker-archive:${join(dir, 'docker.tar')}:bpf/single:v1`]);
  const fromDocker = await pullImage(parseArtifactReference(`docker-archive:${join(dir, 'docker.tar')}`), 'x86_64', { insecureHosts: [] });
  assert.equal(fromDocker.kind, 'bpfman');
  assert.ok(fromDocker.objects[0]!.bytes.equals(reject));
  assert.deepEqual(fromDocker.declared.programTypes, [{ program: 'count_unchecked', type: 'tracepoint' }]);
  await assert.rejects(pullImage(parseArtifactReference(`docker-archive:${join(dir, 'docker.tar')}`), 'arm64', { insecureHosts: [] }), /holds a linux\/amd64 image, not the linux\/arm64/);
});

test('registry: pulls by tag and by digest over the distribution API, blobs verified', async () => {
  const byTag = await pullImage(parseArtifactReference(`${registry.host}/bpfman/demo:v1`), 'x86_64', { insecureHosts: [registry.host] });
  assert.deepEqual(byTag.objects.map((o) => o.name), ['pass.bpf.o', 'sub/reject.bpf.o']);
  const byDigest = await pullImage(parseArtifactReference(`${registry.host}/bpfman/demo@${byTag.digest}`), 'arm64', { insecureHosts: [registry.host] });
  assert.equal(byDigest.digest, byTag.digest);
  assert.deepEqual(byDigest.objects.map((o) => o.name), ['loop.bpf.o']);
  const gadget = await pullImage(parseArtifactReference(`${registry.host}/gadgets/trace-demo:v1`), 'x86_64', { insecureHosts: [registry.host] });
  assert.equal(gadget.kind, 'gadget');
  // Without --registry-insecure the registry is spoken to over HTTPS only, which this one does not speak.
  await assert.rejects(pullImage(parseArtifactReference(`${registry.host}/bpfman/demo:v1`), 'x86_64', { insecureHosts: [] }), (err: { message: string; hint?: string }) => /cannot reach 127\.0\.0\.1/.test(err.message) && /--registry-insecure 127\.0\.0\.1:\d+ allows plain HTTP/.test(err.hint ?? ''));
});

test('credentials: docker config auths and a real credential helper', async () => {
  const cfgDir = join(dir, 'docker-auths');
  mkdirSync(cfgDir, { recursive: true });
  writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [authRegistry.host]: { auth: Buffer.from(`${CREDS.user}:${CREDS.password}`).toString('base64') } } }));
  const viaAuths = await pullImage(parseArtifactReference(`${authRegistry.host}/private/trace-demo:v1`), 'x86_64', { insecureHosts: [authRegistry.host], env: { DOCKER_CONFIG: cfgDir } });
  assert.equal(viaAuths.kind, 'gadget');
  const helperDir = join(dir, 'helper-bin');
  mkdirSync(helperDir, { recursive: true });
  writeFileSync(join(helperDir, 'docker-credential-bpftest'), `#!/bin/sh\nread host\n[ "$1" = get ] && [ "$host" = "${authRegistry.host}" ] || exit 1\nprintf '{"Username":"${CREDS.user}","Secret":"${CREDS.password}"}'\n`);
  chmodSync(join(helperDir, 'docker-credential-bpftest'), 0o755);
  const helperCfg = join(dir, 'docker-helper');
  mkdirSync(helperCfg, { recursive: true });
  writeFileSync(join(helperCfg, 'config.json'), JSON.stringify({ credHelpers: { [authRegistry.host]: 'bpftest' } }));
  const savedPath = process.env.PATH;
  process.env.PATH = `${helperDir}:${savedPath}`;
  try {
    const viaHelper = await pullImage(parseArtifactReference(`${authRegistry.host}/private/trace-demo:v1`), 'x86_64', { insecureHosts: [authRegistry.host], env: { DOCKER_CONFIG: helperCfg } });
    assert.equal(viaHelper.digest, viaAuths.digest);
  } finally {
    process.env.PATH = savedPath;
  }
});

test('bad images are one-line errors before anything boots', () => {
  const insecure = ['--registry-insecure', registry.host];
  // A wrong digest: a manifest the registry does not hold, and a layout whose blob was altered after it was written.
  oneLineError(['--artifact', `${registry.host}/bpfman/demo@sha256:${'0'.repeat(64)}`, '--matrix', 'dev-one', ...insecure], /manifest sha256:0{64} not found in 127\.0\.0\.1:\d+\/bpfman\/demo \(HTTP 404\)/);
  writeLayout(join(dir, 'tampered'), 'v1', [gadgetImage('amd64', pass)]);
  const blobs = join(dir, 'tampered', 'blobs', 'sha256');
  const layer = readdirSync(blobs).find((f) => readFileSync(join(blobs, f)).equals(pass))!;
  writeFileSync(join(blobs, layer), reject);
  oneLineError(['--artifact', `oci:${join(dir, 'tampered')}:v1`, '--matrix', 'dev-one'], /layer 0 \(application\/vnd\.gadget\.ebpf\.program\.v1\+binary\): digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:/);
  // A missing manifest (tag), an image without BPF, an index without the guests' CPU.
  oneLineError(['--artifact', `${registry.host}/bpfman/demo:v9`, '--matrix', 'dev-one', ...insecure], /manifest 'v9' not found in .*bpfman\/demo \(HTTP 404\)/);
  oneLineError(['--artifact', `oci:${join(dir, 'gadget')}:v9`, '--matrix', 'dev-one'], /the layout has no manifest for tag 'v9' \(its tags: v1\)/);
  oneLineError(['--artifact', `${registry.host}/plain/nobpf:v1`, '--matrix', 'dev-one', ...insecure], /the image holds no BPF object \(1 layer\(s\): application\/vnd\.oci\.image\.layer\.v1\.tar\)/);
  oneLineError(['--artifact', `${registry.host}/gadgets/amd64-only:v1`, '--matrix', 'dev-one-arm64', ...insecure], /the index has no linux\/arm64 manifest for the arm64 guests \(it has: amd64\)/);
  // Auth: anonymous and wrong credentials are refused by the htpasswd registry.
  oneLineError(['--artifact', `${authRegistry.host}/private/trace-demo:v1`, '--matrix', 'dev-one', '--registry-insecure', authRegistry.host], /refused access to private\/trace-demo \(HTTP 401, anonymously\)/);
  const wrong = join(dir, 'docker-wrong');
  mkdirSync(wrong, { recursive: true });
  writeFileSync(join(wrong, 'config.json'), JSON.stringify({ auths: { [authRegistry.host]: { auth: Buffer.from('ci:nope').toString('base64') } } }));
  oneLineError(['--artifact', `${authRegistry.host}/private/trace-demo:v1`, '--matrix', 'dev-one', '--registry-insecure', authRegistry.host], /HTTP 401, with the credentials for 127\.0\.0\.1:\d+ from the docker config/, { DOCKER_CONFIG: wrong });
  oneLineError(['--artifact', 'build/examples/pass_everywhere.bpf.o', '--matrix', 'dev-one', '--registry-insecure', registry.host], /--registry-insecure applies only to a registry reference/);
  // A suite case takes a one-object image; several objects are test's to run.
  writeFileSync(join(dir, 'suite.yaml'), `name: s\ndefaults: { matrix: dev-one }\ncases:\n  - { name: multi, artifact: "oci:bpfman:v1" }\n`);
  const suite = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'suite', '--suite', join(dir, 'suite.yaml'), '--no-history', '--workdir', join(dir, 'work')], { encoding: 'utf8', env: { ...process.env, BPFCOMPAT_OFFLINE: '1' } });
  assert.equal(suite.status, 1, suite.stderr);
  assert.equal(suite.stderr.trim().split('\n').length, 1, suite.stderr);
  assert.match(suite.stderr, /suite\.yaml: case multi: artifact oci:.*bpfman:v1: the image holds 2 BPF objects; a suite case takes an image with one object for one CPU \(run the image with bpfcompat test/);
});

test('anonymous bearer tokens: the registry challenges, the token service grants pull on the scope asked for', async () => {
  const tokens = await startTokenService(join(dir, 'tokens'));
  const tokenRegistry = await startRegistry(join(dir, 'registry-token'), undefined, tokens);
  try {
    // The registry refuses pushes without a push grant, so the image goes in through a plain registry's storage.
    const bare = await startRegistry(join(dir, 'registry-token'));
    pushLayout(join(dir, 'gadget'), 'v1', `${bare.host}/gadgets/trace-demo:v1`);
    await bare.stop();
    const unauth = await fetch(`http://${tokenRegistry.host}/v2/gadgets/trace-demo/manifests/v1`);
    assert.equal(unauth.status, 401);
    assert.match(unauth.headers.get('www-authenticate') ?? '', /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="bpfcompat-test-registry",scope="repository:gadgets\/trace-demo:pull"/);
    const image = await pullImage(parseArtifactReference(`${tokenRegistry.host}/gadgets/trace-demo:v1`), 'x86_64', { insecureHosts: [tokenRegistry.host], env: { DOCKER_CONFIG: join(dir, 'no-docker') } });
    assert.equal(image.kind, 'gadget');
    assert.ok(image.objects[0]!.bytes.equals(pass));
    assert.deepEqual(tokens.requests, [{ scope: 'repository:gadgets/trace-demo:pull', service: 'bpfcompat-test-registry', authorized: false }], 'one anonymous token, reused for every blob');
  } finally {
    await tokenRegistry.stop();
    await tokens.stop();
  }
});

test('screen takes a one-object image under its digest; several objects are refused in one line', () => {
  const digest = JSON.parse(readFileSync(join(dir, 'gadget', 'index.json'), 'utf8')).manifests[0].digest as string;
  const run = (ref: string) => spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'screen', '--artifact', ref, '--matrix', 'dev-one', '--offline', '--json'], { encoding: 'utf8' });
  const r = run(`oci:${join(dir, 'gadget')}:v1`);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(`sha256:${report.artifact.sha256}`, digest);
  assert.ok(readFileSync(report.artifact.path).equals(pass), 'the gadget\'s object is what was screened');
  assert.equal(report.summary.pass, 1);
  const multi = run(`oci:${join(dir, 'bpfman')}:v1`);
  assert.equal(multi.status, 1);
  assert.equal(multi.stderr.trim().split('\n').length, 1, multi.stderr);
  assert.match(multi.stderr, /the image holds 2 BPF objects; screen takes an image with one object for one CPU/);
});

test('relative and absolute paths are files, never registry references (a suite case\'s ../build/x.bpf.o)', () => {
  for (const path of ['../build/examples/pass_everywhere.bpf.o', './x/y.bpf.o', '/abs/x.bpf.o', 'build/examples/x.bpf.o']) {
    assert.deepEqual(parseArtifactReference(path), { kind: 'file', path }, path);
  }
  assert.equal(parseArtifactReference('127.0.0.1:5000/bpf/prog:v1').kind, 'registry');
});
