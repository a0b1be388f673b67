// The module BTF index on a real Debian kernel the set-up caches (trixie-backports, .ko.xz modules): a modules
// directory of a few of its real modules, one stripped of .BTF and one that does not decompress, indexed against the
// kernel's own vmlinux BTF by the real validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadMatrix } from '../config/matrix.ts';
import { cacheRoot } from '../infra/xdg.ts';
import { resolveKernel } from '../kernels/resolve.ts';
import type { ResolvedKernel } from '../kernels/types.ts';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { locateValidator } from '../validation/validator-binary.ts';
import { kernelBtf } from './btf-source.ts';
import { kernelModuleIndex, ModuleIndex, moduleBtfPath } from './module-index.ts';
import { MAX_SCREEN_MODULES, objectNames, selectModules } from './module-select.ts';
import type { ObjectFacts } from './facts.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-modindex-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function debianKernel(id: string): Promise<ResolvedKernel> {
  const profile = (await loadMatrix(join(ROOT, 'matrices/debian.yaml'))).profiles.find((p) => p.id === id)!;
  return resolveKernel(profile, { offline: true });
}

/** A kernel whose modules directory holds md-mod and veth (real), nobtf (veth without .BTF), badbtf (veth whose .BTF
 *  is not BTF) and broken (not xz). */
async function smallKernel(): Promise<{ kernel: ResolvedKernel; vmlinux: string }> {
  const real = await debianKernel('debian-13-backports');
  const modulesDir = join(dir, 'modules');
  mkdirSync(join(modulesDir, 'kernel/drivers/md'), { recursive: true });
  mkdirSync(join(modulesDir, 'kernel/drivers/net'), { recursive: true });
  copyFileSync(join(real.modulesDir!, 'kernel/drivers/md/md-mod.ko.xz'), join(modulesDir, 'kernel/drivers/md/md-mod.ko.xz'));
  copyFileSync(join(real.modulesDir!, 'kernel/drivers/net/veth.ko.xz'), join(modulesDir, 'kernel/drivers/net/veth.ko.xz'));
  const veth = join(dir, 'veth.ko');
  writeFileSync(veth, execFileSync('xz', ['-dc', join(real.modulesDir!, 'kernel/drivers/net/veth.ko.xz')]));
  execFileSync('llvm-objcopy', ['--remove-section=.BTF', veth, join(modulesDir, 'kernel/drivers/net/nobtf.ko')]);
  writeFileSync(join(dir, 'garbage'), Buffer.alloc(64, 7));
  execFileSync('llvm-objcopy', [`--update-section=.BTF=${join(dir, 'garbage')}`, veth, join(modulesDir, 'kernel/drivers/net/badbtf.ko')]);
  writeFileSync(join(modulesDir, 'kernel/drivers/net/broken.ko.xz'), 'not xz at all');
  const vmlinux = (await kernelBtf(real, cacheRoot())).path!;
  // no modules.dep: the index walks the directory, as for a kernel installed without depmod
  return { kernel: { ...real, modulesDir, imageSha256: 'a'.repeat(64) }, vmlinux };
}

test('the index maps what each module adds to vmlinux to the module, keeps each module\'s split BTF, and says why a module has none', async () => {
  const { kernel, vmlinux } = await smallKernel();
  const cache = join(dir, 'cache');
  const validator = (await locateValidator()).path;
  const [a, b] = [kernelModuleIndex(kernel, vmlinux, cache, validator), kernelModuleIndex(kernel, vmlinux, cache, validator)];
  assert.equal(a, b, 'concurrent requests share one build');
  const { dir: idxDir, index } = await a;
  assert.equal(idxDir, join(cache, 'screen', 'modules', 'a'.repeat(64)));
  assert.deepEqual(Object.keys(index.modules).sort(), ['badbtf', 'broken', 'md_mod', 'nobtf', 'veth']);
  assert.deepEqual(index.modules.md_mod, { btf: 'md_mod.btf' });
  assert.equal(readFileSync(moduleBtfPath(idxDir, 'md_mod')).readUInt16LE(0), 0xeb9f, 'the split BTF is kept as raw BTF');
  assert.match((index.modules.nobtf as { missing: string }).missing, /nobtf\.ko: no \.BTF section/);
  assert.match((index.modules.broken as { missing: string }).missing, /broken\.ko\.xz/);
  assert.match((index.modules.badbtf as { missing: string }).missing, /badbtf\.btf: its BTF does not parse on top of vmlinux/);
  assert.deepEqual(index.funcs.md_flush_request, ['md_mod']);
  assert.deepEqual(index.funcs.veth_xmit, ['veth']);
  assert.deepEqual(index.types.mddev, ['md_mod']);
  // only names vmlinux lacks: libbpf looks in modules only then
  assert.equal(index.funcs.vfs_read, undefined);
  assert.equal(index.types.task_struct, undefined);
  assert.equal(index.types.sk_buff, undefined);
  // written last, atomically, in the contract's shape
  const onDisk = ModuleIndex.parse(JSON.parse(readFileSync(join(idxDir, 'index.json'), 'utf8')));
  assert.deepEqual(onDisk, index);
  assert.ok(existsSync(moduleBtfPath(idxDir, 'veth')));
  assert.ok(!existsSync(moduleBtfPath(idxDir, 'nobtf')));
});

test('an index that cannot be built is an error naming its directory, and nothing is left that a later screen would trust', async () => {
  const { kernel, vmlinux } = await smallKernel();
  const cache = join(dir, 'cache-bad');
  const k = { ...kernel, imageSha256: 'b'.repeat(64) };
  await assert.rejects(kernelModuleIndex(k, vmlinux, cache, '/bin/false'), (e: Error) => e instanceof BpfcompatError && /screen\/modules\/b{64}: indexing module BTF failed/.test(e.message) && !e.message.includes('\n'));
  assert.ok(!existsSync(join(cache, 'screen', 'modules', 'b'.repeat(64), 'index.json')));
  const { index } = await kernelModuleIndex(k, vmlinux, cache, (await locateValidator()).path);
  assert.deepEqual(index.funcs.md_flush_request, ['md_mod'], 'built on the next request');
});

test('the validator finds a target, and CO-RE candidates, in the split BTF it is given, and names the module', async () => {
  const { kernel, vmlinux } = await smallKernel();
  const validator = (await locateValidator()).path;
  const { dir: idxDir } = await kernelModuleIndex({ ...kernel, imageSha256: 'c'.repeat(64) }, vmlinux, join(dir, 'cache-facts'), validator);
  const run = (object: string, modules: string[]) => {
    const out = execFileSync(validator, ['screen', '--object', join(ROOT, 'validator/build/testdata', object), '--btf', vmlinux, ...modules.flatMap((m) => ['--module-btf', moduleBtfPath(idxDir, m)])], { encoding: 'utf8' });
    const [obj, target] = out.trim().split('\n').map((l) => JSON.parse(l));
    return { obj, program: target.programs[0] };
  };
  const alone = run('module_loaded.bpf.o', []);
  assert.equal(alone.program.attach.status, 'missing');
  assert.equal(alone.obj.programs[0].attach_target, 'veth_xmit');
  const withVeth = run('module_loaded.bpf.o', ['md_mod', 'veth']);
  assert.equal(withVeth.program.attach.status, 'present');
  assert.equal(withVeth.program.attach.module, moduleBtfPath(idxDir, 'veth'));
  const core = run('module_unloaded.bpf.o', ['veth', 'md_mod']);
  assert.deepEqual(core.obj.core_types, ['mddev']);
  assert.equal(core.program.attach.module, moduleBtfPath(idxDir, 'md_mod'));
  assert.deepEqual(core.program.core.modules, [moduleBtfPath(idxDir, 'md_mod')]);
  assert.deepEqual(core.program.core.unresolved, []);
  assert.equal(run('module_unloaded.bpf.o', []).program.core.unresolved[0].outcome, 'poisoned', 'without md_mod, struct mddev has no candidate');
});

const facts = (over: Partial<ObjectFacts>): ObjectFacts => ({
  kind: 'object', path: 'x.bpf.o', has_btf: true, has_btf_ext: true, has_core: false, core_relos: 0, license: 'GPL', programs: [], maps: [], externs: [], ...over,
});
const prog = (section: string, kind: string | null, target: string | null, autoload = true) => ({ name: section.replace(/\W/g, '_'), section, prog_type: 'tracing', autoload, attach_kind: kind, attach_target: target, functions: [] });

test('an object\'s names: attach targets as the validator looks them up, kfuncs, typed ksyms, CO-RE types', () => {
  const n = objectNames(facts({
    programs: [
      prog('fentry/md_flush_request', 'fentry', 'md_flush_request'),
      prog('fexit/nf_conntrack:nf_ct_delete', 'fexit', 'nf_conntrack:nf_ct_delete'),
      prog('tp_btf/xdp_redirect', 'tp_btf', 'xdp_redirect'),
      prog('iter/bpf_map', 'iter', 'bpf_map'),
      prog('kprobe/veth_xmit+4', 'kprobe', 'veth_xmit+4'),
      prog('fentry/not_loaded', 'fentry', 'not_loaded', false),
      prog('tracepoint/sched/sched_switch', 'tracepoint', 'sched/sched_switch'),
    ],
    externs: [{ name: 'bpf_ct_insert_entry', kind: 'kfunc', weak: false }, { name: 'cpu_data', kind: 'ksym', weak: false }, { name: 'LINUX_KERNEL_VERSION', kind: 'kconfig', weak: false }],
    core_types: ['mddev'],
  }));
  assert.deepEqual(n, {
    modules: ['nf_conntrack'],
    funcs: ['md_flush_request', 'nf_ct_delete', 'bpf_iter_bpf_map', 'veth_xmit', 'bpf_ct_insert_entry'],
    vars: ['cpu_data'],
    types: ['btf_trace_xdp_redirect', 'mddev'],
  });
});

test('selection on a real kernel\'s index: only the modules holding the object\'s names, the first named first, never a module without BTF', async () => {
  const real = await debianKernel('debian-13');
  const { index } = await kernelModuleIndex(real, (await kernelBtf(real, cacheRoot())).path!, cacheRoot(), (await locateValidator()).path);
  assert.ok(Object.keys(index.modules).length > 900, 'the whole kernel is indexed');
  const s = selectModules(index, objectNames(facts({ programs: [prog('fentry/md_flush_request', 'fentry', 'md_flush_request')], core_types: ['task_struct', 'mddev'] })));
  assert.equal(s.modules[0], 'md_mod');
  assert.ok(s.modules.includes('raid456'), 'every module defining struct mddev: libbpf takes candidates from each');
  assert.ok(!s.modules.includes('veth'));
  assert.deepEqual(s.found.get('md_flush_request'), ['md_mod']);
  assert.equal(s.found.has('task_struct'), false, 'vmlinux\'s types never pull a module in');
  assert.deepEqual(selectModules(index, objectNames(facts({ programs: [prog('fentry/vfs_read', 'fentry', 'vfs_read')] }))).modules, []);
  // the cap, and a name held only by a module without BTF
  const modules: ModuleIndex['modules'] = { nobtf: { missing: 'no .BTF' } };
  for (let i = 0; i < 70; i++) modules[`m${i}`] = { btf: `m${i}.btf` };
  const many = { modules, funcs: { f: [...Array.from({ length: 70 }, (_, i) => `m${i}`), 'nobtf'] }, vars: {}, types: {} };
  const capped = selectModules(many, { modules: [], funcs: ['f'], vars: [], types: [] });
  assert.equal(capped.modules.length, MAX_SCREEN_MODULES);
  assert.equal(capped.dropped.length, 70 - MAX_SCREEN_MODULES);
  assert.ok(!capped.modules.includes('nobtf') && !capped.dropped.includes('nobtf'));
  assert.deepEqual(selectModules(many, { modules: [], funcs: ['toString', 'constructor'], vars: [], types: [] }).modules, [], 'names are looked up as data, not as object properties');
});
