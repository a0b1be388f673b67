import type { RootCause } from '../../../history/vocabulary/report-schema.ts';

/** One phrase naming the thing that failed, for Markdown and summaries: "helper bpf_loop (id 181)". */
export function describeRootCause(rc: RootCause): string {
  switch (rc.kind) {
    case 'helper':
      return `helper ${rc.name || 'unknown'}${rc.id !== undefined ? ` (id ${rc.id})` : ''}`;
    case 'kfunc':
      return `kfunc ${rc.name}`;
    case 'map_type':
      return `map type ${rc.name}`;
    case 'program_type':
      return `program type ${rc.name}`;
    case 'attach_type':
      return `attach type ${rc.name}`;
    case 'attach_target':
      return `${rc.type ?? 'attach'} target ${rc.name}`;
    case 'core_relocation':
      return `CO-RE field ${rc.type ?? ''}${rc.field ? `.${rc.field}` : ''}`;
    case 'btf':
      return 'kernel BTF (/sys/kernel/btf/vmlinux)';
    case 'license':
      return `GPL-only ${rc.name}${rc.id !== undefined ? ` (id ${rc.id})` : ''} from a non-GPL program`;
    case 'verifier':
      return `verifier: ${rc.name}${rc.id !== undefined ? ` (insn ${rc.id})` : ''}`;
    default:
      return `${rc.kind} ${rc.name}`.trim();
  }
}
