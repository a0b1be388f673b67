import { execFile } from 'node:child_process';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { locateValidator } from './validator-binary.ts';

/**
 * Parses the object on the host with the validator's libbpf (`--open-only`: ELF, sections, relocations, .BTF and
 * .BTF.ext) before any kernel boots: a malformed file is a usage error, never a kernel's verdict.
 */
export async function checkObjectParses(path: string, flag = '--artifact', env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const validator = await locateValidator(env);
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolveRun) => {
    execFile(validator.path, ['--open-only', '--artifact', path], { timeout: 60_000, maxBuffer: 1 << 20, encoding: 'utf8' }, (err, _stdout, stderr) => {
      resolveRun({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
    });
  });
  if (code === 0) return;
  const line = stderr.trim().split('\n').pop() ?? '';
  // "bpfcompat-validator: PATH: what: why (libbpf: …)" → "what: why (libbpf: …)"
  const reason = line.replace(/^bpfcompat-validator: /, '').replace(path + ': ', '');
  if (code === 2) {
    throw new BpfcompatError('OBJECT_MALFORMED', `${flag} ${path}: ${reason}`, { hint: 'the file is truncated or corrupt; rebuild it (clang -O2 -g -target bpf)' });
  }
  throw new BpfcompatError('VALIDATOR_MISSING', `validator ${validator.path}: could not parse ${path} on the host (exit ${code ?? 'signal'}${reason ? `: ${reason}` : ''})`, { hint: "rebuild it with 'make validator'" });
}
