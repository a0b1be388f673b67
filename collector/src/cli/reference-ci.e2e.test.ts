// End to end: a CI script written for the reference tool's flags runs unchanged against bpfcompat (two real boots of
// Debian 12: a passing object as the base, a verifier rejection as the head).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const SNIPPET = `set -euo pipefail
bpfcompat version --json > version.json
bpfcompat profile list --matrix "$MATRIX" > profiles.txt
bpfcompat test --artifact "$BASE_OBJ" --matrix "$MATRIX" --out base.json --concurrency 1 --timeout 180s \\
  --artifact-name demo --artifact-version v1
set +e
bpfcompat test --artifact "$HEAD_OBJ" --matrix "$MATRIX" --out head.json --markdown head.md --concurrency 1 \\
  --timeout 180s --workdir .bpfcompat --keep-vm-on-failure --artifact-name demo --artifact-version v2 \\
  --artifact-uri https://example.org/releases/v2/demo.bpf.o
status=$?
set -e
bpfcompat compare --base-report base.json --head-report head.json --out diff.json --markdown diff.md
bpfcompat compare --artifact-name demo --base-version v1 --head-version v2 --out diff-history.json
bpfcompat report-summary --report head.json --max-targets 25 --max-failures 10 >> "$GITHUB_STEP_SUMMARY"
exit $status
`;

test('a CI script written for the reference runs unchanged', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-refci-'));
  try {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'bpfcompat'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(resolve('collector/bin/bpfcompat.js'))} "$@"\n`);
    chmodSync(join(bin, 'bpfcompat'), 0o755);
    writeFileSync(join(dir, 'ci.sh'), SNIPPET);
    const summary = join(dir, 'summary.md');
    const r = spawnSync('bash', [join(dir, 'ci.sh')], {
      cwd: dir, encoding: 'utf8',
      env: {
        ...process.env, PATH: `${bin}:${process.env.PATH}`, XDG_DATA_HOME: join(dir, 'data'), GITHUB_STEP_SUMMARY: summary,
        MATRIX: 'dev-one', BASE_OBJ: resolve('build/examples/pass_everywhere.bpf.o'), HEAD_OBJ: resolve('build/examples/verifier_rejection.bpf.o'),
      },
    });
    // The head is rejected by the verifier: the script passes the gate's exit code on.
    assert.equal(r.status, 2, r.stderr);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'version.json'), 'utf8')).version, '0.1.0');
    assert.equal(readFileSync(join(dir, 'profiles.txt'), 'utf8'), 'debian-12\n');
    const base = JSON.parse(readFileSync(join(dir, 'base.json'), 'utf8'));
    const head = JSON.parse(readFileSync(join(dir, 'head.json'), 'utf8'));
    assert.equal(base.summary.status, 'pass');
    assert.equal(base.run.jobs, 1, '--concurrency 1 is --jobs 1');
    assert.equal(head.summary.status, 'fail');
    assert.equal(head.targets[0].classification_code, 'VERIFIER_REJECTION');
    assert.equal(head.artifact.uri, 'https://example.org/releases/v2/demo.bpf.o');
    assert.equal(base.artifact.uri, undefined);
    assert.match(readFileSync(join(dir, 'head.md'), 'utf8'), /from https:\/\/example\.org\/releases\/v2\/demo\.bpf\.o/);
    for (const diffFile of ['diff.json', 'diff-history.json']) {
      const diff = JSON.parse(readFileSync(join(dir, diffFile), 'utf8'));
      assert.equal(diff.summary.regressed_profiles, 1, diffFile);
      assert.equal(diff.profiles[0].change, 'regressed', diffFile);
    }
    assert.match(r.stderr, /Diff summary: profiles=1 changed=1 improved=0 regressed=1 required_regressions=1/);
    // The job summary: bpfcompat test appended one per run, report-summary the head's once more (with details and next steps).
    const md = readFileSync(summary, 'utf8');
    assert.equal(md.match(/## bpfcompat compatibility gate: ❌ fail/g)?.length, 2);
    assert.match(md, /### Failure details\n\n- debian-12 \(6\.1\.[^,]+, required\): \*\*VERIFIER_REJECTION\*\*/);
    assert.match(md, /### Next steps\n\n- Read each failing target's verifier log/);
    // --keep-vm-on-failure kept the failed target's initramfs beside its console log; the base run (no flag, a pass) kept none.
    const runs = readdirSync(join(dir, '.bpfcompat', 'runs')).map((id) => join(dir, '.bpfcompat', 'runs', id, 'targets', 'debian-12'));
    assert.equal(runs.length, 2);
    const kept = runs.filter((d) => existsSync(join(d, 'initrd.cpio')));
    assert.equal(kept.length, 1, 'only the failed run keeps its initramfs');
    assert.ok(existsSync(join(kept[0]!, 'console.log')));
    assert.ok(runs.every((d) => existsSync(join(d, 'console.log'))), 'console logs are evidence in every run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
