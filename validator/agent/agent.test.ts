// The guest agent run on the host against a job directory it would find in the guest: fake validator and run-job
// scripts stand in for the real ones, the channel is a pipe on fd 3, and the frames are read back with the host's
// own decoder. Resets point at scratch directories, never at the host's bpffs or tracefs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FrameDecoder, type Frame } from '../../collector/src/vm/frames.ts';

const AGENT = resolve(import.meta.dirname, '../build/bpfcompat-agent');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-agent-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

interface Job {
  kind?: string;
  timeout?: number;
  args?: string[];
  files?: Record<string, string>;
}

/** Writes the jobs and the scripts, runs the agent to completion, returns its frames and exit code. */
async function runAgent(name: string, jobs: Record<string, Job>, scripts: { validator: string; runJob?: string }, extraIds: string[] = []) {
  const root = join(dir, name);
  const jobsDir = join(root, 'jobs');
  for (const [id, j] of Object.entries(jobs)) {
    const d = join(jobsDir, id);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'kind'), j.kind ?? 'validator');
    writeFileSync(join(d, 'timeout'), `${j.timeout ?? 30}\n`);
    writeFileSync(join(d, 'args'), (j.args ?? []).map((a) => `${a}\0`).join(''));
    for (const [p, text] of Object.entries(j.files ?? {})) {
      mkdirSync(join(d, p, '..'), { recursive: true });
      writeFileSync(join(d, p), text);
    }
  }
  writeFileSync(join(root, 'validator'), scripts.validator, { mode: 0o755 });
  writeFileSync(join(root, 'run-job'), scripts.runJob ?? '#!/bin/sh\nexit 127\n', { mode: 0o755 });
  writeFileSync(join(root, 'jobs.list'), [...Object.keys(jobs), ...extraIds].map((id) => `${id}\n`).join(''));
  const bpffs = join(root, 'bpffs');
  const tracefs = join(root, 'tracing');
  mkdirSync(join(bpffs, 'maps'), { recursive: true });
  writeFileSync(join(bpffs, 'maps', 'pinned'), 'x');
  writeFileSync(join(bpffs, 'prog'), 'x');
  mkdirSync(tracefs, { recursive: true });
  writeFileSync(join(tracefs, 'kprobe_events'), 'p:kprobes/leftover do_sys_open\n');

  const child = spawn(AGENT, ['--jobs-dir', jobsDir, '--validator', join(root, 'validator'), '--run-job', join(root, 'run-job'),
    '--bpffs', bpffs, '--tracefs', tracefs, '--no-net-reset', join(root, 'jobs.list')], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  let stderr = '';
  child.stdio[3]!.on('data', (c: Buffer) => frames.push(...decoder.push(c)));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  return { frames, code, stderr, root, bpffs, tracefs };
}

const files = (frames: Frame[], id: string) =>
  Object.fromEntries(frames.filter((f): f is Extract<Frame, { type: 'file' }> => f.type === 'file' && f.id === id).map((f) => [f.name, f.data.toString()]));
const endOf = (frames: Frame[], id: string) => frames.find((f): f is Extract<Frame, { type: 'job-end' }> => f.type === 'job-end' && f.id === id)?.exitCode;

test('a validator job: its exit code, stdout/stderr and every file under out/ come back, deflated and verified', async () => {
  const validator = `#!/bin/sh
[ "$1" = --args-file ] || exit 99
tr '\\0' ' ' < "$2"; echo
echo "cwd $(basename "$PWD")"
echo oops >&2
mkdir -p out/nested && printf '{"ok":true}' > out/validator-result.json && echo deep > out/nested/log.txt
exit 2
`;
  const r = await runAgent('basic', { 'j0-a': { args: ['--artifact', '/x.o', 'with space'] } }, { validator });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.frames.map((f) => f.type), ['job-start', 'file', 'file', 'file', 'file', 'job-end']);
  assert.deepEqual(files(r.frames, 'j0-a'), {
    stdout: '--artifact /x.o with space \ncwd j0-a\n',
    stderr: 'oops\n',
    'out/nested/log.txt': 'deep\n',
    'out/validator-result.json': '{"ok":true}',
  });
  assert.equal(endOf(r.frames, 'j0-a'), 2);
});

test('a job past its deadline is killed with its whole session and ends with 124; escaped daemons are killed too', async () => {
  const validator = `#!/bin/sh
grep -q slow "$2" || exit 0
trap '' TERM
# a daemon that leaves the job's session: only the agent (a child subreaper) can still find it
setsid sh -c 'echo $$ > "$PWD/daemon.pid"; exec sleep 300' &
sleep 300
`;
  const t0 = performance.now();
  const r = await runAgent('timeout', { slow: { timeout: 1, args: ['slow'] }, after: {} }, { validator });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(endOf(r.frames, 'slow'), 124);
  assert.ok(performance.now() - t0 < 20_000, 'TERM ignored: SIGKILL followed after the grace period');
  const pid = Number(readFileSync(join(r.root, 'jobs', 'slow', 'daemon.pid'), 'utf8'));
  assert.ok(pid > 0);
  assert.ok(!existsSync(`/proc/${pid}`), `daemon ${pid} still exists`);
  // the next job ran after it, in the same agent
  assert.equal(endOf(r.frames, 'after'), 0);
});

test('jobs cannot write on the channel; stdout is cut to its last 64 KiB', async () => {
  const validator = `#!/bin/sh
echo '@@BPFC job-end forged 0' >&3 && echo wrote-frame
head -c 70000 /dev/zero | tr '\\0' a
echo END
`;
  const r = await runAgent('isolation', { j: {} }, { validator });
  const out = files(r.frames, 'j');
  assert.ok(!out.stdout!.includes('wrote-frame'), 'fd 3 reached the job');
  assert.ok(!r.frames.some((f) => f.type === 'job-end' && f.id === 'forged'));
  assert.equal(out.stdout!.length, 65536);
  assert.ok(out.stdout!.endsWith('aaaaEND\n'));
  assert.match(out.stderr ?? '', /Bad file descriptor|bad file/i);
});

test('command jobs run through run-job, whose .rc is the exit code; resets empty bpffs and kprobe events; bad ids are skipped', async () => {
  const runJob = `#!/bin/sh
cd "$1" && cat command && echo 7 > .rc
exit 0
`;
  const r = await runAgent('command', { cmd: { kind: 'command', files: { command: 'echo hi' } } }, { validator: '#!/bin/sh\nexit 0\n', runJob }, ['../escape', '-x']);
  assert.equal(r.code, 0);
  assert.equal(endOf(r.frames, 'cmd'), 7);
  assert.equal(files(r.frames, 'cmd').stdout, 'echo hi');
  assert.deepEqual(r.frames.filter((f) => f.type === 'job-start').map((f) => (f as { id: string }).id), ['cmd']);
  assert.match(r.stderr, /job id "..\/escape" is not valid/);
  assert.ok(existsSync(r.bpffs), 'the bpffs mount point itself stays');
  assert.deepEqual(readFileSync(join(r.tracefs, 'kprobe_events'), 'utf8'), '\n');
  assert.ok(!existsSync(join(r.bpffs, 'prog')) && !existsSync(join(r.bpffs, 'maps')));
});

test('an unreadable job list and a lost channel each stop the agent with exit 1', async () => {
  const run = async (args: string[], closeChannel: boolean) => {
    const child = spawn(AGENT, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    if (closeChannel) child.stdio[3]!.destroy();
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((res) => child.on('close', res));
    return { code, stderr };
  };
  const unreadable = await run(['--jobs-dir', dir, '/nonexistent/jobs.list'], false);
  assert.equal(unreadable.code, 1);
  assert.match(unreadable.stderr, /cannot read \/nonexistent\/jobs.list/);
  const jobs = join(dir, 'lost');
  mkdirSync(join(jobs, 'j'), { recursive: true });
  writeFileSync(join(jobs, 'j', 'kind'), 'validator');
  writeFileSync(join(dir, 'lost.list'), 'j\n');
  const lost = await run(['--jobs-dir', jobs, '--validator', '/bin/true', '--bpffs', join(dir, 'none'), '--tracefs', join(dir, 'none'), '--no-net-reset', join(dir, 'lost.list')], true);
  assert.equal(lost.code, 1);
  assert.match(lost.stderr, /the result channel is gone/);
});
