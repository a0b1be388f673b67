import { execa } from 'execa';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';

// A detached OpenPGP signature (repomd.xml.asc) checked with gpgv against one binary keyring.

export async function verifyDetached(file: string, signature: string, keyring: string, what: string): Promise<void> {
  const res = await execa('gpgv', ['--status-fd', '1', '--keyring', keyring, signature, file], { reject: false, stdin: 'ignore' });
  if (res.exitCode === undefined) throw new BpfcompatError('TOOL_MISSING', `cannot run gpgv to verify ${what}: ${res.shortMessage}`, { hint: 'install gpgv (apt-get install gpgv)' });
  const status = String(res.stdout);
  const bad = /^\[GNUPG:\] (BADSIG|NO_PUBKEY|EXPKEYSIG|REVKEYSIG) /m.exec(status) ?? /^\[GNUPG:\] (ERRSIG|NODATA) /m.exec(status);
  if (res.exitCode !== 0 || !/^\[GNUPG:\] GOODSIG /m.test(status) || bad) {
    throw new BpfcompatError('INTEGRITY', `${what}: signature check failed (${bad ? bad[1] : `gpgv exit ${res.exitCode}`})`, {
      hint: 'the repository metadata is not signed by the profile\'s keyring: check the keyring file, or do not use this repository',
    });
  }
}
