// The failure taxonomy: the reference tool's codes plus precise root-cause codes, each with a meaning and a
// one-line remediation (classify/remediation.ts makes it specific to the root cause).

export const CLASSIFICATION_CODES = [
  'UNSUPPORTED_HELPER',
  'MISSING_KFUNC',
  'GPL_ONLY_HELPER',
  'ATTACH_TARGET_MISSING',
  'NEEDS_RUNTIME_TARGET',
  'COMPLEXITY_LIMIT',
  'UNSUPPORTED_ATTACH_TYPE',
  'UNSUPPORTED_MAP_TYPE',
  'MAP_CREATION_FAILURE',
  'RESOURCE_LIMIT',
  'CORE_RELOCATION_FAILURE',
  'MISSING_BTF',
  'UNSUPPORTED_PROGRAM_TYPE',
  'POLICY_DENIED',
  'CAPABILITY_FAILURE',
  'VERIFIER_REJECTION',
  'FUNCTIONAL_TEST_FAILURE',
  'COMMAND_VALIDATION_FAILURE',
  'UNKNOWN',
] as const;

export type ClassificationCode = (typeof CLASSIFICATION_CODES)[number];

export const CODE_INFO: Record<ClassificationCode, { title: string; remediation: string }> = {
  UNSUPPORTED_HELPER: {
    title: 'A program calls a BPF helper this kernel does not have (or not for this program type)',
    remediation: 'probe the helper at load time (libbpf_probe_bpf_helper) and load a program variant without it, or raise the minimum kernel',
  },
  MISSING_KFUNC: {
    title: 'A program calls a kfunc this kernel does not export',
    remediation: 'declare the kfunc __weak and guard the call with bpf_ksym_exists(), or use a program-variant group',
  },
  GPL_ONLY_HELPER: {
    title: 'A program with a non-GPL-compatible license calls a GPL-only helper',
    remediation: 'declare a GPL-compatible license (e.g. "Dual BSD/GPL") or avoid the GPL-only helper',
  },
  ATTACH_TARGET_MISSING: {
    title: 'The function, tracepoint or hook a program attaches to does not exist in this kernel',
    remediation: 'make the attach optional (best-effort) or attach to a target that exists on every kernel you support',
  },
  NEEDS_RUNTIME_TARGET: {
    title: 'The program needs a target its loader supplies at runtime (fentry/freplace on a BPF program, a device, a binary)',
    remediation: "name the target in the manifest (or test with the real loader in command mode); the object alone cannot be validated for it",
  },
  COMPLEXITY_LIMIT: {
    title: "The verifier gave up: the program exceeds this kernel's instruction or state limits",
    remediation: 'split the program (tail calls, bpf_loop, subprograms) or bound its loops tighter for older verifiers',
  },
  UNSUPPORTED_ATTACH_TYPE: {
    title: 'A program could not be attached',
    remediation: 'make the attach optional (best-effort) for kernels without this hook, or check the attach target exists on this kernel',
  },
  UNSUPPORTED_MAP_TYPE: {
    title: 'The kernel cannot create a map of this type',
    remediation: 'ship a fallback (e.g. perfbuf instead of ringbuf) selected at load time, or raise the minimum kernel',
  },
  MAP_CREATION_FAILURE: {
    title: 'The kernel refused to create a map with the attributes the object gives it',
    remediation: "give the map the size its loader sets before load (bpf_map__set_value_size / bpf_map__set_max_entries) in the manifest's maps[] fixups, or fix the map definition",
  },
  RESOURCE_LIMIT: {
    title: 'The kernel ran out of memory or hit a resource limit (not missing support)',
    remediation: 'check map sizes and the memory the kernel could use (the profile memory_mb, memlock/memcg limits on the target hosts); this says nothing about whether the kernel supports the feature',
  },
  CORE_RELOCATION_FAILURE: {
    title: 'A CO-RE relocation found no matching kernel type or field',
    remediation: 'guard the access with bpf_core_field_exists()/bpf_core_type_exists() or provide a variant for this kernel',
  },
  MISSING_BTF: {
    title: 'The kernel has no BTF the object needs',
    remediation: 'provide BTF for this kernel (BTFHub or an external vmlinux BTF) or avoid CO-RE/BTF-dependent features',
  },
  UNSUPPORTED_PROGRAM_TYPE: {
    title: 'The kernel does not support this program type',
    remediation: 'use an older program type as a fallback (e.g. kprobe instead of fentry before 5.5) or raise the minimum kernel',
  },
  POLICY_DENIED: {
    title: 'A security policy (lockdown, LSM, sysctl) refused the operation',
    remediation: 'check kernel lockdown, unprivileged_bpf_disabled and LSM policy on the target hosts',
  },
  CAPABILITY_FAILURE: {
    title: 'The loader lacked a capability',
    remediation: 'run the loader with CAP_BPF/CAP_PERFMON (or CAP_SYS_ADMIN on kernels before 5.8)',
  },
  VERIFIER_REJECTION: {
    title: 'The verifier rejected a program',
    remediation: 'read the verifier log excerpt: bound the access or loop it names, or use a program variant for this kernel',
  },
  FUNCTIONAL_TEST_FAILURE: {
    title: 'A required functional test failed while the programs were attached',
    remediation: 'read the test output tails; check the program sees the events the test triggers on this kernel',
  },
  COMMAND_VALIDATION_FAILURE: {
    title: 'The loader command exited with an unexpected code',
    remediation: "read the command's stdout/stderr tails in the report; run the loader against this kernel locally",
  },
  UNKNOWN: {
    title: 'The load failed for a reason not classified',
    remediation: 'read the libbpf log and verifier tail in the report',
  },
};
