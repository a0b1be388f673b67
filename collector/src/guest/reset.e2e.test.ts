// End to end in a real VM: what one job of a boot attaches (generic XDP and clsact on lo, pinned objects) does
// not survive into the next job — init.sh's reset between jobs, with the staged iproute2 called by path
// (busybox sh would run its own ip/tc applets, which cannot detach XDP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadMatrix } from '../config/matrix.ts';
import { resolveKernel } from '../kernels/resolve.ts';
import { runGuest } from '../vm/runner.ts';
import type { GuestFile, GuestJob } from '../vm/types.ts';
import { stageGuestTools } from './tools.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-reset-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('XDP, clsact and pins of one job are gone when the next job of the boot starts', { timeout: 180_000 }, async () => {
  const obj = join(dir, 'xdp_pass.bpf.o');
  const multiarch = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-I${join(ROOT, 'validator/build/libbpf/include')}`, `-I/usr/include/${multiarch}`, '-c', join(ROOT, 'collector/src/cli/testdata/xdp_pass.bpf.c'), '-o', obj]);
  const profile = (await loadMatrix(join(ROOT, 'matrices/debian.yaml'))).profiles.find((p) => p.id === 'debian-12')!;
  const kernel = await resolveKernel(profile);
  const tools = await stageGuestTools(['ip', 'tc', 'bpftool']);
  const job = (id: string, command: string, files: GuestFile[] = []): GuestJob => ({ id, kind: 'command', command, files, timeoutMs: 30_000 });
  const B = '/usr/bin';
  const out = await runGuest({
    kernel, memoryMb: profile.memory_mb, cpus: profile.cpus, accel: 'tcg', timeoutMs: 150_000, workDir: join(dir, 'boot'),
    jobs: [
      job('attach', `set -e; ${B}/ip link set dev lo xdpgeneric obj /x.o sec xdp; ${B}/tc qdisc add dev lo clsact; ${B}/bpftool map create /sys/fs/bpf/m type array key 4 value 4 entries 1 name m; ${B}/ip link show lo; ${B}/tc qdisc show dev lo; ls /sys/fs/bpf`,
        [...tools, { guestPath: '/x.o', hostPath: obj }]),
      job('next', `${B}/ip link show lo; ${B}/tc qdisc show dev lo; echo "pins: $(ls /sys/fs/bpf)"`),
    ],
  });
  assert.equal(out.kind, 'completed');
  const [attach, next] = out.jobs;
  const text = (j: typeof attach) => j?.files.stdout?.toString('utf8') ?? '';
  assert.equal(attach?.exitCode, 0, text(attach) + (attach?.files.stderr?.toString() ?? ''));
  assert.match(text(attach), /xdpgeneric/, 'the first job attached XDP');
  assert.match(text(attach), /clsact/);
  assert.match(text(attach), /^m$/m, 'and pinned a map');
  assert.equal(next?.exitCode, 0);
  assert.doesNotMatch(text(next), /xdp/, 'XDP detached');
  assert.doesNotMatch(text(next), /clsact/, 'clsact removed');
  assert.match(text(next), /^pins: $/m, 'pins removed');
  assert.match(text(next), /<LOOPBACK,UP/, 'lo is up');
});
