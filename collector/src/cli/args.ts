import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../../../history/vocabulary/errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a verb's flags strictly: unknown flags, missing values and stray positionals are usage
 * errors naming the flag. Returns the values and positionals.
 */
export function parseFlags<O extends OptionSpec>(verb: string, argv: string[], options: O, opts: { positionals?: number | 'any' } = {}) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: opts.positionals !== undefined && opts.positionals !== 0 });
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw usageError(`${verb}: ${msg}`, `run 'bpfcompat ${verb} --help'`);
  }
  if (typeof opts.positionals === 'number' && parsed.positionals.length > opts.positionals) {
    throw usageError(`${verb}: unexpected argument '${parsed.positionals[opts.positionals]}'`, `run 'bpfcompat ${verb} --help'`);
  }
  return parsed;
}

/** An integer flag in [min, max], or a usage error naming the flag. */
export function intFlag(name: string, value: string | undefined, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  if (!/^-?\d+$/.test(value)) throw usageError(`--${name} must be an integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw usageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}
