import { access, constants, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { sha256File, sha256Hex } from '../../../history/vocabulary/hash.ts';
import type { ArtifactInfo } from './artifact.ts';

// Command mode's input and identity: what runs in the guest, what counts as a pass, and the content
// address (command://<name>) that stands in for an object's sha256 in reports, result keys and history.

export interface CommandBinary {
  path: string;
  basename: string;
  sha256: string;
  sizeBytes: number;
}

export interface CommandSpec {
  /** The shell text run as one `bash -lc` operand in the guest. */
  command: string;
  expectExit: number;
  binary: CommandBinary | null;
  /** An optional .bpf.o staged beside the command as $BPFCOMPAT_ARTIFACT. */
  artifact: ArtifactInfo | null;
  /** Host tools put into the guest (names looked up on the host PATH, or paths). */
  guestTools: string[];
}

export interface CommandIdentity {
  /** command://<binary basename or 'command'> */
  identity: string;
  name: string;
  /** sha256(command + "\0expected-exit=N"): the command text itself never appears in reports. */
  invocationSha256: string;
  /** What history and result keys use as the artifact's sha256. */
  sha256: string;
}

/** Checks the command text and expected exit; errors name the flag. */
export function checkCommandText(command: string | undefined, flag: string): string {
  if (command === undefined || command.trim() === '') throw usageError(`${flag}: the command is empty`, "give the shell command to run in each guest, e.g. --cmd '$BPFCOMPAT_BIN --self-test'");
  if (command.includes('\0')) throw usageError(`${flag}: the command contains a NUL byte`);
  return command;
}

export function parseExpectExit(value: string | number | undefined, flag: string): number {
  if (value === undefined) return 0;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) > 255) throw usageError(`${flag} must be an exit code between 0 and 255, got '${text}'`);
  return Number(text);
}

/** The shipped binary: must exist, be a regular file and be executable. */
export async function inspectCommandBinary(path: string, flag: string): Promise<CommandBinary> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new BpfcompatError('FILE_NOT_FOUND', `${flag} ${path}: no such file`, { hint: 'build the loader first, or check the path' });
  }
  if (!st.isFile()) throw new BpfcompatError('FILE_NOT_FOUND', `${flag} ${path}: not a regular file`, { hint: 'pass the loader executable' });
  try {
    await access(path, constants.X_OK);
  } catch {
    throw usageError(`${flag} ${path}: not executable`, `chmod +x ${path}`);
  }
  return { path, basename: basename(path), sha256: await sha256File(path), sizeBytes: st.size };
}

/** The content address of a command run (the reference tool's rule, plus the staged object when there is one). */
export function commandIdentity(spec: Pick<CommandSpec, 'command' | 'expectExit' | 'binary' | 'artifact'>): CommandIdentity {
  const invocationSha256 = sha256Hex(`${spec.command}\0expected-exit=${spec.expectExit}`);
  let material = invocationSha256;
  if (spec.binary) material += `\0${spec.binary.sha256}`;
  if (spec.artifact) material += `\0artifact=${spec.artifact.sha256}`;
  const name = spec.binary?.basename ?? 'command';
  return { identity: `command://${name}`, name, invocationSha256, sha256: sha256Hex(material) };
}
