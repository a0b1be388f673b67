import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';

// The NoCloud seed: an iso9660 volume labelled 'cidata' with meta-data and user-data, read by cloud-init at
// boot. It authorises the run's client key for root and installs the run's host key, so the lane knows the
// host key before the guest exists and pins it (no trust on first use).

export interface SeedKeys {
  /** "ssh-ed25519 AAAA…" authorised for root. */
  clientPublic: string;
  /** OpenSSH-format private host key and its public half. */
  hostPrivate: string;
  hostPublic: string;
}

/** user-data as JSON (valid YAML) after the #cloud-config marker: no YAML quoting to get wrong. */
export function userData(keys: SeedKeys): string {
  const config = {
    disable_root: false,
    // No default user: only root gets the key (cloud-init's ssh module with disable_root false).
    users: [],
    ssh_pwauth: false,
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_authorized_keys: [keys.clientPublic],
    ssh_keys: { ed25519_private: keys.hostPrivate, ed25519_public: keys.hostPublic },
  };
  return `#cloud-config\n${JSON.stringify(config, null, 2)}\n`;
}

export function metaData(instanceId: string): string {
  return `${JSON.stringify({ 'instance-id': instanceId, 'local-hostname': 'bpfcompat' })}\n`;
}

/** Writes the seed files into dir and packs them into seedPath with genisoimage. */
export async function makeSeed(dir: string, seedPath: string, keys: SeedKeys, instanceId: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'user-data'), userData(keys), { mode: 0o600 });
  await writeFile(join(dir, 'meta-data'), metaData(instanceId), { mode: 0o600 });
  try {
    await execa('genisoimage', ['-quiet', '-output', seedPath, '-volid', 'cidata', '-joliet', '-rock', 'user-data', 'meta-data'], { cwd: dir, stdin: 'ignore' });
    // It holds the run's private host key.
    await chmod(seedPath, 0o600);
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new BpfcompatError('TOOL_MISSING', 'genisoimage is not installed (it makes the NoCloud seed of the image lane)', { hint: 'install Debian package genisoimage' });
    throw new BpfcompatError('VM_FAILED', `genisoimage failed: ${(e.stderr ?? String(err)).trim().split('\n')[0]}`, { cause: err });
  }
}
