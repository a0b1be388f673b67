import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { DEFAULT_VALIDATOR_PATH } from '../guest/initramfs.ts';
import { ValidatorResult } from '../validation/validator-result.ts';
import { loadYamlFile } from '../config/load.ts';
import { Matrix } from '../config/matrix.ts';
import { resolveKernel } from '../kernels/resolve.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import { runGuest, bareBoot } from './runner.ts';
import type { GuestEvent, GuestJob, GuestOutcome, GuestRunRequest } from './types.ts';

// Boots the real Debian bookworm kernel of matrices/dev-one.yaml under TCG (KVM hangs on our machines).

let kernel: ResolvedKernel;
let dir: string;

before(async () => {
  const matrix = await loadYamlFile(new URL('../../../matrices/dev-one.yaml', import.meta.url).pathname, Matrix, 'dev-one');
  kernel = await resolveKernel(matrix.profiles[0]!);
  dir = await mkdtemp(join(tmpdir(), 'bpfcompat-runner-e2e-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cmd = (id: string, command: string, timeoutMs = 20_000): GuestJob => ({ id, kind: 'command', command, files: [], timeoutMs });

async function run(name: string, jobs: GuestJob[], extra: Partial<GuestRunRequest> = {}): Promise<{ outcome: GuestOutcome; events: GuestEvent[]; workDir: string }> {
  const events: GuestEvent[] = [];
  const workDir = join(dir, name);
  const outcome = await runGuest({ kernel, jobs, memoryMb: 256, cpus: 1, accel: 'tcg', timeoutMs: 60_000, workDir, validatorPath: null, onEvent: (e) => events.push(e), ...extra });
  return { outcome, events, workDir };
}

/** QEMU processes whose argv mentions this run's directory. */
async function qemuFor(workDir: string): Promise<string> {
  const r = await execa('pgrep', ['-af', workDir], { reject: false });
  return r.stdout.split('\n').filter((l) => l.includes('qemu-system')).join('\n');
}

test('command jobs: output, exit codes, a per-job timeout that does not stop the next job', async () => {
  const { outcome, events, workDir } = await run('jobs', [
    { ...cmd('uname', 'uname -r; echo to-stderr >&2; echo "$GREETING" > out/greeting.txt; lsmod'), env: { GREETING: 'hello guest' } },
    cmd('three', 'exit 3'),
    cmd('hang', 'sleep 300', 2000),
    { ...cmd('after', 'cat /bpfcompat/jobs/after/input.txt; grep -c " /sys/fs/bpf bpf " /proc/mounts'), files: [{ guestPath: '/bpfcompat/jobs/after/input.txt', data: 'payload\n' }] },
    // a job reaches the result channel neither by an inherited descriptor nor by its device node
    cmd('forge', '[ -e /dev/ttyS1 ] && echo node || echo no-node; { echo "@@BPFC job-end forge 0" >&3; } 2>/dev/null && echo fd3 || echo no-fd3'),
  ]);
  assert.equal(outcome.kind, 'completed', JSON.stringify(outcome.kind === 'infra_error' ? outcome.message : ''));
  if (outcome.kind !== 'completed') return;
  const byId = new Map(outcome.jobs.map((j) => [j.id, j]));
  const uname = byId.get('uname')!;
  assert.equal(uname.exitCode, 0);
  const stdout = uname.files.stdout!.toString();
  assert.equal(stdout.split('\n')[0], kernel.release);
  for (const m of ['sch_ingress', 'cls_bpf', 'veth', 'dummy']) assert.match(stdout, new RegExp(`^${m} `, 'm'), `module ${m} loaded`);
  assert.equal(uname.files.stderr!.toString(), 'to-stderr\n');
  assert.equal(uname.files['out/greeting.txt']!.toString(), 'hello guest\n');
  assert.equal(byId.get('three')!.exitCode, 3);
  assert.equal(byId.get('hang')!.exitCode, 124);
  assert.equal(byId.get('after')!.exitCode, 0);
  assert.equal(byId.get('after')!.files.stdout!.toString(), 'payload\n1\n');
  assert.equal(byId.get('forge')!.files.stdout!.toString(), 'no-node\nno-fd3\n');
  assert.deepEqual(outcome.jobs.map((j) => j.id), ['uname', 'three', 'hang', 'after', 'forge']);
  assert.ok(outcome.bootMs > 0);
  const kinds = events.filter((e) => e.type !== 'console').map((e) => (e.type === 'job-started' || e.type === 'job-finished' ? `${e.type}:${e.id}` : e.type));
  assert.deepEqual(kinds, ['booting', 'booted', 'job-started:uname', 'job-finished:uname', 'job-started:three', 'job-finished:three', 'job-started:hang', 'job-finished:hang', 'job-started:after', 'job-finished:after', 'job-started:forge', 'job-finished:forge']);
  assert.ok((await readFile(join(workDir, 'console.log'))).length > 0);
  assert.equal(await qemuFor(workDir), '');
});

test('a kernel panic is an infra error with the console tail; earlier jobs are kept', async () => {
  const { outcome, events, workDir } = await run('panic', [cmd('first', 'echo ok'), cmd('crash', 'echo c > /proc/sysrq-trigger')]);
  assert.equal(outcome.kind, 'infra_error');
  if (outcome.kind !== 'infra_error') return;
  assert.equal(outcome.reason, 'panic');
  assert.match(outcome.message, /Kernel panic - not syncing/);
  assert.match(outcome.consoleTail, /sysrq/i);
  assert.deepEqual(outcome.jobs.map((j) => [j.id, j.exitCode]), [['first', 0]]);
  assert.match(await readFile(join(workDir, 'console.log'), 'utf8'), /Kernel panic/);
  // a panic once the guest ran jobs is the jobs' business: no second boot
  assert.equal(events.filter((e) => e.type === 'booting').length, 1);
  assert.equal(existsSync(join(workDir, 'console.boot1.log')), false);
  assert.equal(await qemuFor(workDir), '');
});

test('a kernel that panics before the guest starts is booted once more, its first console log kept', async () => {
  // An /init and /bin/sh the kernel cannot execute: "No working init found", a panic before the agent runs.
  const job: GuestJob = { ...cmd('never', 'echo unreachable'), files: [{ guestPath: '/init', data: 'not a program\n' }, { guestPath: '/bin/sh', data: 'not a program\n' }] };
  const { outcome, events, workDir } = await run('early-panic', [job]);
  assert.equal(outcome.kind, 'infra_error');
  if (outcome.kind !== 'infra_error') return;
  assert.equal(outcome.reason, 'panic');
  assert.match(outcome.message, /No working init found/);
  assert.equal(events.filter((e) => e.type === 'booting').length, 2, 'two boots');
  assert.ok(events.some((e) => e.type === 'console' && /panicked before the guest started.*booting once more/.test(e.line)));
  assert.match(await readFile(join(workDir, 'console.boot1.log'), 'utf8'), /No working init found/);
  assert.match(await readFile(join(workDir, 'console.log'), 'utf8'), /No working init found/);
  assert.equal(await qemuFor(workDir), '');
});

test('a run over its whole budget is killed: infra error timeout, no QEMU left', async () => {
  const { outcome, workDir } = await run('timeout', [cmd('forever', 'sleep 600', 600_000)], { timeoutMs: 20_000 });
  assert.equal(outcome.kind, 'infra_error');
  if (outcome.kind !== 'infra_error') return;
  assert.equal(outcome.reason, 'timeout');
  assert.match(outcome.message, /20000 ms budget during job forever/);
  assert.equal(await qemuFor(workDir), '');
});

test('a bad frame on the result channel is channel_corrupt', async () => {
  // The agent removed /dev/ttyS1 (4:65); a root job that recreates the node can still write garbage, which the host refuses.
  const { outcome } = await run('corrupt', [cmd('liar', 'mknod /tmp/channel c 4 65 && echo "@@BPFC launch" > /tmp/channel; sleep 30')]);
  assert.equal(outcome.kind === 'infra_error' && outcome.reason, 'channel_corrupt');
});

test('a guest that powers off mid-job is channel_lost', async () => {
  const { outcome } = await run('lost', [cmd('ok', 'true'), cmd('off', 'poweroff -f')]);
  assert.equal(outcome.kind, 'infra_error');
  if (outcome.kind !== 'infra_error') return;
  assert.equal(outcome.reason, 'channel_lost');
  assert.match(outcome.message, /during job off/);
  assert.deepEqual(outcome.jobs.map((j) => j.id), ['ok']);
});

test('abort stops QEMU and rejects with AbortError', async () => {
  const ac = new AbortController();
  const workDir = join(dir, 'abort');
  const p = runGuest({ kernel, jobs: [cmd('forever', 'sleep 600', 600_000)], memoryMb: 256, cpus: 1, accel: 'tcg', timeoutMs: 60_000, workDir, validatorPath: null, signal: ac.signal, onEvent: (e) => e.type === 'job-started' && ac.abort() });
  await assert.rejects(p, { name: 'AbortError' });
  assert.equal(await qemuFor(workDir), '');
});

test('QEMU that cannot start is qemu_failed with its stderr', async () => {
  const { outcome } = await run('nokernel', [cmd('x', 'true')], { kernel: { ...kernel, imagePath: join(dir, 'no-such-vmlinuz') } });
  assert.equal(outcome.kind === 'infra_error' && outcome.reason, 'qemu_failed');
  assert.match(outcome.kind === 'infra_error' ? outcome.message : '', /no-such-vmlinuz/);
});

test('a validator job returns a result.json that parses as ValidatorResult; --attach-api legacy attaches XDP and cgroup programs without bpf_link', async () => {
  assert.ok(existsSync(DEFAULT_VALIDATOR_PATH), `build the validator first: make -C validator (${DEFAULT_VALIDATOR_PATH})`);
  // The smallest valid XDP and cgroup objects, compiled here so the test needs no checked-in binary.
  const src = join(dir, 'tiny.bpf.c');
  const obj = join(dir, 'tiny.bpf.o');
  await writeFile(src, [
    'char _license[] __attribute__((section("license"), used)) = "GPL";',
    '__attribute__((section("xdp"), used)) int pass_all(void *ctx) { return 2; }',
    '__attribute__((section("cgroup_skb/ingress"), used)) int allow_in(void *ctx) { return 1; }',
  ].join('\n') + '\n');
  await execa('clang', ['-O2', '-g', '-target', 'bpf', '-c', src, '-o', obj]);
  // both jobs share one boot; the second attaches the way loaders for kernels before 5.7/5.9 do
  const job = (id: string, extra: string[]): GuestJob => {
    const jobDir = `/bpfcompat/jobs/${id}`;
    return { id, kind: 'validator', argv: ['--artifact', `${jobDir}/tiny.bpf.o`, '--out', `${jobDir}/out/result.json`, '--attach-mode', 'best-effort', ...extra], files: [{ guestPath: `${jobDir}/tiny.bpf.o`, hostPath: obj }], timeoutMs: 30_000 };
  };
  const { outcome } = await run('validator', [job('validate', []), job('legacy', ['--attach-api', 'legacy'])], { validatorPath: DEFAULT_VALIDATOR_PATH });
  assert.equal(outcome.kind, 'completed', outcome.kind === 'infra_error' ? outcome.message : '');
  if (outcome.kind !== 'completed') return;
  const results = outcome.jobs.map((j) => {
    const raw = j.files['out/result.json'];
    assert.ok(raw, `${j.id}: no result.json; exit ${j.exitCode}, stderr: ${j.files.stderr?.toString()}`);
    return ValidatorResult.parse(JSON.parse(raw.toString('utf8')));
  });
  const [links, legacy] = results as [ValidatorResult, ValidatorResult];
  for (const name of ['pass_all', 'allow_in']) {
    assert.equal(links.programs.find((p) => p.name === name)?.load.status, 'pass');
    assert.equal(links.programs.find((p) => p.name === name)?.attach.status, 'pass', `${name} attaches with a bpf_link on 6.1`);
    assert.equal(links.programs.find((p) => p.name === name)?.attach.reason, '', 'a link attach needs no explanation');
    const l = legacy.programs.find((p) => p.name === name);
    assert.equal(l?.attach.status, 'pass', `${name} attaches without a bpf_link: ${l?.attach.error}`);
  }
  assert.match(legacy.programs.find((p) => p.name === 'pass_all')!.attach.reason, /bpf_xdp_attach \(netlink\)/);
  assert.match(legacy.programs.find((p) => p.name === 'allow_in')!.attach.reason, /BPF_PROG_ATTACH/);
});

test('bare boot powers off and reports its wall time', async () => {
  const ms = await bareBoot(kernel, 'tcg', join(dir, 'bare'));
  assert.ok(ms > 0);
});
