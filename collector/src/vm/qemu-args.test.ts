import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arm64MachineArgs, arm64SerialArgs, bootArgs, chardevArg, isolationArgs, machineArgs, qemuArgs, qemuBinary, resourceArgs, serialArgs } from './qemu-args.ts';
import { guestCpu, guestMachine, TCG_ARM64_CPU, TCG_X86_CPU } from './machine.ts';

test('machine: KVM uses the host CPU, TCG a real server class; a profile may name its own model', () => {
  assert.deepEqual(machineArgs('kvm'), ['-machine', 'pc', '-accel', 'kvm', '-cpu', 'host']);
  assert.deepEqual(machineArgs('tcg'), ['-machine', 'pc', '-accel', 'tcg', '-cpu', TCG_X86_CPU]);
  assert.deepEqual(machineArgs('tcg', 'Skylake-Server-v4'), ['-machine', 'pc', '-accel', 'tcg', '-cpu', 'Skylake-Server-v4']);
  assert.equal(guestCpu('x86_64', 'kvm'), 'host');
  assert.equal(guestCpu('arm64', 'tcg'), TCG_ARM64_CPU);
  assert.equal(guestCpu('x86_64', 'tcg', 'qemu64'), 'qemu64');
  assert.deepEqual(guestMachine('x86_64', 'tcg', 1024, 2), { cpu: TCG_X86_CPU, memory_mb: 1024, cpus: 2 });
});

test('the TCG x86_64 model is a named server CPU, not "max", and keeps cmpxchg16b', () => {
  // 7.x kernels' kmalloc_nolock() needs cmpxchg16b: without it arena maps fail with ENOMEM (a false fail).
  const [model, ...switches] = TCG_X86_CPU.split(',');
  assert.match(model!, /^EPYC-/);
  assert.ok(!switches.some((s) => /^(cx16=off|-cx16)$/.test(s)), TCG_X86_CPU);
  assert.ok(switches.every((s) => s.endsWith('=off')), 'only features TCG cannot emulate are switched, and only off');
  assert.notEqual(TCG_ARM64_CPU, 'max');
});

test('resources are validated', () => {
  assert.deepEqual(resourceArgs(512, 2), ['-m', '512', '-smp', '2']);
  assert.throws(() => resourceArgs(10, 1), /memoryMb/);
  assert.throws(() => resourceArgs(512, 0), /cpus/);
  assert.throws(() => resourceArgs(512.5, 1), /memoryMb/);
});

test('boot: kernel, initrd and a command line that sends panics to a QEMU exit', () => {
  const a = bootArgs('/k/vmlinuz', '/w/initrd.cpio', ['foo=1']);
  assert.deepEqual(a.slice(0, 4), ['-kernel', '/k/vmlinuz', '-initrd', '/w/initrd.cpio']);
  assert.equal(a[4], '-append');
  assert.deepEqual(a[5]!.split(' '), ['console=ttyS0', 'panic=-1', 'quiet', 'no_timer_check', 'foo=1']);
});

test('serial: console first (ttyS0), results second (ttyS1); paths with commas are escaped', () => {
  assert.deepEqual(serialArgs({ kind: 'stdio' }, { kind: 'fd', fd: 3 }), [
    '-chardev', 'stdio,id=console,signal=off', '-serial', 'chardev:console',
    '-chardev', 'socket,id=results,fd=3', '-serial', 'chardev:results',
  ]);
  assert.equal(chardevArg('c', { kind: 'file', path: '/tmp/a,b.log' }), 'file,id=c,path=/tmp/a,,b.log');
});

test('isolation: no devices, network, display or monitor, and no reboot', () => {
  const a = isolationArgs();
  for (const flag of ['-nodefaults', '-no-reboot']) assert.ok(a.includes(flag), flag);
  assert.deepEqual(a.slice(a.indexOf('-nic'), a.indexOf('-nic') + 2), ['-nic', 'none']);
  assert.deepEqual(a.slice(a.indexOf('-display'), a.indexOf('-display') + 2), ['-display', 'none']);
  assert.deepEqual(a.slice(a.indexOf('-monitor'), a.indexOf('-monitor') + 2), ['-monitor', 'none']);
});

test('qemuArgs composes every part, with the name marker first', () => {
  const a = qemuArgs({ name: 'bpfcompat-x', accel: 'tcg', memoryMb: 256, cpus: 1, kernelPath: '/k', initrdPath: '/i', console: { kind: 'stdio' }, results: { kind: 'fd', fd: 3 } });
  assert.deepEqual(a.slice(0, 2), ['-name', 'bpfcompat-x']);
  assert.deepEqual(a, [
    '-name', 'bpfcompat-x',
    ...isolationArgs(),
    ...machineArgs('tcg'),
    ...resourceArgs(256, 1),
    ...bootArgs('/k', '/i'),
    ...serialArgs({ kind: 'stdio' }, { kind: 'fd', fd: 3 }),
  ]);
});

test('arm64: virt board with a server core under TCG, PL011 console, results on virtio-console, hvc0 named to init', () => {
  assert.equal(qemuBinary('arm64'), 'qemu-system-aarch64');
  assert.equal(qemuBinary(), 'qemu-system-x86_64');
  assert.deepEqual(arm64MachineArgs('tcg'), ['-machine', 'virt', '-accel', 'tcg', '-cpu', TCG_ARM64_CPU]);
  assert.deepEqual(arm64MachineArgs('kvm'), ['-machine', 'virt', '-accel', 'kvm', '-cpu', 'host']);
  const a = qemuArgs({ arch: 'arm64', accel: 'tcg', memoryMb: 512, cpus: 1, kernelPath: '/k', initrdPath: '/i', console: { kind: 'stdio' }, results: { kind: 'fd', fd: 3 } });
  assert.deepEqual(a, [
    ...isolationArgs(),
    '-machine', 'virt', '-accel', 'tcg', '-cpu', TCG_ARM64_CPU,
    ...resourceArgs(512, 1),
    '-kernel', '/k', '-initrd', '/i', '-append', 'console=ttyAMA0 panic=-1 quiet bpfcompat_channel=hvc0',
    '-chardev', 'stdio,id=console,signal=off', '-serial', 'chardev:console',
    '-device', 'virtio-serial-device', '-chardev', 'socket,id=results,fd=3', '-device', 'virtconsole,chardev=results',
  ]);
  // One UART only: a second -serial would be silently dropped by the virt board.
  assert.equal(a.filter((x) => x === '-serial').length, 1);
  assert.deepEqual(arm64SerialArgs({ kind: 'stdio' }, { kind: 'fd', fd: 3 }), a.slice(a.indexOf('-chardev')));
});
