// The program types an image declares, as manifest `program_types`. bpfman's bytecode images carry them as labels:
// `io.ebpf.programs` ({"<function>": "<type>"}, current) or `io.ebpf.program_type` with `io.ebpf.bpf_function_name`
// (older images). Inspektor Gadget's metadata declares no program types (its programs are typed by their ELF
// sections), so gadgets add none.

export type ProgType = 'socket_filter' | 'kprobe' | 'tracepoint' | 'raw_tracepoint' | 'xdp' | 'perf_event' | 'cgroup_skb' | 'cgroup_sock' | 'sched_cls' | 'sched_act' | 'sk_skb' | 'sk_msg' | 'tracing' | 'lsm';

/** bpfman's program kinds onto libbpf's program types. */
const BPFMAN_TYPES: Record<string, ProgType> = {
  xdp: 'xdp', tc: 'sched_cls', tcx: 'sched_cls', tracepoint: 'tracepoint', kprobe: 'kprobe', kretprobe: 'kprobe',
  uprobe: 'kprobe', uretprobe: 'kprobe', fentry: 'tracing', fexit: 'tracing',
};

export interface DeclaredTypes {
  programTypes: Array<{ program: string; type: ProgType }>;
  /** Declared kinds bpfman knows and libbpf has no type for, named in the report's notes. */
  unknown: string[];
}

export function bpfmanProgramTypes(labels: Record<string, string> | undefined): DeclaredTypes {
  const out: DeclaredTypes = { programTypes: [], unknown: [] };
  if (!labels) return out;
  const pairs: Array<[string, string]> = [];
  const programs = labels['io.ebpf.programs'];
  if (programs) {
    try {
      const parsed = JSON.parse(programs) as Record<string, unknown>;
      for (const [fn, kind] of Object.entries(parsed)) if (typeof kind === 'string') pairs.push([fn, kind]);
    } catch {
      out.unknown.push(`io.ebpf.programs is not JSON: ${programs.slice(0, 80)}`);
    }
  } else if (labels['io.ebpf.program_type'] && labels['io.ebpf.bpf_function_name']) {
    pairs.push([labels['io.ebpf.bpf_function_name'], labels['io.ebpf.program_type']]);
  }
  for (const [program, kind] of pairs) {
    const type = BPFMAN_TYPES[kind.toLowerCase()];
    if (type) out.programTypes.push({ program, type });
    else out.unknown.push(`${program}: ${kind}`);
  }
  return out;
}
