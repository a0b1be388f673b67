import { readFile } from 'node:fs/promises';
import { canonicalJson, sha256Hex } from '../../../history/vocabulary/hash.ts';
import { RUN_JOB_TEMPLATE } from '../guest/initramfs.ts';
import { checkGuestArch, stageBash, stageForArch, stageGuestTools } from '../guest/tools.ts';
import type { GuestFile, GuestJob } from '../vm/types.ts';
import type { KernelArch } from '../kernels/types.ts';
import type { CommandSpec } from './command-spec.ts';

// The guest side of command mode: the job (command, env, shipped files) and the harness that runs it
// (bash, extra tools and their libraries, run-job.sh), whose content hash stands in for the validator's
// sha256 in result keys: a different bash or bpftool in the guest is a different input.

export interface CommandHarness {
  files: GuestFile[];
  /** The report's `validator` entry in command mode. */
  identity: { basename: string; sha256: string; size_bytes: number };
}

/**
 * bash, the requested tools and the shipped binary's shared libraries (not the binary: it is the input),
 * all for the guest's CPU: an arm64 guest gets Debian's bash:arm64 and aarch64 libraries, and a shipped
 * binary of another CPU is refused (naming `profiles`, the profiles of that CPU).
 */
export async function commandHarness(spec: Pick<CommandSpec, 'binary' | 'guestTools'>, where = '--guest-tool', arch: KernelArch = 'x86_64', profiles: readonly string[] = [], binaryFlag = '--bin'): Promise<CommandHarness> {
  if (spec.binary) await checkGuestArch(spec.binary.path, arch, binaryFlag, profiles);
  const files = [...(await stageBash(arch)), ...(await stageGuestTools(spec.guestTools, where, arch))];
  if (spec.binary) {
    // The binary's own entry is dropped: it is staged per job under its job directory.
    for (const f of (await stageForArch(spec.binary.path, '/bpfcompat/bin-self', arch, binaryFlag)).slice(1)) files.push(f);
  }
  const seen = new Map<string, GuestFile>();
  for (const f of files) if (!seen.has(f.guestPath)) seen.set(f.guestPath, f);
  const unique = [...seen.values()].sort((a, b) => a.guestPath.localeCompare(b.guestPath));
  let size = 0;
  const listed = await Promise.all(unique.map(async (f) => {
    const bytes = await readFile(f.hostPath!);
    size += bytes.length;
    return { path: f.guestPath, sha256: sha256Hex(bytes) };
  }));
  const runJob = await readFile(RUN_JOB_TEMPLATE);
  return {
    files: unique,
    identity: { basename: 'bpfcompat-command-harness', sha256: sha256Hex(canonicalJson({ run_job: sha256Hex(runJob), files: listed })), size_bytes: size + runJob.length },
  };
}

export const commandJobDir = (id: string): string => `/bpfcompat/jobs/${id}`;

/** One command job: the command under `bash -lc` with BPFCOMPAT_* set, its binary and artifact staged. */
export function commandJob(spec: CommandSpec, harness: CommandHarness, id: string, timeoutMs: number): GuestJob {
  const root = commandJobDir(id);
  const files: GuestFile[] = [...harness.files];
  const env: Record<string, string> = { BPFCOMPAT_BIN: '', BPFCOMPAT_ARTIFACT: '', BPFCOMPAT_REMOTE_ROOT: root };
  if (spec.binary) {
    env.BPFCOMPAT_BIN = `${root}/bin/${spec.binary.basename}`;
    files.push({ guestPath: env.BPFCOMPAT_BIN, hostPath: spec.binary.path, mode: 0o755 });
  }
  if (spec.artifact) {
    env.BPFCOMPAT_ARTIFACT = `${root}/input/${spec.artifact.basename}`;
    files.push({ guestPath: env.BPFCOMPAT_ARTIFACT, hostPath: spec.artifact.path, mode: 0o644 });
  }
  return { id, kind: 'command', command: spec.command, env, files, timeoutMs };
}

/** One harness per guest CPU among the profiles; the first profile's CPU is the primary one (the report's). */
export async function commandHarnesses(
  spec: Pick<CommandSpec, 'binary' | 'guestTools'>,
  profiles: ReadonlyArray<{ id: string; arch: KernelArch }>,
  where = '--guest-tool',
  binaryFlag = '--bin',
): Promise<{ harness: CommandHarness; harnesses: Partial<Record<KernelArch, CommandHarness>> }> {
  const arches = [...new Set(profiles.map((p) => p.arch))];
  if (arches.length === 0) arches.push('x86_64');
  const harnesses: Partial<Record<KernelArch, CommandHarness>> = {};
  for (const a of arches) harnesses[a] = await commandHarness(spec, where, a, profiles.filter((p) => p.arch === a).map((p) => p.id), binaryFlag);
  return { harness: harnesses[arches[0]!]!, harnesses };
}
