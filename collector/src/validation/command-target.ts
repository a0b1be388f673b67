import type { TargetReport } from '../../../history/vocabulary/report-schema.ts';
import type { JobOutput } from '../vm/types.ts';
import { classifyCommand } from '../classify/classify.ts';
import { targetBase, type TargetContext } from './target.ts';
import type { CommandSpec } from './command-spec.ts';

// A command-mode verdict from the job's exit code: pure. The libbpf phase is skipped; the run is one
// synthetic functional test named `command` with bounded output tails.

export const COMMAND_TAIL_BYTES = 4096;

/** The last `max` bytes of a buffer as text (a cut UTF-8 sequence at the start is dropped). */
export function byteTail(buf: Buffer | undefined, max = COMMAND_TAIL_BYTES): string {
  if (!buf || buf.length === 0) return '';
  let start = Math.max(0, buf.length - max);
  while (start < buf.length && start > 0 && (buf[start]! & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString('utf8');
}

export function targetFromCommand(ctx: TargetContext, spec: Pick<CommandSpec, 'command' | 'expectExit' | 'binary'>, job: JobOutput, timeoutMs: number): TargetReport {
  const c = classifyCommand(job.exitCode, spec.expectExit);
  // Exit 124 is both timeout(1)'s code and what the guest reports when it stopped the job at its budget.
  const timedOut = job.exitCode === 124 && job.durationMs >= timeoutMs - 1500;
  const stdout = byteTail(job.files.stdout);
  const stderr = byteTail(job.files.stderr);
  const passed = c === null;
  const notes = [
    `command mode: exit ${job.exitCode}, expected ${spec.expectExit}${timedOut ? ` (stopped at the ${Math.round(timeoutMs / 1000)} s budget)` : ''}`,
    ...(spec.binary ? [`shipped binary: ${spec.binary.basename} sha256 ${spec.binary.sha256}`] : []),
  ];
  if (c) notes.push(`classification: ${c.code} (${c.confidence})`, `remediation: ${c.remediation}`);
  return {
    ...targetBase(ctx),
    status: passed ? 'pass' : 'fail',
    failed_stage: passed ? null : 'command',
    classification_code: c?.code ?? null,
    classification_confidence: c?.confidence ?? null,
    classification_reason: c?.reason ?? '',
    remediation: c?.remediation ?? '',
    btf: { kernel_btf_available: false, artifact_has_btf: false, artifact_has_btf_ext: false },
    validation: { load_status: 'skipped', load_error_code: 0, load_error: '', attach_mode: 'disabled', attach_status: 'skipped', attach_attempted: 0, attach_passed: 0, attach_failed: 0 },
    programs: [],
    maps: [],
    functional: {
      status: passed ? 'pass' : 'fail',
      tests: [{
        name: 'command',
        required: true,
        status: passed ? 'pass' : 'fail',
        command: spec.command,
        timeout_seconds: Math.round(timeoutMs / 1000),
        expected_exit_code: spec.expectExit,
        exit_code: job.exitCode,
        timed_out: timedOut,
        duration_ms: job.durationMs,
        stdout_tail: stdout,
        stderr_tail: stderr,
        error: passed ? '' : `exit ${job.exitCode}, expected ${spec.expectExit}`,
      }],
    },
    root_cause: null,
    infra_error: null,
    console_tail: '',
    notes,
  };
}
