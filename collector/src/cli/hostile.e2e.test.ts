// End to end, hostile and faulty input against real boots: identical targets boot once, a fully reused run names
// no evidence directory that does not exist. One real boot of debian-12 under TCG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openHistory } from '../../../history/src/index.ts';
import { Report } from '../../../history/vocabulary/report-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-hostile-e2e-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const OBJ = 'build/examples/pass_everywhere.bpf.o';

function bpfcompat(args: string[]) {
  return spawnSync(process.execPath, ['collector/bin/bpfcompat.js', ...args], { encoding: 'utf8' });
}

test('profiles with identical result keys boot once and all get the verdict; a fully reused run boots nothing', { timeout: 600_000 }, () => {
  const matrix = join(dir, 'same.yaml');
  writeFileSync(matrix, `name: same\nprofiles:\n${['a', 'b', 'c'].map((id) => `  - { id: ${id}, kernel: { debian: { suite: bookworm } } }`).join('\n')}\n`);
  const out = join(dir, 'same.json');
  const history = join(dir, 'h.sqlite');
  const work = join(dir, 'work');
  const r = bpfcompat(['test', '--artifact', OBJ, '--matrix', matrix, '--out', out, '--history', history, '--fresh', '--jobs', '2', '--workdir', work]);
  assert.equal(r.status, 0, r.stderr);
  const report = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.deepEqual(report.targets.map((t) => `${t.profile_id}:${t.status}`), ['a:pass', 'b:pass', 'c:pass']);
  assert.equal(new Set(report.targets.map((t) => t.result_key)).size, 1, 'one result key');
  const runDir = join(work, 'runs', report.run.id);
  assert.equal(readdirSync(join(runDir, 'targets')).length, 1, 'one boot: one target directory');
  assert.equal(report.targets.filter((t) => t.notes.some((n) => /^same inputs \(result key\) as /.test(n))).length, 2);
  assert.match(r.stderr, new RegExp(`evidence in ${runDir}`));
  const h = openHistory(history, { readonly: true });
  try {
    assert.equal(h.verify().ok, true);
    assert.equal(h.getRun(report.run.id)!.members.length, 3);
  } finally {
    h.close();
  }
  const again = bpfcompat(['test', '--artifact', OBJ, '--matrix', matrix, '--out', out, '--history', history, '--workdir', work]);
  assert.equal(again.status, 0, again.stderr);
  const second = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.equal(second.summary.reused, 3);
  assert.doesNotMatch(again.stderr, /evidence in/, 'no evidence directory is claimed for a run that booted nothing');
  assert.match(again.stderr, /nothing booted \(no evidence directory\)/);
});
