import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Profile } from '../config/matrix.ts';
import { laneOf, parseDuration } from '../config/matrix.ts';
import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import type { Accel, GuestFile, GuestOutcome } from '../vm/types.ts';
import { resolveKernel } from '../kernels/resolve.ts';
import { runGuest } from '../vm/runner.ts';
import { settleGuestInputs } from './guest-inputs.ts';
import { canonicalJson } from '../../../history/vocabulary/hash.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { resultKey, type ResultKeyInput } from './result-key.ts';
import { mapPool } from './pool.ts';
import { accelPerArch } from './accel-per-arch.ts';
import type { RunEventSink } from './events.ts';
import type { CaseUnit, JudgeContext } from './case-unit.ts';
import { planBoots, type BootItem } from './boot-plan.ts';
import { withProbeCache } from './probe-cache.ts';
import { loadBootTimings, orderBoots, saveBootTimings } from './boot-order.ts';
import { identifyLane, laneFailureText, laneKernel, laneMachine, runLaneJobs } from './lane-run.ts';
import type { LaneIdentity } from '../lanes/types.ts';
import { guestMachine } from '../vm/machine.ts';
import { machineOf, warningCode } from '../../../history/src/hash.ts';

// Runs many cases on many kernels with ONE BOOT PER KERNEL: every case that targets the same kernel image
// is a job of the same guest, run in turn (init.sh isolates them). When a boot dies with a job running
// (hang, panic, lost channel), the jobs that finished keep their verdicts, the running one is retried
// alone in a fresh boot and the ones that never started go on together in another boot.

export interface CasesRunInput {
  cases: CaseUnit[];
  /** Boots in parallel. */
  jobs: number;
  runDir: string;
  cacheDir?: string;
  offline?: boolean;
  /** Static validator for the guest (needed when any case validates an object). */
  validatorPath?: string | null;
  /** The validator for other guest CPUs (arm64); validatorPath serves x86_64. */
  validatorPaths?: Partial<Record<ResolvedKernel['arch'], string>>;
  /** Files staged into x86_64 boots that hold several jobs (the host's iproute2 ip/tc, for resets between jobs). */
  sharedBootFiles?: GuestFile[];
  /** A stored verdict for a key (its inputs given too, so a caller can look up a key of its own: an OCI image's). */
  reuse?: (key: string, inputs: ResultKeyInput) => TargetReport | null;
  onEvent?: RunEventSink;
  signal?: AbortSignal;
  /** Start no further boot once a required target has failed (boots already running finish). */
  stopOnFailure?: boolean;  /** Keep the guest's initramfs of a boot with a target that did not pass (--keep-vm-on-failure); otherwise it is removed. */
  keepOnFailure?: boolean;
}

export interface CasesRunResult {
  /** targets[i] belongs to cases[i], in the order of its profiles; targets not run (stopOnFailure) are left out. */
  targets: TargetReport[][];
  /** notRun[i]: the profile ids of cases[i] that were never run because of stopOnFailure. */
  notRun: string[][];
  accel: Accel | 'none';
  boots: number;
  retries: number;
}

/** Headroom for boot and power-off beyond the sum of the jobs' budgets, plus a little per job. */
const BOOT_HEADROOM_MS = 30_000;
const PER_JOB_OVERHEAD_MS = 3_000;
/** A failure before any job could run says nothing about a case: no retry. */
const BOOT_FAILURES = new Set(['qemu_failed', 'boot_timeout']);

const profileIdentity = (p: Profile): string => canonicalJson({ id: p.id, kernel: p.kernel });
export const targetLabel = (profileId: string, caseName: string): string => `${profileId}/${caseName}`;

export async function runCases(input: CasesRunInput): Promise<CasesRunResult> {
  const emit = input.onEvent ?? (() => {});
  const { cases } = input;
  emit({ type: 'plan', profiles: cases.flatMap((c) => c.profiles.map((p) => targetLabel(p.id, c.name))), jobs: input.jobs });
  const results: Array<Array<TargetReport | null>> = cases.map((c) => c.profiles.map(() => null));
  let stopped = false;
  // Targets whose result key equals an earlier pending one's run as that one's job only and take its verdict.
  const followers = new Map<string, { ci: number; pi: number; label: string; profile: Profile }[]>();
  const finish = (it: { ci: number; pi: number; label: string; key?: string }, t: TargetReport) => {
    results[it.ci]![it.pi] = t;
    if (input.stopOnFailure && t.status === 'fail' && t.required) stopped = true;
    emit({ type: 'target-done', profile: it.label, status: t.status, code: t.classification_code, ms: t.duration_ms, reused: t.reused, warning: warningCode(t) });
    for (const f of (it.key === undefined ? undefined : followers.get(it.key)) ?? []) {
      finish({ ci: f.ci, pi: f.pi, label: f.label }, { ...t, profile_id: f.profile.id, required: f.profile.required, notes: [...t.notes, `same inputs (result key) as ${it.label}: verdict and evidence of that boot`] });
    }
  };

  // 1. Each distinct profile's kernel once.
  const distinct = new Map<string, Profile>();
  for (const c of cases) for (const p of c.profiles) distinct.set(profileIdentity(p), p);
  const kernels = new Map<string, ResolvedKernel | string>();
  const identities = new Map<string, LaneIdentity>();
  await mapPool([...distinct], input.jobs, async ([id, p]) => {
    try {
      // SSH lanes (profile.ssh / profile.image): the machine's kernel identity stands in for the image sha256.
      if (laneOf(p) !== 'direct') {
        const identity = await identifyLane(p, { workDir: join(input.runDir, 'lanes', p.id), ...(input.cacheDir ? { cacheDir: input.cacheDir } : {}), ...(input.signal ? { signal: input.signal } : {}) }).catch((err: unknown) => laneFailureText(err));
        if (typeof identity !== 'string') identities.set(id, identity);
        kernels.set(id, typeof identity === 'string' ? identity : laneKernel(p, identity));
        return;
      }
      kernels.set(id, await resolveKernel(p, { cacheDir: input.cacheDir, offline: input.offline, signal: input.signal, onProgress: (message) => emit({ type: 'kernel', profile: p.id, message }) }));
    } catch (err) {
      kernels.set(id, err instanceof BpfcompatError ? err.message : String(err));
    }
  });

  // 2. Reuse stored verdicts; everything else becomes a boot item. The accelerator decides the guest machine, an
  //    input of the key, so it is decided first.
  const accels = accelPerArch(input.cacheDir, emit);
  const pending: BootItem[] = [];
  for (const [ci, c] of cases.entries()) {
    for (const [pi, profile] of c.profiles.entries()) {
      const label = targetLabel(profile.id, c.name);
      const started = new Date();
      const k = kernels.get(profileIdentity(profile))!;
      if (typeof k === 'string') {
        const unknown: ResolvedKernel = { release: 'unresolved', arch: 'x86_64', imagePath: '', imageSha256: '', modulesDir: null, configPath: null, origin: { kind: 'file', image: '' } };
        finish({ ci, pi, label }, c.infra({ profileId: profile.id, required: profile.required, resultKey: '', kernel: unknown, accel: 'tcg', machine: null, bootMs: 0, startedAt: started, finishedAt: new Date(), consoleLogPath: null }, `kernel: ${k}`, ''));
        continue;
      }
      const machine = laneOf(profile) === 'direct'
        ? guestMachine(k.arch, await accels.accelFor(k), profile.memory_mb, profile.cpus, profile.cpu)
        : laneMachine(profile, identities.get(profileIdentity(profile)));
      const keyInputs: ResultKeyInput = { ...(c.keyFor?.(k.arch) ?? c.key), kernel: k.imageSha256, machine: machineOf(machine) };
      const key = resultKey(keyInputs);
      const stored = input.reuse?.(key, keyInputs) ?? null;
      if (stored) {
        finish({ ci, pi, label }, { ...stored, profile_id: profile.id, required: profile.required, reused: true });
        continue;
      }
      const timeoutMs = profile.timeout ? parseDuration(profile.timeout) : c.timeoutMs;
      const same = followers.get(key);
      if (same) {
        same.push({ ci, pi, label, profile });
        continue;
      }
      followers.set(key, []);
      pending.push({ ci, pi, label, profile, kernel: k, key, timeoutMs, machine });
    }
  }

  // 3. One boot per kernel and machine; retries are queued as they appear.
  let boots = 0;
  let retries = 0;

  const runBoot = async (items: BootItem[], alone: boolean): Promise<Array<{ items: BootItem[]; alone: boolean }>> => {
    const n = boots++;
    const { profile, machine } = items[0]!;
    const viaLane = laneOf(profile) !== 'direct';
    let kernel = items[0]!.kernel;
    let accel: Accel | 'none' = viaLane ? (profile.ssh ? 'none' : 'tcg') : await accels.accelFor(kernel);
    const workDir = join(input.runDir, 'boots', `${String(n).padStart(3, '0')}-${profile.id}`);
    await mkdir(workDir, { recursive: true });
    const caseJobs = items.map((it, i) => cases[it.ci]!.job(`j${i}-${cases[it.ci]!.name}`.slice(0, 64), it.timeoutMs, kernel.arch));
    // Only our own direct-boot guests get the probe cache (on their RAM root); a remote host's or disk image's /run is left alone.
    const jobs = viaLane ? caseJobs : withProbeCache(caseJobs);
    if (jobs.length > 1 && kernel.arch === 'x86_64' && input.sharedBootFiles?.length) jobs[0] = { ...jobs[0]!, files: [...input.sharedBootFiles, ...jobs[0]!.files] };
    const needsValidator = items.some((it) => cases[it.ci]!.needsValidator);
    // The validator for the machine's CPU (a lane's identity carries the arch it found, e.g. an arm64 remote).
    const validatorPath = (kernel.arch === 'x86_64' ? input.validatorPath : input.validatorPaths?.[kernel.arch]) ?? null;
    emit({ type: 'target-start', profile: `${profile.id}${items.length > 1 ? ` (${items.length} cases)` : `/${cases[items[0]!.ci]!.name}`}`, release: !viaLane ? kernel.release : profile.ssh ? `${profile.ssh.host}:${profile.ssh.port}` : `disk image ${profile.image?.name ?? profile.image?.path ?? ''}` });
    const startedAt = new Date();
    const laneRun = viaLane
      ? await runLaneJobs(profile, jobs, needsValidator ? validatorPath : null, { workDir, ...(input.cacheDir ? { cacheDir: input.cacheDir } : {}), ...(input.signal ? { signal: input.signal } : {}), onEvent: (e) => {
        if (e.type === 'booted') emit({ type: 'target-booted', profile: profile.id, ms: e.ms });
      } })
      : null;
    if (laneRun) {
      kernel = laneRun.kernel ?? kernel;
      accel = laneRun.accel;
    }
    const outcome: GuestOutcome = laneRun ? laneRun.outcome : await runGuest({
      kernel,
      jobs,
      memoryMb: profile.memory_mb,
      cpus: profile.cpus,
      accel: accel as Accel,
      cpu: machine.cpu,
      timeoutMs: items.reduce((s, it) => s + it.timeoutMs + PER_JOB_OVERHEAD_MS, BOOT_HEADROOM_MS),
      workDir,
      ...(needsValidator && validatorPath ? { validatorPath } : {}),
      ...(input.cacheDir ? { cacheDir: input.cacheDir } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
      onEvent: (e) => {
        if (e.type === 'booted') emit({ type: 'target-booted', profile: profile.id, ms: e.ms });
      },
    });
    const bootMs = outcome.kind === 'completed' ? outcome.bootMs : 0;
    if (outcome.kind === 'completed' && !viaLane) timings[kernel.imageSha256] = { bootMs, jobMs: Math.round((outcome.totalMs - bootMs) / jobs.length) };
    const missing: BootItem[] = [];
    let allPassed = outcome.kind === 'completed';
    for (const [i, it] of items.entries()) {
      const c = cases[it.ci]!;
      const ctx: JudgeContext = { profileId: it.profile.id, required: it.profile.required, resultKey: it.key, kernel, accel, machine: it.machine, bootMs, startedAt, finishedAt: new Date(), consoleLogPath: outcome.consoleLogPath };
      const out = outcome.jobs.find((j) => j.id === jobs[i]!.id);
      if (out) {
        const dir = join(input.runDir, 'cases', c.name, it.profile.id);
        await mkdir(dir, { recursive: true });
        const t = await c.judge(ctx, out, dir, it.timeoutMs);
        if (t.status !== 'pass') allPassed = false;
        finish(it, alone ? { ...t, notes: [...t.notes, 'retried alone in a fresh boot after the shared boot failed'] } : t);
      } else if (outcome.kind === 'completed') {
        allPassed = false;
        finish(it, c.infra(ctx, 'the job did not report although the guest completed', ''));
      } else missing.push(it);
    }
    if (!viaLane) await settleGuestInputs(workDir, allPassed, input.keepOnFailure === true);
    if (missing.length === 0 || outcome.kind !== 'infra_error') return [];
    const why = `${outcome.reason}: ${outcome.message}`;
    // A lane session that failed is not retried: the machine, not a job, is the likely cause.
    if (alone || viaLane || items.length === 1 || (BOOT_FAILURES.has(outcome.reason) && outcome.jobs.length === 0)) {
      for (const it of missing) {
        const c = cases[it.ci]!;
        finish(it, c.infra({ profileId: it.profile.id, required: it.profile.required, resultKey: it.key, kernel, accel, machine: it.machine, bootMs, startedAt, finishedAt: new Date(), consoleLogPath: outcome.consoleLogPath }, why, outcome.consoleTail));
      }
      return [];
    }
    // The first job without a result was running when the guest died: it alone goes to a fresh boot.
    retries++;
    const [culprit, ...rest] = missing;
    return [{ items: [culprit!], alone: true }, ...(rest.length > 0 ? [{ items: rest, alone: false }] : [])];
  };

  const timings = loadBootTimings(input.cacheDir);
  const queue = orderBoots(planBoots(pending), timings).map((items) => ({ items, alone: false }));
  await new Promise<void>((resolveAll, rejectAll) => {
    let active = 0;
    const pump = () => {
      if ((queue.length === 0 || stopped) && active === 0) return resolveAll();
      while (!stopped && active < Math.max(1, input.jobs) && queue.length > 0) {
        const b = queue.shift()!;
        active++;
        runBoot(b.items, b.alone).then((more) => {
          active--;
          queue.push(...more);
          pump();
        }, rejectAll);
      }
    };
    pump();
  });
  if (boots > 0) await saveBootTimings(timings, input.cacheDir);
  return {
    targets: results.map((r) => r.filter((t): t is TargetReport => t !== null)),
    notRun: results.map((r, ci) => r.flatMap((t, pi) => (t ? [] : [cases[ci]!.profiles[pi]!.id]))),
    accel: accels.used(), boots, retries,
  };
}
