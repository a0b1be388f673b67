import { canonicalJson, sha256Hex } from './hash.ts';

// The preset deflate dictionary for stored target JSON (see codec.ts). Its text is two typical
// collector targets (a pass and a verifier rejection) in canonical JSON, without the per-run fields:
// deflate finds most of a new target's keys and common values in it. The bytes are copied into each
// history file (table dictionaries) on first use and read back from there, so old blobs never depend
// on this module. NEVER edit a shipped dictionary (dictionary.test.ts pins its hash): add the next id.

const PASS = {
  status: 'pass', failed_stage: null, result_key: '',
  kernel: { release: '6.1.0-37-cloud-amd64', sha256: '', source: { kind: 'debian', suite: 'bookworm', flavour: 'cloud-amd64', package: 'linux-image-6.1.0-37-cloud-amd64', version: '6.1.140-1', url: 'http://deb.debian.org/debian/pool/main/l/linux-signed-amd64/linux-image-6.1.0-37-cloud-amd64_6.1.140-1_amd64.deb', deb_sha256: '', extra_packages: [] } },
  vm: { accel: 'tcg', boot_ms: 2900, duration_ms: 3400 },
  btf: { kernel_btf_available: true, artifact_has_btf: true, artifact_has_btf_ext: true },
  validation: { load_status: 'pass', load_error_code: 0, load_error: '', attach_mode: 'best-effort', attach_status: 'pass', attach_attempted: 1, attach_passed: 1, attach_failed: 0 },
  programs: [{ name: 'handle_exec', section: 'tracepoint/sched/sched_process_exec', type: 'tracepoint', load: 'pass', attach: 'pass', attach_method: 'auto', attach_target: 'sched/sched_process_exec', attach_reason: '', errno: 0, error: '', verifier_log_tail: '', helpers: [1, 6, 14] }],
  maps: [{ name: 'events', type: 'ringbuf', max_entries: 262144 }],
  functional: { status: 'skipped', tests: [] },
  classification_code: null, classification_confidence: null, classification_reason: '', remediation: '', root_cause: null, infra_error: null,
  console_tail: '[    0.000000] Linux version 6.1.0-37-cloud-amd64',
  started_at: '2025-01-01T00:00:00.000Z', finished_at: '2025-01-01T00:00:03.400Z', duration_ms: 3400,
  notes: ['kernel BTF: yes (4111222 bytes); object .BTF yes, .BTF.ext yes', 'attach status: pass (mode=best-effort attempted=1 passed=1 failed=0)'],
  evidence: { console_log: null, validator_result: null },
};

const FAIL = {
  ...PASS,
  status: 'fail', failed_stage: 'load',
  kernel: { ...PASS.kernel, release: '5.10.0-35-cloud-amd64', source: { ...PASS.kernel.source, suite: 'bullseye', package: 'linux-image-5.10.0-35-cloud-amd64' } },
  btf: { kernel_btf_available: true, artifact_has_btf: true, artifact_has_btf_ext: true },
  validation: { load_status: 'fail', load_error_code: -22, load_error: 'Invalid argument', attach_mode: 'best-effort', attach_status: 'skipped', attach_attempted: 0, attach_passed: 0, attach_failed: 0 },
  programs: [{ ...PASS.programs[0]!, load: 'fail', attach: 'skipped', errno: 22, error: 'Invalid argument', verifier_log_tail: 'invalid func unknown#181\nprocessed 12 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0' }],
  classification_code: 'HELPER_NOT_SUPPORTED', classification_confidence: 'high',
  classification_reason: 'the verifier rejected a call to helper 181 (bpf_loop), which this kernel does not know',
  remediation: 'require a kernel with the helper, or guard the call with a CO-RE feature check',
  root_cause: { kind: 'helper', name: 'bpf_loop', id: 181 },
};

export interface Dictionary {
  id: number;
  sha256: string;
  data: Buffer;
}

const text = canonicalJson(FAIL) + canonicalJson(PASS);

/** The dictionary new target blobs are compressed with. */
export const TARGET_DICTIONARY: Dictionary = { id: 1, sha256: sha256Hex(text), data: Buffer.from(text, 'utf8') };
