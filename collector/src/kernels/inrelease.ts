import { execa } from 'execa';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { parseStanza } from './deb822.ts';

// A suite's InRelease is the root of trust for everything fetched from the archive: its clearsigned
// body lists the sha256 of every index. gpgv checks the signature against Debian's archive keyring.
// Valid-Until is deliberately not enforced: this project's archive is a stored copy whose InRelease
// files are past that date; the signature still proves the content is Debian's.

export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface IndexEntry {
  sha256: string;
  size: number;
}

/**
 * Verifies a clearsigned InRelease with gpgv.
 * Throws INTEGRITY when the signature is bad or made by a key outside the keyring.
 */
export async function verifyInRelease(file: string, opts: { keyrings?: string[]; what?: string; hint?: string } = {}): Promise<void> {
  const keyrings = opts.keyrings ?? [DEBIAN_KEYRING];
  const args = ['--status-fd', '1', ...keyrings.flatMap((k) => ['--keyring', k]), file];
  // reject:false returns spawn failures too; exitCode is undefined only when gpgv never ran.
  const res = await execa('gpgv', args, { reject: false, stdin: 'ignore' });
  if (res.exitCode === undefined) {
    throw new BpfcompatError('TOOL_MISSING', `cannot run gpgv to verify ${opts.what ?? file}: ${res.shortMessage}`, {
      hint: 'install gpgv and debian-archive-keyring (apt-get install gpgv debian-archive-keyring)',
    });
  }
  const status = String(res.stdout);
  const good = /^\[GNUPG:\] GOODSIG /m.test(status);
  // NO_PUBKEY and BADSIG say more than the ERRSIG gpgv prints before them.
  const bad = /^\[GNUPG:\] (BADSIG|NO_PUBKEY|EXPKEYSIG|REVKEYSIG) /m.exec(status) ?? /^\[GNUPG:\] (ERRSIG) /m.exec(status);
  if (res.exitCode !== 0 || !good || bad) {
    const why = bad ? bad[1] : `gpgv exit ${res.exitCode}`;
    throw new BpfcompatError('INTEGRITY', `${opts.what ?? file}: signature check failed (${why})`, {
      hint: opts.hint ?? `the file is not signed by a key in ${keyrings.join(', ')}; do not use this mirror, or update debian-archive-keyring`,
    });
  }
}

/** The signed body of a clearsigned file, between the header block and the signature. */
export function signedBody(clearsigned: string): string {
  const start = clearsigned.indexOf('-----BEGIN PGP SIGNED MESSAGE-----');
  const sig = clearsigned.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  if (start < 0 || sig < 0) throw new BpfcompatError('INTEGRITY', 'InRelease is not a clearsigned file', { hint: 'check the mirror URL' });
  const afterHeader = clearsigned.indexOf('\n\n', start);
  // Dash-escaped lines ("- -foo") only occur for lines starting with '-'; undo them as OpenPGP says.
  return clearsigned.slice(afterHeader + 2, sig).replace(/^- /gm, '');
}

/** The SHA256 section of a Release body: path → { sha256, size }. */
export function parseReleaseSha256(body: string): Map<string, IndexEntry> {
  const stanza = parseStanza(body);
  const out = new Map<string, IndexEntry>();
  for (const line of (stanza.SHA256 ?? '').split('\n')) {
    const m = /^\s*([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (m) out.set(m[3]!, { sha256: m[1]!, size: Number(m[2]) });
  }
  return out;
}
