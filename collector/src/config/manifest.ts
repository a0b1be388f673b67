import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../../history/vocabulary/hash.ts';
import { label, loadYamlFile } from './load.ts';

// The manifest: the loader contract a bare .bpf.o needs (map sizes, program types, variants, required attaches)
// and functional tests run while the links are alive. Same keys as the reference tool's manifest.

/**
 * The validator's own limits (validator/src/validator.h, args.c): a manifest beyond them would boot and then be
 * refused in the guest, so it is refused here, naming the key. manifest.test.ts holds these against the C source.
 */
export const VALIDATOR_LIMITS = { list: 64, variantMembers: 16, tests: 32, args: 1024 } as const;
/** Entries of `programs` (only required attaches reach the validator; the rest is documentation). */
export const MAX_MANIFEST_PROGRAMS = 1024;

const ident = z.string().regex(/^[A-Za-z0-9_.]{1,64}$/, 'must be 1-64 characters of [A-Za-z0-9_.]');
const singleLine = (max: number) => z.string().min(1).max(max).refine((s) => !/[\n\r\0]/.test(s), 'must be a single line');

const AttachKind = z.enum(['', 'tracepoint', 'raw_tracepoint', 'kprobe', 'kretprobe', 'fentry', 'fexit', 'xdp', 'tc', 'tcx', 'cgroup', 'lsm', 'uprobe']);

export const ManifestProgram = z.strictObject({
  name: ident,
  section: z.string().optional(),
  type: z.string().optional(),
  attach: z
    .strictObject({
      kind: AttachKind.default(''),
      category: z.string().optional(),
      name: z.string().optional(),
      symbol: z.string().optional(),
      /** the attach target its loader sets at run time (bpf_program__set_attach_target, or the kprobe's function) */
      target: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/, 'must be a kernel function or hook name of [A-Za-z0-9_.]').optional(),
      required: z.boolean().default(false),
    })
    .optional(),
});

const InnerMapType = z.enum(['hash', 'array', 'lru_hash', 'percpu_hash', 'percpu_array', 'lru_percpu_hash']);

export const MapFixup = z
  .strictObject({
    name: ident,
    max_entries: z.union([z.number().int().positive(), z.literal('cpus')]).optional(),
    /** sizes its loader sets before load (bpf_map__set_value_size / bpf_map__set_key_size) */
    value_size: z.number().int().positive().max(1 << 30).optional(),
    key_size: z.number().int().positive().max(1 << 16).optional(),
    inner_ringbuf_bytes: z.number().int().positive().optional(),
    inner_map: z
      .strictObject({ type: InnerMapType, key_size: z.number().int().nonnegative(), value_size: z.number().int().positive(), max_entries: z.number().int().positive() })
      .optional(),
  })
  .refine((m) => m.max_entries !== undefined || m.value_size !== undefined || m.key_size !== undefined || m.inner_ringbuf_bytes !== undefined || m.inner_map !== undefined, {
    message: 'a map fixup needs max_entries, value_size, key_size, inner_ringbuf_bytes or inner_map',
  });

const ProgTypeName = z.enum(['socket_filter', 'kprobe', 'tracepoint', 'raw_tracepoint', 'xdp', 'perf_event', 'cgroup_skb', 'cgroup_sock', 'sched_cls', 'sched_act', 'sk_skb', 'sk_msg', 'tracing', 'lsm']);

const KNOWN_HELPERS: Record<string, number> = {
  bpf_probe_read_kernel: 113,
  bpf_ringbuf_output: 130,
  bpf_ringbuf_reserve: 131,
  bpf_get_current_task_btf: 158,
  bpf_loop: 181,
};

export const ProgramVariant = z.strictObject({
  group: ident,
  programs: z
    .array(
      z.strictObject({
        name: ident,
        requires_helper: z.union([z.number().int().positive(), z.string().refine((s) => s in KNOWN_HELPERS, { message: `must be a helper id or one of ${Object.keys(KNOWN_HELPERS).join(', ')}` })]).optional(),
        probe: z.literal('trial_load').optional(),
      }),
    )
    .min(1)
    .max(VALIDATOR_LIMITS.variantMembers, `at most ${VALIDATOR_LIMITS.variantMembers} programs per variant group (the validator's limit)`),
});

const duration = z.string().regex(/^\d+(ms|s|m)$/, 'must be a duration such as 10s or 2m');

export const FunctionalTest = z.strictObject({
  name: singleLine(128),
  command: singleLine(1000),
  required: z.boolean().default(true),
  timeout: duration.default('10s'),
  expect_exit_code: z.number().int().min(0).max(255).default(0),
  expect_stdout_contains: z.string().optional(),
  expect_stderr_contains: z.string().optional(),
});

export const Manifest = z
  .strictObject({
    name: label().optional(),
    programs: z.array(ManifestProgram).max(MAX_MANIFEST_PROGRAMS, `at most ${MAX_MANIFEST_PROGRAMS} programs`).default([]),
    maps: z.array(MapFixup).default([]),
    program_types: z.array(z.strictObject({ program: z.string().min(1), type: ProgTypeName })).max(VALIDATOR_LIMITS.list, `at most ${VALIDATOR_LIMITS.list} program types (the validator's limit)`).default([]),
    program_variants: z.array(ProgramVariant).max(VALIDATOR_LIMITS.list, `at most ${VALIDATOR_LIMITS.list} variant groups (the validator's limit)`).default([]),
    probe_companions: z.array(ident).max(VALIDATOR_LIMITS.list, `at most ${VALIDATOR_LIMITS.list} companions (the validator's limit)`).default([]),
    required_profiles: z.array(z.string()).default([]),
    functional_tests: z.array(FunctionalTest).max(VALIDATOR_LIMITS.tests, `at most ${VALIDATOR_LIMITS.tests} functional tests (the validator's limit)`).default([]),
    /** every attach must succeed: a program that loads but does not attach fails the target (default: best-effort) */
    require_attach: z.boolean().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((m, ctx) => {
    const dup = (list: string[], path: string) => {
      const seen = new Set<string>();
      list.forEach((n, i) => {
        if (seen.has(n)) ctx.addIssue({ code: 'custom', path: [path, i, 'name'], message: `duplicate name ${n}` });
        seen.add(n);
      });
    };
    const required = m.programs.filter((p) => p.attach?.required).length;
    if (required > VALIDATOR_LIMITS.list) ctx.addIssue({ code: 'custom', path: ['programs'], message: `${required} programs with attach.required: at most ${VALIDATOR_LIMITS.list} (the validator's limit); use require_attach: true to require every attach` });
    // one validator flag per fixup: max_entries, value_size, key_size, inner_ringbuf_bytes and inner_map each count
    const fixups = m.maps.reduce((n, f) => n + [f.max_entries, f.value_size, f.key_size, f.inner_ringbuf_bytes, f.inner_map].filter((x) => x !== undefined).length, 0);
    if (fixups > VALIDATOR_LIMITS.list) ctx.addIssue({ code: 'custom', path: ['maps'], message: `${fixups} map fixups: at most ${VALIDATOR_LIMITS.list} (the validator's limit)` });
    const targets = m.programs.filter((p) => p.attach?.target).length;
    if (targets > VALIDATOR_LIMITS.list) ctx.addIssue({ code: 'custom', path: ['programs'], message: `${targets} programs with attach.target: at most ${VALIDATOR_LIMITS.list} (the validator's limit)` });
    dup(m.programs.map((p) => p.name), 'programs');
    dup(m.maps.map((p) => p.name), 'maps');
    dup(m.functional_tests.map((p) => p.name), 'functional_tests');
    for (const t of m.functional_tests) {
      const d = /^(\d+)(ms|s|m)$/.exec(t.timeout)!;
      const ms = Number(d[1]) * ({ ms: 1, s: 1000, m: 60000 } as const)[d[2] as 'ms' | 's' | 'm'];
      if (ms <= 0 || ms > 300_000) ctx.addIssue({ code: 'custom', path: ['functional_tests'], message: `timeout of ${t.name} must be > 0 and at most 5m` });
    }
  });

export type Manifest = z.infer<typeof Manifest>;

export function loadManifest(file: string): Promise<Manifest> {
  return loadYamlFile(file, Manifest, 'see docs/manifest.md for the manifest format');
}

/**
 * How results and the history identify a normalised manifest: its canonical JSON (the text the history stores)
 * and that text's sha256 (the manifest input of a result key). One pair, so the stored text always hashes to the key.
 */
export function manifestIdentity(manifest: Manifest): { content: string; sha256: string } {
  const content = canonicalJson(manifest);
  return { content, sha256: sha256Hex(content) };
}

/** The manifest a run uses when --require-attach is given: the user's (or an empty one) with require_attach set.
 *  It is what the result key hashes, so a verdict made with best-effort attach is never reused for it. */
export function withRequireAttach(manifest: Manifest | null): Manifest {
  return { ...(manifest ?? Manifest.parse({})), require_attach: true };
}

export function helperId(v: number | string): number {
  return typeof v === 'number' ? v : KNOWN_HELPERS[v]!;
}
