import { access, constants, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { BpfcompatError, usageError } from '../errors.ts';
import type { GuestFile } from '../vm/types.ts';
import { stageExecutable } from './closure.ts';

// Host tools put into the guest (bash for command mode, and whatever a user names with --guest-tool or
// guest_tools:, e.g. bpftool or coreutils' timeout), each with its shared-library closure. They land in
// /usr/bin, which comes before busybox's applets on the guest's PATH.

export const GUEST_BASH = '/usr/bin/bash';
const HOST_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const TOOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** The host file a tool name or path means; errors name the tool and the flag or key it came from. */
export async function locateHostTool(tool: string, where = '--guest-tool'): Promise<string> {
  if (tool.includes('/')) {
    if (!isAbsolute(tool) && !tool.startsWith('./') && !tool.startsWith('../')) throw usageError(`${where} ${tool}: give a tool name or a path`);
    if (!(await isExecutableFile(tool))) throw new BpfcompatError('FILE_NOT_FOUND', `${where} ${tool}: no such executable file`, { hint: 'check the path and that it is executable' });
    return realpath(tool);
  }
  if (!TOOL_NAME.test(tool)) throw usageError(`${where} ${tool}: not a valid tool name`);
  for (const dir of HOST_PATH) {
    const p = join(dir, tool);
    if (await isExecutableFile(p)) return realpath(p);
  }
  throw new BpfcompatError('TOOL_MISSING', `${where} ${tool}: not found on this host (looked in ${HOST_PATH.join(':')})`, {
    hint: `install it on the host (e.g. apt-get install ${tool === 'bpftool' ? 'bpftool' : `<package providing ${tool}>`}) or pass its path`,
  });
}

/** The guest files for a list of tools: each at /usr/bin/<name> with its closure. */
export async function stageGuestTools(tools: readonly string[], where = '--guest-tool'): Promise<GuestFile[]> {
  const files: GuestFile[] = [];
  for (const tool of tools) {
    const host = await locateHostTool(tool, where);
    files.push(...(await stageExecutable(host, `/usr/bin/${basename(tool)}`)));
  }
  return files;
}

/** bash and its closure, for `bash -lc` in command jobs. */
export async function stageBash(): Promise<GuestFile[]> {
  return stageExecutable(await locateHostTool('bash', 'command mode'), GUEST_BASH);
}
