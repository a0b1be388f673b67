import { BpfcompatError, formatErrorLine, EXIT_TOOL_ERROR } from '../../../history/vocabulary/errors.ts';
import type { Verb } from './verb.ts';
import { verbs } from './verbs.ts';

function topHelp(): string {
  const width = Math.max(...verbs.map((v) => v.name.length));
  return [
    'bpfcompat — evidence from real kernels on whether eBPF objects and loaders load and attach',
    '',
    'Usage: bpfcompat <verb> [flags]        (bpfcompat <verb> --help for its flags)',
    '',
    'Verbs:',
    ...verbs.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`),
    '',
    'Exit codes: 0 every required target passed · 2 a required target failed (compatibility gate) · 1 usage or infrastructure error',
    'Environment: BPFCOMPAT_CACHE_DIR (kernel and image cache, default $XDG_CACHE_HOME/bpfcompat), BPFCOMPAT_ACCEL (kvm|tcg),',
    '  BPFCOMPAT_DEBUG=1 (stack traces); every variable: bpfcompat env',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(topHelp() + '\n');
    return name === undefined ? EXIT_TOOL_ERROR : 0;
  }
  const verb: Verb | undefined = verbs.find((v) => v.name === (name === '--version' ? 'version' : name));
  if (!verb) {
    process.stderr.write(`bpfcompat: unknown verb '${name}' (run 'bpfcompat --help' for the list)\n`);
    return EXIT_TOOL_ERROR;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(verb.help.trimEnd() + '\n');
    return 0;
  }
  try {
    return await verb.run(rest);
  } catch (err) {
    process.stderr.write(formatErrorLine(err) + '\n');
    if (process.env.BPFCOMPAT_DEBUG && err instanceof Error) process.stderr.write((err.stack ?? '') + '\n');
    return err instanceof BpfcompatError ? err.exitCode : EXIT_TOOL_ERROR;
  }
}
