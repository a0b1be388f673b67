// Runs a composite action's shell steps on this machine the way a GitHub runner would: each `run:` script
// in `bash --noprofile --norc -eo pipefail`, with the step's env, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY /
// GITHUB_WORKSPACE / GITHUB_ACTION_PATH pointing where the caller says, stopping at the first failing step.
// `uses:` steps (other actions, e.g. actions/cache) are skipped and listed. Expressions are evaluated only
// in the forms the action may use (inputs.X, steps.ID.outputs.Y, github.action_path, runner.os); any
// other expression is an error, so the action cannot quietly depend on something this test does not model.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface ActionFile {
  inputs?: Record<string, { default?: string }>;
  outputs?: Record<string, { value: string }>;
  runs: { using: string; steps: Array<{ id?: string; name?: string; uses?: string; run?: string; shell?: string; env?: Record<string, string>; if?: string }> };
}

export interface StepRun {
  name: string;
  skipped: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ActionRun {
  steps: StepRun[];
  /** The action's declared outputs, evaluated from its steps' outputs. */
  outputs: Record<string, string>;
  /** What the steps appended to the job summary. */
  summary: string;
  /** The exit code of the failing step, else 0: what decides the job's fate. */
  exitCode: number;
}

export interface LocalActionOptions {
  actionDir: string;
  workspace: string;
  /** Scratch directory for GITHUB_OUTPUT files and the summary. */
  tempDir: string;
  inputs: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Parses a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIM` … `DELIM` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

export function runActionLocally(o: LocalActionOptions): ActionRun {
  const action = parse(readFileSync(join(o.actionDir, 'action.yml'), 'utf8')) as ActionFile;
  if (action.runs.using !== 'composite') throw new Error(`action.yml: runs.using is ${action.runs.using}, not composite`);
  for (const k of Object.keys(o.inputs)) if (!action.inputs?.[k]) throw new Error(`input ${k} is not declared in action.yml`);
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.inputs ?? {})) inputs[k] = o.inputs[k] ?? String(v.default ?? '');
  const stepOutputs: Record<string, Record<string, string>> = {};
  const evaluate = (text: string): string =>
    text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr: string) => {
      let m;
      if ((m = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expr))) {
        if (!(m[1]! in inputs)) throw new Error(`expression ${expr}: no such input`);
        return inputs[m[1]!]!;
      }
      if ((m = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(expr))) return stepOutputs[m[1]!]?.[m[2]!] ?? '';
      if (expr === 'github.action_path') return o.actionDir;
      if (expr === 'runner.os') return 'Linux';
      throw new Error(`expression \${{ ${expr} }} is not modelled by the local runner`);
    });

  const summaryPath = join(o.tempDir, 'step-summary.md');
  writeFileSync(summaryPath, '');
  const base: NodeJS.ProcessEnv = {
    ...process.env, ...o.env,
    GITHUB_ACTIONS: 'true', CI: 'true', RUNNER_OS: 'Linux', RUNNER_TEMP: o.tempDir,
    GITHUB_WORKSPACE: o.workspace, GITHUB_ACTION_PATH: o.actionDir, GITHUB_STEP_SUMMARY: summaryPath,
  };
  const steps: StepRun[] = [];
  let exitCode = 0;
  for (const [i, step] of action.runs.steps.entries()) {
    const name = step.name ?? step.id ?? `step ${i}`;
    if (step.if !== undefined) throw new Error(`${name}: 'if:' is not modelled by the local runner`);
    if (step.uses !== undefined) {
      steps.push({ name, skipped: true, exitCode: 0, stdout: '', stderr: '' });
      continue;
    }
    if (step.shell !== 'bash') throw new Error(`${name}: shell ${step.shell} is not modelled by the local runner`);
    const outputFile = join(o.tempDir, `output-${i}`);
    writeFileSync(outputFile, '');
    const script = join(o.tempDir, `step-${i}.sh`);
    writeFileSync(script, step.run ?? '');
    const env: NodeJS.ProcessEnv = { ...base, GITHUB_OUTPUT: outputFile };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(String(v));
    // The runner's working directory for a composite step is the workspace.
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: o.workspace, env, encoding: 'utf8', timeout: o.timeoutMs ?? 900_000, maxBuffer: 64 << 20 });
    const code = r.status ?? 128;
    steps.push({ name, skipped: false, exitCode: code, stdout: r.stdout, stderr: r.stderr });
    if (step.id) stepOutputs[step.id] = existsSync(outputFile) ? parseOutputFile(readFileSync(outputFile, 'utf8')) : {};
    if (code !== 0) {
      exitCode = code;
      break;
    }
  }
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.outputs ?? {})) outputs[k] = evaluate(v.value);
  return { steps, outputs, summary: readFileSync(summaryPath, 'utf8'), exitCode };
}
