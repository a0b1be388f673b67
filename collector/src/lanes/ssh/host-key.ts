import { createHash, timingSafeEqual } from 'node:crypto';

// The pinned host key of an SSH lane: a public key as known_hosts writes it ("ssh-ed25519 AAAA…") or its
// OpenSSH fingerprint ("SHA256:…"). The server's key must match it exactly: these lanes never trust on
// first use.

export type HostKeyPin =
  | { kind: 'key'; type: string; blob: Buffer }
  | { kind: 'fingerprint'; sha256: string };

const KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

/** Parses ssh.host_key; throws Error naming what is wrong (the caller adds the field). */
export function parseHostKeyPin(text: string): HostKeyPin {
  const t = text.trim();
  const fp = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(t);
  if (fp) return { kind: 'fingerprint', sha256: fp[1]! };
  // Accept a whole known_hosts line too ("host ssh-ed25519 AAAA… comment"): find the type, then its key.
  const words = t.split(/\s+/);
  const i = words.findIndex((w) => KEY_TYPE.test(w));
  const b64 = i >= 0 ? words[i + 1] : undefined;
  if (i < 0 || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) {
    throw new Error('is neither a public key ("ssh-ed25519 AAAA…", as in known_hosts or ssh-keyscan output) nor a fingerprint ("SHA256:…", as ssh-keygen -lf prints)');
  }
  const blob = Buffer.from(b64, 'base64');
  // The blob starts with its own type as an SSH string; a pasted key of one type under another name is refused.
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (len < 0 || blob.subarray(4, 4 + len).toString('latin1') !== words[i]) throw new Error(`holds a ${words[i]} key whose bytes are not a ${words[i]} key`);
  return { kind: 'key', type: words[i]!, blob };
}

/** OpenSSH's fingerprint of a raw public key blob: SHA256:<base64 without padding>. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function pinMatches(pin: HostKeyPin, blob: Buffer): boolean {
  if (pin.kind === 'fingerprint') return fingerprintOf(blob) === `SHA256:${pin.sha256}`;
  return pin.blob.length === blob.length && timingSafeEqual(pin.blob, blob);
}

export function describePin(pin: HostKeyPin): string {
  return pin.kind === 'fingerprint' ? `SHA256:${pin.sha256}` : fingerprintOf(pin.blob);
}

/** Host key algorithms to offer so a server with several keys presents the pinned one. */
export function hostKeyAlgorithms(pin: HostKeyPin): string[] | null {
  if (pin.kind === 'fingerprint') return null;
  return pin.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [pin.type];
}
