// End to end, hostile and faulty input against real boots: identical targets boot once, a fully reused run names
// no evidence directory that does not exist, and QEMU dies with a SIGKILLed CLI. Two real boots of debian-12 under TCG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
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

test('command mode: profiles with identical result keys run one job, and all get its verdict', { timeout: 600_000 }, () => {
  const matrix = join(dir, 'same-cmd.yaml');
  writeFileSync(matrix, `name: same\nprofiles:\n${['a', 'b', 'c'].map((id) => `  - { id: ${id}, kernel: { debian: { suite: bookworm } } }`).join('\n')}\n`);
  const out = join(dir, 'same-cmd.json');
  const work = join(dir, 'work-cmd');
  const r = bpfcompat(['test-command', '--cmd', 'true', '--matrix', matrix, '--out', out, '--no-history', '--fresh', '--quiet', '--workdir', work]);
  assert.equal(r.status, 0, r.stderr);
  const report = Report.parse(JSON.parse(readFileSync(out, 'utf8')));
  assert.deepEqual(report.targets.map((t) => `${t.profile_id}:${t.status}`), ['a:pass', 'b:pass', 'c:pass']);
  const caseDir = join(work, 'runs', report.run.id, 'cases');
  const judged = readdirSync(caseDir).flatMap((c) => readdirSync(join(caseDir, c)));
  assert.deepEqual(judged, ['a'], 'one job ran; b and c took its verdict');
  assert.equal(report.targets.filter((t) => t.notes.some((n) => /^same inputs \(result key\) as a\//.test(n))).length, 2);
});

/** Processes whose parent is `ppid`, as [pid, command name]. */
function childrenOf(ppid: number): [number, string][] {
  const out: [number, string][] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push([Number(entry), comm]);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

const alive = (pid: number): boolean => {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
    return state !== 'Z';
  } catch {
    return false;
  }
};

test('QEMU dies with a SIGKILLed bpfcompat, even while its guest runs a long job', { timeout: 300_000 }, async () => {
  const cli = spawn(process.execPath, ['collector/bin/bpfcompat.js', 'test-command', '--cmd', 'sleep 40', '--matrix', 'dev-one', '--no-history', '--fresh', '--quiet',
    '--out', join(dir, 'kill.json'), '--workdir', join(dir, 'kill-work')], { stdio: 'ignore' });
  let qemu: number | undefined;
  try {
    for (let i = 0; i < 600 && qemu === undefined; i++) {
      await sleep(100);
      // the guest of this run (its initrd is under the workdir), not a short acceleration probe
      qemu = childrenOf(cli.pid!).find(([pid, comm]) => comm.startsWith('qemu-system') && cmdline(pid).includes(join(dir, 'kill-work')))?.[0];
    }
    assert.ok(qemu !== undefined, 'the CLI started QEMU');
    await sleep(1500); // the guest is up and its job is running
    assert.ok(alive(qemu));
    process.kill(cli.pid!, 'SIGKILL');
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      await sleep(100);
      gone = !alive(qemu);
    }
    assert.ok(gone, `QEMU ${qemu} survived its parent`);
  } finally {
    if (qemu !== undefined && alive(qemu)) process.kill(qemu, 'SIGKILL');
    cli.kill('SIGKILL');
  }
});
