// End to end, no VM: the real validator's screen mode against the real BTF of the Debian matrix's kernels (resolved
// into the kernel cache, BTF extracted from the images), checked against the verdicts those kernels gave when
// booted (examples/expected.yaml, which examples.e2e.test.ts holds against real boots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ScreenReport } from '../../../history/vocabulary/screen-schema.ts';

const expected = parse(readFileSync('examples/expected.yaml', 'utf8')) as {
  examples: Record<string, { object: string; manifest?: string; verdicts: Record<string, string>; failure?: { code: string } }>;
};
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-screen-'));
// every validator run below also recomputes each candidate list with libbpf's bpf_core_add_cands() and aborts on a
// difference from its one-pass search
process.env.BPFCOMPAT_SCREEN_CHECK_CANDS = '1';
test.after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'screen', ...args], { encoding: 'utf8' });
const screen = (args: string[]): ScreenReport => {
  const out = join(dir, `s-${Math.random().toString(36).slice(2)}.json`);
  const r = cli([...args, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  return ScreenReport.parse(JSON.parse(readFileSync(out, 'utf8')));
};

test('screen never predicts pass where a boot failed, nor fail where it passed, on the examples × Debian matrix', { timeout: 600_000 }, () => {
  let cells = 0, decided = 0;
  for (const [name, ex] of Object.entries(expected.examples)) {
    const r = screen(['--artifact', ex.object, '--matrix', 'matrices/debian.yaml', ...(ex.manifest ? ['--manifest', ex.manifest] : [])]);
    assert.equal(r.evidence, 'predicted');
    for (const t of r.targets) {
      const booted = ex.verdicts[t.profile_id];
      assert.ok(booted, `${name}: ${t.profile_id} has a booted verdict`);
      cells++;
      if (t.prediction === 'unknown') continue;
      decided++;
      if (t.prediction === 'fail') {
        assert.equal(booted, 'fail', `${name} on ${t.profile_id}: predicted fail (${t.reason}) but the boot passed`);
        assert.equal(t.classification_code, ex.failure?.code, `${name} on ${t.profile_id}: the screen's code is the boot's`);
      } else if (booted === 'fail') {
        // the one class no static check decides: the verifier's own judgement (predictions assume acceptance)
        assert.equal(ex.failure?.code, 'VERIFIER_REJECTION', `${name} on ${t.profile_id}: predicted pass but the boot failed with ${ex.failure?.code}`);
      }
    }
  }
  assert.ok(decided / cells >= 0.6, `the screen decides most cells (${decided}/${cells})`);
});

test('a target in a module: found in that module\'s BTF (index built once per kernel), decided where the boot loads the module, unknown where it does not', () => {
  // veth is one of the modules the boot loads for attach tests; md_mod is loaded by nothing in the boot
  const loaded = screen(['--artifact', 'validator/build/testdata/module_loaded.bpf.o', '--matrix', 'matrices/debian.yaml']);
  const unloaded = screen(['--artifact', 'validator/build/testdata/module_unloaded.bpf.o', '--matrix', 'matrices/debian.yaml']);
  for (const [i, t] of loaded.targets.entries()) {
    const u = unloaded.targets[i]!;
    assert.ok(t.kernel.boot_modules?.includes('veth'), `${t.profile_id}: the boot's modules are known`);
    if (t.profile_id === 'debian-11') {
      // bullseye's modules carry no BTF: libbpf cannot find either target, loaded or not
      assert.deepEqual(t.kernel.modules, []);
      assert.equal(t.classification_code, 'ATTACH_TARGET_MISSING');
      assert.equal(u.prediction, 'fail');
      continue;
    }
    assert.deepEqual(t.kernel.modules, ['veth'], `${t.profile_id}: only the module holding the target is screened`);
    assert.equal(t.prediction, 'pass', `${t.profile_id}: ${t.reason}`);
    assert.deepEqual(t.programs[0]!.evidence.find((e) => e.check === 'attach_target')?.module, 'veth');
    assert.equal(u.kernel.modules?.[0], 'md_mod');
    assert.equal(u.prediction, 'unknown', `${u.profile_id}: never pass where the boot (no md_mod) fails`);
    assert.match(u.reason, /fentry target md_flush_request lives in module md_mod, which is loaded only where something loads it/);
  }
});

test('--group names one representative per set of identical facts, and kernels of one group share a prediction', () => {
  const r = screen(['--artifact', 'build/examples/bpf_loop.bpf.o', '--matrix', 'matrices/debian.yaml', '--group']);
  assert.ok(r.groups && r.groups.length < r.targets.length, 'fewer groups than kernels');
  for (const g of r.groups!) for (const m of g.members) assert.equal(r.targets.find((t) => t.profile_id === m)!.prediction, g.prediction);
  assert.equal(r.groups!.flatMap((g) => g.members).length, r.targets.length);
});

test('BTF files in BTFhub layout (.btf and .btf.tar.xz) screen like the kernels they came from; bad BTF is unknown with the reason', () => {
  const fromMatrix = screen(['--artifact', 'build/examples/core_field_renamed.bpf.o', '--matrix', 'matrices/debian.yaml', '--profile', 'debian-11', '--profile', 'debian-12']);
  const hub = join(dir, 'hub');
  const [k11, k12] = fromMatrix.targets;
  mkdirSync(join(hub, 'debian/11/x86_64'), { recursive: true });
  mkdirSync(join(hub, 'debian/12/x86_64'), { recursive: true });
  copyFileSync(k11!.kernel.btf_path!, join(hub, `debian/11/x86_64/${k11!.kernel.release}.btf`));
  copyFileSync(k12!.kernel.btf_path!, join(dir, `${k12!.kernel.release}.btf`));
  execFileSync('tar', ['-cJf', join(hub, `debian/12/x86_64/${k12!.kernel.release}.btf.tar.xz`), '-C', dir, `${k12!.kernel.release}.btf`]);
  writeFileSync(join(hub, 'debian/11/x86_64/broken.btf'), 'not btf at all');
  writeFileSync(join(hub, 'debian/11/x86_64/torn.btf.tar.xz'), 'not an archive');
  const r = screen(['--artifact', 'build/examples/core_field_renamed.bpf.o', '--btf', hub]);
  const byId = Object.fromEntries(r.targets.map((t) => [t.profile_id, t]));
  assert.deepEqual(Object.keys(byId).sort(), ['debian/11/x86_64/broken', 'debian/11/x86_64/torn', `debian/11/x86_64/${k11!.kernel.release}`, `debian/12/x86_64/${k12!.kernel.release}`].sort());
  assert.equal(byId['debian/11/x86_64/torn']!.prediction, 'unknown');
  assert.match(byId['debian/11/x86_64/torn']!.reason, /torn\.btf\.tar\.xz: not a readable \.tar\.xz/);
  assert.equal(byId[`debian/11/x86_64/${k11!.kernel.release}`]!.prediction, k11!.prediction);
  assert.equal(byId[`debian/11/x86_64/${k11!.kernel.release}`]!.classification_code, 'CORE_RELOCATION_FAILURE');
  assert.equal(byId[`debian/12/x86_64/${k12!.kernel.release}`]!.prediction, 'pass');
  assert.equal(byId['debian/11/x86_64/broken']!.prediction, 'unknown');
  assert.match(byId['debian/11/x86_64/broken']!.reason, /BTF does not parse/);
});

test('an arm64 kernel\'s BTF is found inside its compressed Image', () => {
  const r = screen(['--artifact', 'build/examples/core_field_renamed.bpf.o', '--matrix', 'matrices/debian-arm64.yaml', '--profile', 'debian-12-arm64']);
  assert.ok(r.targets[0]!.kernel.btf_path?.endsWith('.btf'), 'BTF extracted');
  assert.equal(r.targets[0]!.prediction, 'pass', r.targets[0]!.reason);
});

test('an object without .BTF.ext screens what it can and says so', () => {
  const stripped = join(dir, 'no-ext.bpf.o');
  execFileSync('llvm-objcopy', ['--remove-section=.BTF.ext', 'build/examples/bpf_loop.bpf.o', stripped]);
  const r = screen(['--artifact', stripped, '--matrix', 'matrices/debian.yaml', '--profile', 'debian-11']);
  assert.equal(r.object.has_btf_ext, false);
  assert.match(r.object.notes.join(' '), /no \.BTF\.ext/);
  assert.equal(r.targets[0]!.classification_code, 'UNSUPPORTED_HELPER', 'helpers are still screened');
});

test('bad input: one line naming the file or flag, exit 1, nothing written', () => {
  const out = join(dir, 'never.json');
  const missing = cli(['--artifact', 'build/examples/bpf_loop.bpf.o', '--btf', join(dir, 'nope.btf'), '--out', out]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /--btf .*nope\.btf: no such file/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const notElf = join(dir, 'not-elf.o');
  writeFileSync(notElf, 'hello');
  const bad = cli(['--artifact', notElf, '--btf', 'build/examples', '--out', out]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not-elf\.o/);
  const both = cli(['--artifact', 'build/examples/bpf_loop.bpf.o']);
  assert.equal(both.status, 1);
  assert.match(both.stderr, /exactly one of --matrix or --btf/);
  assert.throws(() => readFileSync(out));
});
