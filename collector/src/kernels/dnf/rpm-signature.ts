import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BpfcompatError } from '../../../../history/vocabulary/errors.ts';

// The rpm's own OpenPGP signature, checked by rpm itself: the profile's keys are imported into a throwaway rpm
// database and `rpmkeys --checksig` must say "signatures OK". An unsigned package ("digests OK" only) is refused
// like a wrongly signed one: the repository's metadata alone does not say who built the package.

export class RpmVerifier {
  private readonly db: string;
  private constructor(db: string) {
    this.db = db;
  }

  static async open(armoredKeys: string[], what: string): Promise<RpmVerifier> {
    const db = await mkdtemp(join(tmpdir(), 'bpfcompat-rpmdb-'));
    for (const k of armoredKeys) {
      const r = await execa('rpmkeys', ['--dbpath', db, '--import', k], { reject: false, stdin: 'ignore' });
      if (r.exitCode === undefined) {
        await rm(db, { recursive: true, force: true });
        throw new BpfcompatError('TOOL_MISSING', `cannot run rpmkeys to check ${what}: ${r.shortMessage}`, { hint: 'install rpm (apt-get install rpm)' });
      }
      if (r.exitCode !== 0) {
        await rm(db, { recursive: true, force: true });
        throw new BpfcompatError('CONFIG_INVALID', `${what}: rpm cannot import the key (${String(r.stderr).split('\n')[0]})`, { hint: 'give the repository\'s RPM-GPG-KEY file' });
      }
    }
    return new RpmVerifier(db);
  }

  /** Throws INTEGRITY unless `file` carries a signature by one of the keys and its digests match. */
  async check(file: string, what: string): Promise<void> {
    const r = await execa('rpmkeys', ['--dbpath', this.db, '--checksig', file], { reject: false, stdin: 'ignore' });
    const out = String(r.stdout).trim();
    if (r.exitCode === 0 && / signatures OK$/.test(out)) return;
    const verdict = out.replace(/^.*?: /, '') || (String(r.stderr).split('\n')[0] ?? '');
    throw new BpfcompatError('INTEGRITY', `${what}: rpm signature check failed (${/^digests OK$/.test(verdict) ? 'not signed' : verdict})`, {
      hint: 'the package is not signed by a key in the profile\'s keyring: check the keyring file, or do not use this repository',
    });
  }

  close(): Promise<void> {
    return rm(this.db, { recursive: true, force: true });
  }
}
