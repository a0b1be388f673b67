import type { ObjectFacts } from './facts.ts';
import type { ModuleIndex } from './module-index.ts';

// Which of a kernel's modules an object's screen needs: the ones holding a name the object looks up that vmlinux
// lacks (its attach targets, kfuncs, typed ksyms, the types its CO-RE relocations look for). Pure: the object's
// facts and the kernel's module index in, module names out.

/** The validator takes at most this many modules' BTF per kernel. */
export const MAX_SCREEN_MODULES = 64;

/** What an object looks up by name in a kernel, by where libbpf looks (BTF FUNC, VAR, named types). */
export interface ObjectNames {
  /** modules the object names itself (fentry/<module>:<function>) */
  modules: string[];
  funcs: string[];
  vars: string[];
  types: string[];
}

/** Kinds whose section target names a module's function as "<module>:<function>" (libbpf's find_kernel_btf_id). */
const NAMES_MODULE = new Set(['fentry', 'fexit', 'fmod_ret', 'tp_btf', 'iter', 'lsm', 'raw_tp']);

/** The names an object's autoloaded programs, externs and CO-RE relocations look up, as the validator looks them up. */
export function objectNames(obj: ObjectFacts): ObjectNames {
  const out: ObjectNames = { modules: [], funcs: [], vars: [], types: [] };
  for (const p of obj.programs) {
    if (!p.autoload || !p.attach_kind || !p.attach_target) continue;
    let target = p.attach_target;
    const colon = target.indexOf(':');
    if (colon >= 0 && NAMES_MODULE.has(p.attach_kind)) {
      out.modules.push(target.slice(0, colon).replace(/-/g, '_'));
      target = target.slice(colon + 1);
    }
    if (['fentry', 'fexit', 'fmod_ret'].includes(p.attach_kind)) out.funcs.push(target);
    else if (p.attach_kind === 'iter') out.funcs.push(`bpf_iter_${target}`);
    else if (p.attach_kind === 'tp_btf' || p.attach_kind === 'raw_tp') out.types.push(`btf_trace_${target}`);
    else if (p.attach_kind === 'kprobe' || p.attach_kind === 'kretprobe') out.funcs.push(target.replace(/\+.*$/, ''));
  }
  for (const e of obj.externs) {
    if (e.kind === 'kfunc') out.funcs.push(e.name);
    else if (e.kind === 'ksym') out.vars.push(e.name);
  }
  out.types.push(...(obj.core_types ?? []));
  return out;
}

export interface ModuleSelection {
  /** modules with BTF to screen, in the order the object first needs them, at most MAX_SCREEN_MODULES */
  modules: string[];
  /** modules that hold a name but were left out (beyond the cap) */
  dropped: string[];
  /** name → the modules holding it, for every looked-up name some module holds */
  found: Map<string, string[]>;
}

/** The modules of this kernel that hold the object's names; only those with BTF (a module without BTF is never found). */
export function selectModules(index: Pick<ModuleIndex, 'modules' | 'funcs' | 'vars' | 'types'>, names: ObjectNames): ModuleSelection {
  const wanted: string[] = [];
  const found = new Map<string, string[]>();
  const add = (m: string) => {
    const entry = index.modules[m];
    if (entry && 'btf' in entry && !wanted.includes(m)) wanted.push(m);
  };
  for (const m of names.modules) add(m);
  for (const [table, list] of [[index.funcs, names.funcs], [index.vars, names.vars], [index.types, names.types]] as const) {
    for (const n of list) {
      const holders = Object.hasOwn(table, n) ? table[n]! : [];
      if (!holders.length) continue;
      found.set(n, holders);
      for (const m of holders) add(m);
    }
  }
  return { modules: wanted.slice(0, MAX_SCREEN_MODULES), dropped: wanted.slice(MAX_SCREEN_MODULES), found };
}
