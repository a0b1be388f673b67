import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { fileErrorText } from '../infra/file-errors.ts';
import { labelProblem } from '../../../history/vocabulary/labels.ts';

/** Formats a zod issue path the way users write keys: profiles[2].kernel.debian.suite */
export function formatKeyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** One line for the first problem zod found, naming file and key path. */
export function describeZodError(file: string, err: z.ZodError, hint: string): BpfcompatError {
  // An unknown key usually explains the other issues (a misspelt key is also a missing one): report it first.
  const issue = err.issues.find((i) => i.code === 'unrecognized_keys') ?? err.issues[0]!;
  let where = formatKeyPath(issue.path);
  let message = issue.code === 'invalid_type' && /received undefined/.test(issue.message) ? 'missing (required)' : issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    where = formatKeyPath([...issue.path, keys[0]!]);
    message = `unknown key${keys.length > 1 ? `s ${keys.join(', ')}` : ''}`;
  }
  const more = err.issues.length > 1 ? ` (+${err.issues.length - 1} more)` : '';
  return new BpfcompatError('CONFIG_INVALID', `${file}: ${where}: ${message}${more}`, { hint });
}

/** A name, version or variant: one line of printable text (shown on terminals, in Markdown and on the site). */
export const label = (max = 256) =>
  z.string().min(1).max(max).superRefine((s, ctx) => {
    const problem = labelProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}; names, versions and variants are one line of printable text` });
  });

/** Aliases a config file may expand (yaml's own guard against "billion laughs"; every shipped file needs none). */
export const MAX_YAML_ALIASES = 100;

/** Reads a YAML file and validates it against a schema; every failure is a one-line BpfcompatError. */
export async function loadYamlFile<S extends z.ZodType>(file: string, schema: S, hint: string): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new BpfcompatError('FILE_NOT_FOUND', `${file}: ${fileErrorText(err)}`, {
      hint: 'check the path',
    });
  }
  return parseYamlText(file, text, schema, hint);
}

export function parseYamlText<S extends z.ZodType>(file: string, text: string, schema: S, hint: string): z.infer<S> {
  if (text.trim() === '') throw new BpfcompatError('CONFIG_INVALID', `${file}: the file is empty`, { hint });
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0] ? ` line ${e.linePos[0].line}:` : '';
    throw new BpfcompatError('YAML_INVALID', `${file}:${line} invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, { hint });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // the yaml library refuses an alias bomb ("Excessive alias count …") while expanding it
    const why = /alias/i.test((err as Error).message) ? `more than ${MAX_YAML_ALIASES} alias expansions (a YAML alias bomb?)` : (err as Error).message.split('\n')[0];
    throw new BpfcompatError('YAML_INVALID', `${file}: invalid YAML: ${why}`, { hint: 'write the values out instead of nesting anchors and aliases' });
  }
  const result = schema.safeParse(value);
  if (!result.success) throw describeZodError(file, result.error, hint);
  return result.data;
}
