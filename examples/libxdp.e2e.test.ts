// End to end on objects we did not write: the BPF programs Debian's libxdp1 package ships, on the five Debian
// kernels. Their verdicts are recorded here; a change in them is a change in what bpfcompat concludes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Report } from '../history/vocabulary/report-schema.ts';

const BPF_DIR = '/usr/lib/x86_64-linux-gnu/bpf'; // dpkg -L libxdp1
const ALL = ['debian-11', 'debian-12', 'debian-13', 'debian-13-backports', 'debian-sid'];

const expected: Record<string, { pass: boolean; code?: string; rootCause?: Record<string, string> }> = {
  // the multi-program dispatcher libxdp loads in front of every XDP program
  'xdp-dispatcher.o': { pass: true },
  // AF_XDP's default redirect program
  'xsk_def_xdp_prog.o': { pass: true },
  // xdp-filter's allow-all variant: pins its stats map by name, so it needs bpffs (the guest mounts it)
  'xdpfilt_alw_all.o': { pass: true },
  // xdpdump's fentry/fexit programs name the placeholder "func": the loader retargets them at the XDP program it
  // dumps (bpf_program__set_attach_target). No kernel has a function "func", so the object alone fails everywhere.
  'xdpdump_bpf.o': { pass: false, code: 'ATTACH_TARGET_MISSING', rootCause: { kind: 'attach_target', type: 'function', name: 'func' } },
};

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-libxdp-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const [object, want] of Object.entries(expected)) {
  test(`libxdp1's ${object} gets its recorded verdict on every Debian kernel`, { timeout: 300_000 }, () => {
    const path = join(BPF_DIR, object);
    assert.ok(existsSync(path), `${path} is installed by the Debian package libxdp1 (make apt)`);
    const out = join(dir, `${object}.json`);
    const md = join(dir, `${object}.md`);
    const r = spawnSync(process.execPath, ['collector/bin/bpfcompat.js', 'test', '--artifact', path, '--matrix', 'matrices/debian.yaml', '--out', out, '--markdown', md, '--no-history', '--quiet', '--workdir', join(dir, 'work')], { encoding: 'utf8' });
    const report = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.deepEqual(report.targets.filter((t) => t.status === 'infra_error').map((t) => `${t.profile_id}: ${t.infra_error}`), []);
    assert.deepEqual(report.targets.map((t) => t.profile_id), ALL);
    assert.equal(r.status, want.pass ? 0 : 2, r.stderr);
    for (const t of report.targets) {
      assert.equal(t.status, want.pass ? 'pass' : 'fail', `${t.profile_id}: ${t.classification_reason}`);
      if (want.pass) continue;
      assert.equal(t.classification_code, want.code);
      for (const [k, v] of Object.entries(want.rootCause ?? {})) assert.equal((t.root_cause as Record<string, unknown> | null)?.[k], v, `root_cause.${k}`);
    }
    if (!want.pass) {
      assert.equal(report.programs_across?.[0]?.works_from, null);
      assert.ok(readFileSync(md, 'utf8').includes('fails on every kernel of this matrix'));
    }
  });
}
