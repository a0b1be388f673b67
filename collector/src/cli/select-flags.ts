import { readFileSync } from 'node:fs';
import { BpfcompatError, usageError } from '../../../history/vocabulary/errors.ts';
import { loadTrustedKey } from '../../../history/vocabulary/signing.ts';
import { evidenceFromHistory, evidenceFromSite, type EvidenceSource } from '../runtime/evidence-source.ts';
import { HostProfile } from '../runtime/host-profile.ts';
import { selectVariant, type HostFacts, type Selection } from '../runtime/select.ts';

// The flags select and fetch share (fetch adds --out-dir): one list and one parser, so the two cannot drift.

export const SELECT_FLAGS = {
  'artifact-name': { type: 'string' },
  site: { type: 'string' },
  history: { type: 'string' },
  version: { type: 'string' },
  prefer: { type: 'string' },
  host: { type: 'string' },
  'kernel-release': { type: 'string' },
  'trusted-key': { type: 'string', multiple: true },
  'require-signed': { type: 'boolean' },
  require: { type: 'string' },
  'deny-class': { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

export const SELECT_FLAGS_HELP = `  --artifact-name NAME    the artifact, as recorded (--artifact-name at test time)            (required)
  --site DIR|URL          a built site (bpfcompat site build --out DIR) or the URL it is served at
  --history H.sqlite      or a history file                                     (exactly one of --site, --history)
  --host FILE             the host's profile (bpfcompat probe --out FILE): verified by release and image sha256,
                          else predicted from its feature probes
  --kernel-release R      or only the host's kernel release (verified evidence only)  (exactly one of --host, --kernel-release)
  --version V             only this version (default: the newest version that has a choice)
  --prefer v1,v2,…        variant preference order (default: variant names in order)
  --require verified      take no predicted choice
  --deny-class CODE       take no variant with a verdict of this class (repeatable)
  --trusted-key PUB       Ed25519 public key trusted for evidence (repeatable): a site must carry a manifest signed
                          by one; from a history only runs signed by one count. Unsigned or badly signed: refused
  --require-signed        only signed runs count (any key; with --trusted-key, a trusted one)
  --json                  the decision as JSON (bpfcompat.selection.v1) with its trace`;

type Values = { [K in keyof typeof SELECT_FLAGS]?: (typeof SELECT_FLAGS)[K] extends { multiple: true } ? string[] : (typeof SELECT_FLAGS)[K] extends { type: 'boolean' } ? boolean : string };

export interface Decision {
  source: EvidenceSource;
  selection: Selection;
}

function hostFacts(values: Values, verb: string): HostFacts {
  if ((values.host === undefined) === (values['kernel-release'] === undefined)) throw usageError(`${verb}: pass exactly one of --host FILE and --kernel-release R`, `run 'bpfcompat ${verb} --help'`);
  if (values['kernel-release'] !== undefined) {
    if (!/^[A-Za-z0-9._+~-]+$/.test(values['kernel-release'])) throw usageError(`--kernel-release '${values['kernel-release']}' is not a kernel release (uname -r)`);
    return { release: values['kernel-release'], imageSha256: null, profile: null };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(values.host!, 'utf8'));
  } catch (err) {
    throw new BpfcompatError('CONFIG_INVALID', `--host ${values.host}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not JSON'}`, { hint: 'write it with bpfcompat probe --out FILE' });
  }
  const parsed = HostProfile.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new BpfcompatError('CONFIG_INVALID', `--host ${values.host}: ${i.path.join('.') || '(root)'}: ${i.message}`, { hint: 'write it with bpfcompat probe --out FILE (schema docs/schema/host-profile.schema.json)' });
  }
  const p = parsed.data;
  return { release: p.kernel.release, imageSha256: p.kernel.image === 'unknown' ? null : p.kernel.image.sha256, profile: p };
}

/** Parses the shared flags, reads the evidence and decides. */
export async function decide(values: Values, verb: string): Promise<Decision> {
  const name = values['artifact-name'];
  if (!name) throw usageError(`${verb}: --artifact-name NAME is required`, `run 'bpfcompat ${verb} --help'`);
  if ((values.site === undefined) === (values.history === undefined)) throw usageError(`${verb}: pass exactly one of --site DIR|URL and --history H.sqlite`, `run 'bpfcompat ${verb} --help'`);
  if (values.require !== undefined && values.require !== 'verified' && values.require !== 'predicted') throw usageError(`--require must be verified or predicted, got '${values.require}'`);
  const prefer = values.prefer === undefined ? [] : values.prefer.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const trusted = (values['trusted-key'] ?? []).map((p) => loadTrustedKey(p));
  const host = hostFacts(values, verb);
  const source = values.site !== undefined ? await evidenceFromSite(values.site, name, trusted) : evidenceFromHistory(values.history!, name);
  if (values.version !== undefined && !source.evidence.versions.some((v) => v.version === values.version)) {
    throw usageError(`--version ${values.version}: ${name} has no such version in ${source.location}`, `versions there: ${source.evidence.versions.map((v) => v.version).join(', ')}`);
  }
  const selection = selectVariant(source.evidence, host, {
    version: values.version, prefer, require: values.require as 'verified' | 'predicted' | undefined, denyClasses: values['deny-class'] ?? [],
    trustedKeyIds: new Set(trusted.map((k) => k.keyId)), requireSigned: values['require-signed'] ?? false,
  });
  return { source, selection };
}

/** The decision as the lines a person reads. */
export function decisionText(s: Selection): string {
  const head = s.evidence === 'none'
    ? `none: no variant of ${s.artifact} has evidence for kernel ${s.host.release}`
    : `${s.evidence}: ${s.artifact} ${s.version}${s.variant ? ` variant ${s.variant}` : ''} (sha256 ${s.artifact_sha256}) for kernel ${s.host.release}`;
  const lines = [head];
  for (const c of s.trace) lines.push(`  ${c.outcome.padEnd(9)} ${c.version}${c.variant ? `/${c.variant}` : ''}: ${c.reasons.join('; ')}`);
  return lines.join('\n');
}
