import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { ObjectFacts, TargetFacts } from './facts.ts';
import type { ScreenKernel } from './btf-source.ts';

// Runs the validator's host-side screen once for an object and every kernel: the object is read once, each kernel's
// BTF once, and facts come back as JSON Lines.

const field = (v: string | null): string => {
  if (v && /[\t\n]/.test(v)) throw new BpfcompatError('USAGE', `${v}: a path with a tab or newline cannot be screened`, { hint: 'rename the file' });
  return v ?? '-';
};

/** The object's facts alone (what it needs, before any kernel): the validator with no kernel to screen. */
export async function objectFacts(validatorPath: string, object: string): Promise<ObjectFacts> {
  return (await screenChunk(validatorPath, object, [])).object;
}

/** A module's split BTF file is named after the module (<module>.btf, screen/module-index.ts). */
export const moduleOfBtf = (path: string): string => basename(path).replace(/\.btf$/, '');

/** Facts name modules by their BTF file; predictions and fingerprints by module name (paths differ per kernel). */
function nameModules(t: TargetFacts): TargetFacts {
  for (const p of t.programs ?? []) {
    if (p.attach?.module) p.attach.module = moduleOfBtf(p.attach.module);
    for (const e of p.externs) if (e.module) e.module = moduleOfBtf(e.module);
    for (const u of p.core.unresolved) if (u.module) u.module = moduleOfBtf(u.module);
    if (p.core.modules) p.core.modules = p.core.modules.map(moduleOfBtf);
  }
  return t;
}

/** Many kernels are split across one validator process per core; the object is read once per process. */
export async function screenFacts(validatorPath: string, object: string, kernels: ScreenKernel[], processes = availableParallelism()): Promise<{ object: ObjectFacts; targets: Map<string, TargetFacts> }> {
  const n = Math.max(1, Math.min(processes, Math.ceil(kernels.length / 32)));
  const chunks = Array.from({ length: n }, (_, c) => kernels.map((k, i) => ({ k, i })).filter(({ i }) => i % n === c));
  const parts = await Promise.all(chunks.map((chunk) => screenChunk(validatorPath, object, chunk)));
  const targets = new Map<string, TargetFacts>();
  for (const p of parts) for (const [id, t] of p.targets) targets.set(id, t);
  return { object: parts[0]!.object, targets: new Map(kernels.filter((k) => targets.has(k.id)).map((k) => [k.id, targets.get(k.id)!])) };
}

async function screenChunk(validatorPath: string, object: string, chunk: Array<{ k: ScreenKernel; i: number }>): Promise<{ object: ObjectFacts; targets: Map<string, TargetFacts> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-screen-'));
  try {
    const list = join(dir, 'targets.tsv');
    await writeFile(list, chunk.map(({ k, i }) => [String(i), field(k.btfPath), field(k.systemMapPath), field(k.configPath), k.modulesBtf.map(field).join(',') || '-'].join('\t') + '\n').join(''));
    const res = await execa(validatorPath, ['screen', '--object', object, '--targets', list], { reject: false, stdin: 'ignore', maxBuffer: 1024 * 1024 * 1024 });
    if (res.exitCode !== 0) {
      const line = String(res.stderr).split('\n').find((l) => l.trim()) ?? res.shortMessage ?? 'validator screen failed';
      throw new BpfcompatError('NOT_BPF_ELF', line.replace(/^bpfcompat-validator screen: /, ''), { hint: 'screen needs a BPF ELF object that libbpf can open' });
    }
    const lines = String(res.stdout).split('\n').filter((l) => l.trim());
    const parse = (l: string) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new BpfcompatError('INTERNAL', `validator screen output is not JSON: ${l.slice(0, 120)}`, { hint: 'rebuild the validator (make -C validator)' });
      }
    };
    const obj = ObjectFacts.safeParse(parse(lines[0] ?? '{}'));
    if (!obj.success) throw new BpfcompatError('INTERNAL', `validator screen output: object line does not match the contract (${obj.error.issues[0]?.path.join('.')}: ${obj.error.issues[0]?.message})`, { hint: 'rebuild the validator (make -C validator)' });
    const targets = new Map<string, TargetFacts>();
    const byIndex = new Map(chunk.map(({ k, i }) => [String(i), k]));
    for (const l of lines.slice(1)) {
      const t = TargetFacts.safeParse(parse(l));
      if (!t.success) throw new BpfcompatError('INTERNAL', `validator screen output: target line does not match the contract (${t.error.issues[0]?.path.join('.')}: ${t.error.issues[0]?.message})`, { hint: 'rebuild the validator (make -C validator)' });
      const k = byIndex.get(t.data.name);
      if (k) targets.set(k.id, nameModules(t.data));
    }
    return { object: obj.data, targets };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
