import type { ArtifactEvidence, KernelVerdict, VariantEvidence } from '../../../history/vocabulary/evidence-schema.ts';
import type { HostProfile } from './host-profile.ts';

// The runtime decision (`bpfcompat select`): for one host, the most preferred variant of an artifact whose evidence
// says it works there. Pure: evidence, host and policy in, a decision with its trace out.
//   verified   the variant passed on a booted kernel with the host's release (and image sha256, when the host's is known)
//   predicted  no such kernel was booted, but everything the variant uses and every root cause it failed on
//              elsewhere is present in the host's profile
//   none       neither, for every candidate
// Within a version a verified candidate beats a predicted one, then --prefer order; versions are tried newest first.

export const SELECTION_SCHEMA = 'bpfcompat.selection.v1';

export type EvidenceLevel = 'verified' | 'predicted' | 'none';

export interface HostFacts {
  release: string;
  /** the kernel image's sha256 when known (a host profile that could read /boot/vmlinuz-<release>) */
  imageSha256: string | null;
  profile: HostProfile | null;
}

export interface SelectPolicy {
  version?: string | undefined;
  prefer?: readonly string[] | undefined;
  /** 'verified': a predicted candidate is not taken */
  require?: 'verified' | 'predicted' | undefined;
  /** a candidate with any verdict of these classes is not taken */
  denyClasses?: readonly string[] | undefined;
  /** key ids trusted for signed evidence; with it (or requireSigned) verdicts of other runs are not evidence */
  trustedKeyIds?: ReadonlySet<string> | undefined;
  requireSigned?: boolean | undefined;
}

export interface Candidate {
  version: string;
  variant: string | null;
  artifact_sha256: string;
  outcome: 'verified' | 'predicted' | 'rejected';
  /** why it was (or was not) taken, one line each */
  reasons: string[];
  /** the verdict a verified outcome rests on */
  kernel: { profile_id: string; release: string; sha256: string; run_id: string } | null;
}

export interface Selection {
  schema_version: typeof SELECTION_SCHEMA;
  artifact: string;
  host: { release: string; image_sha256: string | null; profile: boolean };
  evidence: EvidenceLevel;
  version: string | null;
  variant: string | null;
  artifact_sha256: string | null;
  kernel: Candidate['kernel'];
  policy: { version: string | null; prefer: string[]; require: string; deny_classes: string[]; signed: 'required' | 'not required'; trusted_keys: string[] };
  /** every candidate considered, in the order they were, and the one taken (if any) */
  trace: Candidate[];
}

/** Root-cause kinds a host profile can answer; any other kind of failure cannot be ruled out on an unbooted kernel. */
const CHECKABLE_CAUSES = new Set(['helper', 'map_type', 'program_type', 'btf']);

/** Program types whose helpers the probes ask through raw_tracepoint (as the validator does). */
const HELPER_PROXY: Record<string, string> = { tracing: 'raw_tracepoint', lsm: 'raw_tracepoint', ext: 'raw_tracepoint', struct_ops: 'raw_tracepoint' };

function hostHelper(profile: HostProfile, programType: string, helper: string): string {
  if (profile.helpers === 'unknown') return 'unknown';
  const table = profile.helpers[HELPER_PROXY[programType] ?? programType];
  return table ? (table[helper] ?? 'unknown') : 'unknown';
}

function typeStatus(table: HostProfile['map_types'], name: string): string {
  return table === 'unknown' ? 'unknown' : (table[name] ?? 'unknown');
}

/** Whether one thing the variant needs is present on the host: null when it is, else the reason it is not. */
function missingOnHost(profile: HostProfile, need: { kind: string; name: string; type?: string | undefined }): string | null {
  switch (need.kind) {
    case 'helper': {
      const type = need.type ?? '';
      const s = hostHelper(profile, type, need.name);
      return s === 'supported' ? null : `helper ${need.name} for ${type || 'its program type'} is ${s} on the host`;
    }
    case 'map_type': {
      const s = typeStatus(profile.map_types, need.name);
      return s === 'supported' ? null : `map type ${need.name} is ${s} on the host`;
    }
    case 'program_type': {
      const s = typeStatus(profile.program_types, need.name);
      return s === 'supported' ? null : `program type ${need.name} is ${s} on the host`;
    }
    case 'btf':
      return profile.btf.available ? null : 'the host has no kernel BTF';
    default:
      return `a ${need.kind} root cause (${need.name}) cannot be checked against a host profile`;
  }
}

function trusted(run: string, v: VariantEvidence, policy: SelectPolicy): boolean {
  const keys = v.runs[run] ?? [];
  if (policy.trustedKeyIds && policy.trustedKeyIds.size > 0) return keys.some((k) => policy.trustedKeyIds!.has(k));
  return policy.requireSigned ? keys.length > 0 : true;
}

function judge(version: string, v: VariantEvidence, host: HostFacts, policy: SelectPolicy): Candidate {
  const c: Candidate = { version, variant: v.variant, artifact_sha256: v.artifact_sha256, outcome: 'rejected', reasons: [], kernel: null };
  const signedOnly = (policy.trustedKeyIds?.size ?? 0) > 0 || policy.requireSigned === true;
  const kernels: KernelVerdict[] = v.kernels.filter((k) => trusted(k.run_id, v, policy));
  if (kernels.length < v.kernels.length) c.reasons.push(`${v.kernels.length - kernels.length} verdict(s) ignored: their run is not signed by a trusted key`);
  if (signedOnly && kernels.length === 0) {
    c.reasons.push('no signed evidence');
    return c;
  }
  const denied = kernels.filter((k) => k.classification_code !== null && policy.denyClasses?.includes(k.classification_code));
  if (denied.length > 0) {
    c.reasons.push(`denied class ${denied[0]!.classification_code} (on ${denied[0]!.profile_id})`);
    return c;
  }
  // Verified: a booted kernel with the host's release (and image, when the host's image is known).
  const sameRelease = kernels.filter((k) => k.kernel_release === host.release && k.status !== 'infra_error');
  const same = host.imageSha256 ? sameRelease.filter((k) => k.kernel_sha256 === host.imageSha256) : sameRelease;
  if (sameRelease.length > 0 && same.length === 0) c.reasons.push(`release ${host.release} was booted (${sameRelease.map((k) => k.profile_id).join(', ')}) but from another image than the host's`);
  const failed = same.find((k) => k.status === 'fail');
  if (failed) {
    const cause = failed.root_cause ? `: ${failed.root_cause.kind} ${failed.root_cause.name}` : '';
    c.reasons.push(`failed on ${failed.profile_id} (${failed.kernel_release}), the host's kernel: ${failed.classification_code ?? 'unclassified'}${cause}`);
    return c;
  }
  const passed = same.find((k) => k.status === 'pass');
  if (passed) {
    c.outcome = 'verified';
    c.kernel = { profile_id: passed.profile_id, release: passed.kernel_release, sha256: passed.kernel_sha256, run_id: passed.run_id };
    c.reasons.push(`passed on ${passed.profile_id} (${passed.kernel_release}, image ${passed.kernel_sha256.slice(0, 12)}) in run ${passed.run_id}`);
    return c;
  }
  c.reasons.push(`no booted kernel with release ${host.release}`);
  // Predicted: the host's profile has everything the variant uses and everything it failed on elsewhere.
  if (!host.profile) {
    c.reasons.push('no host profile to predict from (pass --host FILE from bpfcompat probe)');
    return c;
  }
  if (host.profile.bpf_access !== 'granted') {
    c.reasons.push(`the host profile's feature probes are unknown (bpf() ${host.profile.bpf_access}; run bpfcompat probe as root)`);
    return c;
  }
  if (!kernels.some((k) => k.status === 'pass')) {
    c.reasons.push('it passed on no kernel');
    return c;
  }
  const missing: string[] = [];
  for (const t of v.needs.program_types) missing.push(missingOnHost(host.profile, { kind: 'program_type', name: t }) ?? '');
  for (const m of v.needs.map_types) missing.push(missingOnHost(host.profile, { kind: 'map_type', name: m }) ?? '');
  for (const h of v.needs.helpers) missing.push(missingOnHost(host.profile, { kind: 'helper', name: h.helper, type: h.program_type }) ?? '');
  if (v.needs.btf_ext && !host.profile.btf.available) missing.push('the object carries .BTF.ext and the host has no kernel BTF');
  for (const k of kernels.filter((x) => x.status === 'fail')) {
    const rc = k.root_cause;
    if (!rc) missing.push(`failed on ${k.profile_id} (${k.classification_code ?? 'unclassified'}) with no root cause a host profile can check`);
    else if (!CHECKABLE_CAUSES.has(rc.kind)) missing.push(`failed on ${k.profile_id}: ${missingOnHost(host.profile, rc)}`);
    else {
      // Older root causes name no program type: the type of the variant's program that calls the helper.
      const type = rc.type ?? v.needs.helpers.find((h) => h.helper === rc.name)?.program_type;
      const m = missingOnHost(host.profile, { kind: rc.kind, name: rc.name, type });
      if (m) missing.push(`failed on ${k.profile_id} for ${rc.kind} ${rc.name}, and ${m}`);
      else c.reasons.push(`failed on ${k.profile_id} for ${rc.kind} ${rc.name}, which the host has`);
    }
  }
  const gaps = missing.filter((m) => m !== '');
  if (gaps.length > 0) {
    c.reasons.push(...gaps);
    return c;
  }
  if (policy.require === 'verified') {
    c.reasons.push('predicted only, and --require verified');
    return c;
  }
  c.outcome = 'predicted';
  c.reasons.push(`everything it uses (${v.needs.program_types.length} program types, ${v.needs.map_types.length} map types, ${v.needs.helpers.length} helpers) is supported on the host`);
  return c;
}

/** Variants of one version in --prefer order (listed ones first, in that order; the rest by name). */
function ordered(variants: readonly VariantEvidence[], prefer: readonly string[]): VariantEvidence[] {
  const rank = (v: VariantEvidence) => {
    const i = prefer.indexOf(v.variant ?? '');
    return i < 0 ? prefer.length : i;
  };
  return [...variants].sort((a, b) => rank(a) - rank(b) || (a.variant ?? '').localeCompare(b.variant ?? ''));
}

export function selectVariant(evidence: ArtifactEvidence, host: HostFacts, policy: SelectPolicy): Selection {
  const prefer = [...(policy.prefer ?? [])];
  const versions = policy.version === undefined ? [...evidence.versions].reverse() : evidence.versions.filter((v) => v.version === policy.version);
  const trace: Candidate[] = [];
  let chosen: Candidate | null = null;
  for (const ver of versions) {
    const judged = ordered(ver.variants, prefer).map((v) => judge(ver.version, v, host, policy));
    trace.push(...judged);
    chosen = judged.find((c) => c.outcome === 'verified') ?? judged.find((c) => c.outcome === 'predicted') ?? null;
    if (chosen) break;
  }
  return {
    schema_version: SELECTION_SCHEMA,
    artifact: evidence.name,
    host: { release: host.release, image_sha256: host.imageSha256, profile: host.profile !== null },
    evidence: chosen ? (chosen.outcome as EvidenceLevel) : 'none',
    version: chosen?.version ?? null,
    variant: chosen?.variant ?? null,
    artifact_sha256: chosen?.artifact_sha256 ?? null,
    kernel: chosen?.kernel ?? null,
    policy: {
      version: policy.version ?? null, prefer, require: policy.require ?? 'predicted', deny_classes: [...(policy.denyClasses ?? [])],
      signed: (policy.trustedKeyIds?.size ?? 0) > 0 || policy.requireSigned ? 'required' : 'not required', trusted_keys: [...(policy.trustedKeyIds ?? [])],
    },
    trace,
  };
}
