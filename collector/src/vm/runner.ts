import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { ResolvedKernel } from '../kernels/types.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { buildBaseLayer, buildJobLayer, writeInitrd } from '../guest/initramfs.ts';
import { bootImagePath } from '../kernels/pvh.ts';
import { ConsoleTap } from './console-tap.ts';
import { FrameDecoder } from './frames.ts';
import { JobCollector } from './job-collector.ts';
import { startQemu, type QemuExit } from './qemu-process.ts';
import type { Accel, GuestEvent, GuestOutcome, GuestRunRequest, InfraReason } from './types.ts';

// Boots one guest for a list of jobs and turns what comes back into a GuestOutcome. Every path, including
// exceptions and aborts, ends with the QEMU process gone.

/** After a panic the guest reboots and -no-reboot ends QEMU; this is how long we wait for that. */
const PANIC_GRACE_MS = 5000;

/**
 * Boots the guest for its jobs. A kernel that panics before the guest agent reported is booted once more:
 * nothing of the jobs has run yet, and under TCG on a loaded host early boot checks can fail by timing
 * alone (seen: "IO-APIC + timer doesn't work"). The first attempt's console log is kept as console.boot1.log.
 */
export async function runGuest(req: GuestRunRequest): Promise<GuestOutcome> {
  let booted = false;
  const onEvent = (e: GuestEvent) => {
    if (e.type === 'booted') booted = true;
    req.onEvent?.(e);
  };
  const first = await runGuestOnce({ ...req, onEvent });
  if (first.kind !== 'infra_error' || first.reason !== 'panic' || booted) return first;
  await rename(first.consoleLogPath, join(req.workDir, 'console.boot1.log')).catch(() => {});
  req.onEvent?.({ type: 'console', line: `bpfcompat: the kernel panicked before the guest started (${first.message}); booting once more` });
  return runGuestOnce(req);
}

async function runGuestOnce(req: GuestRunRequest): Promise<GuestOutcome> {
  const t0 = performance.now();
  const emit = req.onEvent ?? (() => {});
  req.signal?.throwIfAborted();
  await mkdir(req.workDir, { recursive: true });
  const base = await buildBaseLayer({ kernel: req.kernel, validatorPath: req.validatorPath, cacheDir: req.cacheDir });
  if (!base.hasValidator && req.jobs.some((j) => j.kind === 'validator')) {
    throw new BpfcompatError('VALIDATOR_MISSING', 'a validator job was requested but no validator binary was given or found at validator/build/bpfcompat-validator', {
      hint: 'build it with `make -C validator` or pass its path',
    });
  }
  const initrdPath = join(req.workDir, 'initrd.cpio');
  await writeInitrd(initrdPath, base, await buildJobLayer(req.jobs));
  const consoleLogPath = join(req.workDir, 'console.log');
  const kernelPath = await bootImagePath(req.kernel, req.cacheDir);

  req.signal?.throwIfAborted();
  emit({ type: 'booting', accel: req.accel });
  const spawnedAt = performance.now();
  const qemu = startQemu({
    name: `bpfcompat-${randomBytes(6).toString('hex')}`,
    accel: req.accel,
    memoryMb: req.memoryMb,
    cpus: req.cpus,
    kernelPath,
    initrdPath,
    arch: req.kernel.arch,
    ...(req.cpu ? { cpu: req.cpu } : {}),
  });
  const tap = new ConsoleTap(consoleLogPath, (line) => emit({ type: 'console', line }));
  const decoder = new FrameDecoder();
  const collector = new JobCollector(() => performance.now(), spawnedAt, emit);

  let failure: { reason: InfraReason; message: string } | null = null;
  let aborted = false;
  const fail = (reason: InfraReason, message: string) => {
    failure ??= { reason, message };
    void qemu.stop();
  };

  qemu.console.on('data', (chunk: Buffer) => {
    tap.push(chunk);
    if (tap.panic && !failure) {
      failure = { reason: 'panic', message: tap.panic };
      setTimeout(() => void qemu.stop(), PANIC_GRACE_MS).unref();
    }
  });
  qemu.results.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) collector.accept(f);
    if (collector.corrupt) fail('channel_corrupt', collector.corrupt);
  });
  const timer = setTimeout(() => {
    const running = collector.running;
    if (!collector.booted) fail('boot_timeout', `the guest did not boot within ${req.timeoutMs} ms`);
    else fail('timeout', `the run exceeded its ${req.timeoutMs} ms budget${running ? ` during job ${running}` : ''}`);
  }, req.timeoutMs);
  const onAbort = () => {
    aborted = true;
    void qemu.stop();
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });

  let exit: QemuExit;
  try {
    exit = await qemu.exited;
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
    await qemu.stop();
    await tap.close();
  }
  req.signal?.throwIfAborted();
  if (aborted) throw new DOMException('the guest run was aborted', 'AbortError');

  const totalMs = Math.round(performance.now() - t0);
  const infra = (reason: InfraReason, message: string): GuestOutcome => ({
    kind: 'infra_error',
    accel: req.accel,
    reason,
    message,
    consoleTail: tap.tail(),
    consoleLogPath,
    jobs: collector.jobs,
    totalMs,
  });
  if (exit.spawnError) return infra('qemu_failed', `cannot start QEMU: ${exit.spawnError.message}`);
  if (failure) {
    const f = failure as { reason: InfraReason; message: string };
    return infra(f.reason, f.message);
  }
  if (collector.done) return { kind: 'completed', accel: req.accel, bootMs: collector.bootMs, totalMs, jobs: collector.jobs, consoleLogPath };
  if (!collector.booted && exit.code !== 0) return infra('qemu_failed', `QEMU exited with ${exit.code ?? exit.signal}: ${exit.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  if (!collector.booted) return infra('boot_timeout', 'the guest stopped before it reported booting');
  const running = collector.running;
  return infra('channel_lost', `the guest stopped without a done frame${running ? ` during job ${running}` : ''}${decoder.truncated ? ' (a transfer was cut off)' : ''}`);
}

/**
 * Boots the kernel with an init that powers off at once; resolves with wall ms from spawn to QEMU exit.
 * The floor for any run on this kernel and accelerator.
 */
export async function bareBoot(kernel: ResolvedKernel, accel: Accel, workDir: string, opts: { timeoutMs?: number; cacheDir?: string } = {}): Promise<number> {
  const r = await probeBoot(kernel, accel, workDir, { timeoutMs: opts.timeoutMs ?? 60_000, cacheDir: opts.cacheDir });
  if (!r.ok) throw new BpfcompatError('VM_FAILED', `bare boot of ${kernel.release} with ${accel} failed: ${r.reason}`, { hint: `see ${join(workDir, 'console.log')}` });
  return r.ms;
}

export interface ProbeResult {
  ok: boolean;
  ms: number;
  reason: string;
}

/** A bare boot that reports instead of throwing: used by the KVM probe. */
export async function probeBoot(kernel: ResolvedKernel, accel: Accel, workDir: string, opts: { timeoutMs: number; cacheDir?: string | undefined }): Promise<ProbeResult> {
  await mkdir(workDir, { recursive: true });
  const base = await buildBaseLayer({ kernel, init: 'bare', cacheDir: opts.cacheDir });
  const initrdPath = join(workDir, 'initrd-bare.cpio');
  await writeInitrd(initrdPath, base, null);
  const kernelPath = await bootImagePath(kernel, opts.cacheDir);
  const t0 = performance.now();
  const qemu = startQemu({ name: `bpfcompat-probe-${randomBytes(6).toString('hex')}`, accel, memoryMb: 256, cpus: 1, kernelPath, initrdPath, arch: kernel.arch });
  const tap = new ConsoleTap(join(workDir, 'console.log'), () => {});
  const decoder = new FrameDecoder();
  let booted = false;
  qemu.console.on('data', (c: Buffer) => tap.push(c));
  qemu.results.on('data', (c: Buffer) => {
    if (decoder.push(c).some((f) => f.type === 'booted')) booted = true;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void qemu.stop(1000);
  }, opts.timeoutMs);
  let exit: QemuExit;
  try {
    exit = await qemu.exited;
  } finally {
    clearTimeout(timer);
    await qemu.stop(1000);
    await tap.close();
  }
  const ms = Math.round(performance.now() - t0);
  if (exit.spawnError) return { ok: false, ms, reason: `cannot start QEMU: ${exit.spawnError.message}` };
  if (timedOut) return { ok: false, ms, reason: `no power-off within ${opts.timeoutMs} ms${booted ? ' (userspace was reached)' : ''}` };
  if (tap.panic) return { ok: false, ms, reason: `kernel panic: ${tap.panic}` };
  if (!booted) return { ok: false, ms, reason: `QEMU exited with ${exit.code ?? exit.signal} before userspace ran: ${exit.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  return { ok: true, ms, reason: 'booted and powered off' };
}
