import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { generateSigningKeyPair } from '../../../history/vocabulary/signing.ts';
import { writeFileAtomic } from '../infra/fs.ts';
import { parseFlags } from './args.ts';
import type { Verb } from './verb.ts';

// `bpfcompat keys generate`: an Ed25519 key pair for signing runs (history sign, test|suite --sign-key) and the
// site (site build --sign-key). Only parses flags, calls the vocabulary and prints.

const HELP = `Usage: bpfcompat keys generate --out DIR [--name bpfcompat-signing] [--json]

Writes DIR/NAME.key (Ed25519 private key, PKCS#8 PEM, mode 0600) and DIR/NAME.pub (public key, SPKI PEM) and
prints the key id (sha256 of the raw public key). Refuses to overwrite an existing key file.

Sign with the .key (bpfcompat history sign --key, test|suite|site build --sign-key); hand the .pub to whoever
verifies (history verify --trusted-key, select|fetch --trusted-key). Keep the .key in a CI secret.

Exit codes: 0 written, 1 usage or write error.`;

export const keysVerb: Verb = {
  name: 'keys',
  summary: 'generate an Ed25519 signing key pair',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'generate') throw usageError(`keys: unknown sub-command '${sub ?? ''}' (generate)`, "run 'bpfcompat keys --help'");
    const { values } = parseFlags('keys generate', rest, { out: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } });
    if (!values.out) throw usageError('keys generate: --out DIR is required', "run 'bpfcompat keys --help'");
    const name = values.name ?? 'bpfcompat-signing';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw usageError(`keys generate: --name '${name}' must be 1-64 of [A-Za-z0-9._-]`);
    const priv = join(values.out, `${name}.key`);
    const pub = join(values.out, `${name}.pub`);
    for (const p of [priv, pub]) {
      if (existsSync(p)) throw new BpfcompatError('USAGE', `keys generate: ${p} exists; nothing written`, { hint: 'choose another --out or --name; keys are never overwritten' });
    }
    const pair = generateSigningKeyPair();
    await writeFileAtomic(priv, pair.privatePem, 0o600);
    await writeFileAtomic(pub, pair.publicPem, 0o644);
    if (values.json) process.stdout.write(JSON.stringify({ key_id: pair.keyId, private_key: priv, public_key: pub }, null, 2) + '\n');
    else process.stdout.write(`key ${pair.keyId}\n  private ${priv} (keep secret)\n  public  ${pub}\n`);
    return 0;
  },
};
