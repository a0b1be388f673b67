import { z } from 'zod';

// profile.ssh: an existing machine reached over SSH (the remote-host lane). The host key is required:
// this lane never trusts a host it has not been told about.

export const SshSource = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('root'),
  /** Path of the private key (OpenSSH or PEM); relative paths are taken from the current directory, like kernel paths. */
  key: z.string().min(1),
  /** The server's public host key ("ssh-ed25519 AAAA…", as in known_hosts) or its fingerprint ("SHA256:…"). */
  host_key: z.string().min(1),
  /** Parent of the per-run scratch directory on the host (removed afterwards). */
  workdir: z.string().min(1).default('/tmp'),
  /** Run as root through sudo -n when user is not root. */
  sudo: z.boolean().default(false),
});
export type SshSource = z.infer<typeof SshSource>;
