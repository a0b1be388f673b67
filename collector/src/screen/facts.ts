import { z } from 'zod';

// The validator's `screen` output (validator/src/screen.c): facts, one JSON document per line. Parsed with zod so a
// validator that drifts from this contract fails loudly instead of predicting from half-read facts.

const Extern = z.object({ name: z.string(), kind: z.enum(['kfunc', 'ksym', 'ksym_untyped', 'kconfig']), weak: z.boolean() });

export const ObjectFacts = z.object({
  kind: z.literal('object'),
  path: z.string(),
  has_btf: z.boolean(),
  has_btf_ext: z.boolean(),
  has_core: z.boolean(),
  core_relos: z.number().int(),
  license: z.string(),
  programs: z.array(z.object({
    name: z.string(),
    section: z.string(),
    prog_type: z.string(),
    attach_type: z.string().optional(),
    autoload: z.boolean(),
    attach_kind: z.string().nullable(),
    attach_target: z.string().nullable().optional(),
    functions: z.array(z.string()),
  })),
  maps: z.array(z.object({ name: z.string(), type: z.string(), max_entries: z.number().int(), key_size: z.number().int().default(-1), value_size: z.number().int().default(-1) })),
  externs: z.array(Extern),
  /** the type names CO-RE looks up in a kernel (essential names: no ___flavour) */
  core_types: z.array(z.string()).optional(),
});
export type ObjectFacts = z.infer<typeof ObjectFacts>;

const ExternCheck = z.object({
  name: z.string(),
  kind: z.enum(['kfunc', 'ksym', 'ksym_untyped', 'kconfig']),
  weak: z.boolean(),
  status: z.enum(['present', 'missing', 'incompatible', 'unchecked', 'set', 'unset', 'provided_by_libbpf']),
  value: z.string().optional(),
  /** the module it was found in (its name, after run.ts), absent for vmlinux */
  module: z.string().optional(),
});
export type ExternCheck = z.infer<typeof ExternCheck>;

export const CoreOutcome = z.object({
  outcome: z.enum(['absent', 'poisoned', 'error']),
  kind: z.string(),
  spec: z.string(),
  function: z.string(),
  insn: z.number().int(),
  errno: z.number().int().optional(),
  /** the module whose types were its candidates */
  module: z.string().optional(),
});
export type CoreOutcome = z.infer<typeof CoreOutcome>;

export const ProgramFacts = z.object({
  name: z.string(),
  prog_type_known: z.boolean().nullable(),
  attach_type_known: z.boolean().nullable(),
  attach: z.object({ kind: z.string(), target: z.string(), looked_up: z.string(), how: z.string(), status: z.enum(['present', 'missing', 'unchecked']), module: z.string().optional() }).nullable(),
  helpers_missing: z.array(z.object({ id: z.number().int(), function: z.string() })),
  helpers_checked: z.boolean(),
  externs: z.array(ExternCheck),
  core: z.object({
    unresolved: z.array(CoreOutcome), total: z.number().int(), resolved: z.number().int(), existence_checks: z.number().int(),
    /** modules whose types some relocation of the program was computed against */
    modules: z.array(z.string()).optional(),
  }),
});
export type ProgramFacts = z.infer<typeof ProgramFacts>;

export const TargetFacts = z.object({
  kind: z.literal('target'),
  name: z.string(),
  system_map: z.boolean(),
  config: z.boolean(),
  btf: z.object({
    status: z.enum(['ok', 'unparsable', 'absent']),
    error: z.string().optional(),
    types: z.number().int().optional(),
    path: z.string().optional(),
    modules: z.array(z.object({ path: z.string(), status: z.enum(['ok', 'unparsable']), error: z.string().optional() })),
  }),
  maps: z.array(z.object({ name: z.string(), type: z.string(), known: z.boolean().nullable() })).optional(),
  kconfig: z.array(ExternCheck).optional(),
  programs: z.array(ProgramFacts).optional(),
});
export type TargetFacts = z.infer<typeof TargetFacts>;
