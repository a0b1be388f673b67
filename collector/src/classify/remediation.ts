import type { RootCause } from '../../../history/vocabulary/report-schema.ts';
import { CODE_INFO, type ClassificationCode } from '../../../history/vocabulary/codes.ts';

/** Where in the matrix the program starts to work, when known: "6.1.0-50-cloud-amd64 (debian-12)". */
export interface FirstPass {
  profileId: string;
  release: string;
}

const since = (first: FirstPass | null | undefined) => (first ? ` (it works from ${first.release} in this matrix)` : '');

/** A remediation that names the thing that failed; falls back to the code's generic one. Pure. */
export function remediationFor(code: ClassificationCode, rc: RootCause | null, first?: FirstPass | null): string {
  if (!rc) return CODE_INFO[code].remediation + since(first);
  const fallback = first ? ` on kernels before ${first.release}` : ' on kernels without it';
  switch (rc.kind) {
    case 'helper':
      return `probe ${rc.name || `helper #${rc.id}`} at load time (libbpf_probe_bpf_helper) and load a program variant without it${fallback} (a program-variant group in the manifest), or raise the minimum kernel`;
    case 'kfunc':
      return `declare ${rc.name} as \`extern ... __ksym __weak\` and guard the call with bpf_ksym_exists(${rc.name}), or load a program variant without it${fallback}`;
    case 'map_type':
      return `create the ${rc.name} map only where supported (bpf_map__set_autocreate(map, false) after libbpf_probe_bpf_map_type) and ship a fallback${rc.name === 'ringbuf' ? ' (a perf event array)' : ''}${fallback}`;
    case 'attach_type':
      return `the attach type ${rc.name} is missing${fallback}: make this program optional (autoload off after probing) or put it in a program-variant group with an older hook`;
    case 'attach_target':
      return `the ${rc.type ?? 'attach'} target ${rc.name} does not exist${fallback}: make the attach optional (best-effort) or choose a target every supported kernel has${rc.type === 'function' ? '; if the loader sets the target at runtime (bpf_program__set_attach_target, e.g. fentry on a BPF program), validate it with the loader in command mode' : ''}`;
    case 'core_relocation':
      return `guard the access with bpf_core_field_exists(${rc.type ?? ''}${rc.field ? `.${rc.field}` : ''}) and read the other kernels' layout through a \`${rc.type ?? 'type'}___old\` flavour struct`;
    case 'program_type':
      return `the program type ${rc.name} is missing${fallback}: use an older program type as a fallback (e.g. kprobe instead of fentry) or raise the minimum kernel`;
    case 'license':
      return `${rc.name} is GPL-only: declare a GPL-compatible license (e.g. "Dual BSD/GPL") or use a helper without that restriction`;
    case 'map':
      if (rc.field === 'map_flags') {
        return `this kernel refuses map ${rc.name}'s map_flags ${typeof rc.value === 'number' ? `0x${rc.value.toString(16)}` : rc.value}: a flag it does not support for ${rc.type ?? 'this'} maps; clear it where unsupported (bpf_map__set_map_flags after probing) or raise the minimum kernel`;
      }
      if (rc.field && rc.value !== 0) {
        return `this kernel refuses map ${rc.name}'s ${rc.field} ${rc.value} (too large for it, or not allowed for ${rc.type ?? 'this'} maps): choose a ${rc.field} it accepts (bpf_map__set_${rc.field} before load; in the manifest: maps: [{ name: ${rc.name}, ${rc.field}: N }])`;
      }
      if (rc.field) {
        return `map ${rc.name} has ${rc.field} ${rc.value ?? 0} in the object, which the kernel refuses: its loader must set it before load (bpf_map__set_${rc.field}); to validate the object alone, give the loader's value in the manifest: maps: [{ name: ${rc.name}, ${rc.field}: N }]`;
      }
      return CODE_INFO[code].remediation + since(first);
    case 'runtime_target':
      return CODE_INFO.NEEDS_RUNTIME_TARGET.remediation;
    default:
      return CODE_INFO[code].remediation + since(first);
  }
}
