import { z } from 'zod';
import { label, loadYamlFile } from './load.ts';

// A suite file: the reference tool's keys (name, defaults, cases[] with artifact/manifest/test …) plus
// command cases (command, command_binary, expect_exit) and guest_tools. Paths are relative to the file.

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const id = z.string().regex(ID, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$');
const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 90s, 5m or 1h');
const validationMode = z.enum(['load_only', 'load-only', 'loadonly', 'load_attach', 'load-attach', 'loadattach', 'behavior']);
const path = z.string().min(1);
/** Direct kernel boot is the only runner; the reference's virtme-ng/firecracker runners have no equivalent here. */
const runner = z.literal('vm', { error: 'only vm is supported (bpfcompat boots each kernel directly); remove the key or set vm' });

export const SuiteTest = z.strictObject({
  mode: z.literal('behavior'),
  command: z.string().min(1),
  required: z.boolean().default(true),
  timeout: z.string().regex(/^\d+(ms|s|m)$/, 'must be a duration such as 10s or 2m').default('10s'),
  expect: z.strictObject({
    exit_code: z.number().int().min(0).max(255).default(0),
    stdout_contains: z.string().optional(),
    stderr_contains: z.string().optional(),
    /** The reference tool's alias of stdout_contains. */
    event_contains: z.string().optional(),
  }).default({ exit_code: 0 }),
});

export const SuiteDefaults = z.strictObject({
  matrix: path.optional(),
  workdir: path.optional(),
  report_dir: path.default('reports/suites'),
  runner: runner.default('vm'),
  validation_mode: validationMode.optional(),
  timeout: duration.default('120s'),
  concurrency: z.number().int().min(1).max(64).optional(),
  keep_vm_on_failure: z.boolean().optional(),
  guest_tools: z.array(z.string().min(1)).default([]),
  /** every attach of every artifact case must succeed (a case may set its own) */
  require_attach: z.boolean().optional(),
});

export const SuiteCase = z.strictObject({
  name: id,
  artifact: path.optional(),
  artifact_uri: z.string().optional(),
  artifact_name: label().optional(),
  artifact_version: label().optional(),
  artifact_variant: label().optional(),
  matrix: path.optional(),
  manifest: path.optional(),
  validation_mode: validationMode.optional(),
  /** every attach must succeed: a program that loads but does not attach fails the case */
  require_attach: z.boolean().optional(),
  test: SuiteTest.optional(),
  command: z.string().min(1).optional(),
  command_binary: path.optional(),
  expect_exit: z.number().int().min(0).max(255).optional(),
  guest_tools: z.array(z.string().min(1)).optional(),
  out: path.optional(),
  markdown: path.optional(),
  workdir: path.optional(),
  runner: runner.optional(),
  timeout: duration.optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  keep_vm_on_failure: z.boolean().optional(),
});

// Reference keys that cannot mean here what they mean there are refused, never ignored: cases share one boot
// per kernel, so a case cannot have its own workdir or concurrency. keep_vm_on_failure (in defaults or any case)
// keeps the initramfs of every boot with a target that did not pass, as --keep-vm-on-failure; artifact_uri is
// recorded in the case's report.
const refusedCaseKeys = {
  workdir: 'not supported per case: cases share one boot per kernel and one run directory; set defaults.workdir or pass --workdir',
  concurrency: 'not supported per case: cases share one boot per kernel; set defaults.concurrency or pass --jobs',
} as const;

export const Suite = z
  .strictObject({
    name: id,
    description: z.string().optional(),
    defaults: SuiteDefaults.default({ report_dir: 'reports/suites', runner: 'vm', timeout: '120s', guest_tools: [] }),
    cases: z.array(SuiteCase).min(1, 'a suite needs at least one case'),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.cases.forEach((c, i) => {
      for (const [k, message] of Object.entries(refusedCaseKeys)) if (c[k as keyof typeof refusedCaseKeys] !== undefined) ctx.addIssue({ code: 'custom', path: ['cases', i, k], message });
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['cases', i, 'name'], message: `duplicate case name ${c.name}` });
      seen.add(c.name);
      if (!c.artifact && !c.command) ctx.addIssue({ code: 'custom', path: ['cases', i], message: 'needs an artifact or a command' });
      if (!c.matrix && !s.defaults.matrix) ctx.addIssue({ code: 'custom', path: ['cases', i, 'matrix'], message: 'missing (required here or in defaults.matrix)' });
      if (c.command) {
        for (const k of ['manifest', 'validation_mode', 'test', 'require_attach'] as const) if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: ['cases', i, k], message: 'does not apply to a command case (its exit code is the verdict)' });
        if (c.command.trim() === '') ctx.addIssue({ code: 'custom', path: ['cases', i, 'command'], message: 'the command is empty' });
      } else {
        for (const k of ['command_binary', 'expect_exit'] as const) if (c[k] !== undefined) ctx.addIssue({ code: 'custom', path: ['cases', i, k], message: 'needs command' });
      }
    });
  });

export type Suite = z.infer<typeof Suite>;
export type SuiteCase = z.infer<typeof SuiteCase>;

export function loadSuite(file: string): Promise<Suite> {
  return loadYamlFile(file, Suite, 'see docs/suites.md for the suite format');
}
