import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResolvedKernel } from '../kernels/types.ts';
import { dependencyClosure, modinfoDepends, moduleName, parseModulesDep, planModules, readModule } from './modules.ts';

const realDep = parseModulesDep(await readFile(new URL('./testdata/modules.dep', import.meta.url), 'utf8'));
const depsOf = (n: string) => realDep.get(n)?.deps;

test('modules.dep of a real Debian kernel: paths and dependency names', () => {
  assert.equal(realDep.get('cls_bpf')?.rel, 'kernel/net/sched/cls_bpf.ko');
  assert.deepEqual(realDep.get('veth')?.deps, []);
  assert.deepEqual(realDep.get('vxlan')?.deps, ['ip6_udp_tunnel', 'udp_tunnel']);
  assert.equal(moduleName('kernel/foo/nf-bar.ko.zst'), 'nf_bar');
});

test('closure lists every dependency once, before the modules that need it', () => {
  const order = dependencyClosure(['xt_nat', 'vxlan', 'nf_conntrack'], depsOf);
  assert.deepEqual(order, ['nf_defrag_ipv6', 'nf_defrag_ipv4', 'libcrc32c', 'nf_conntrack', 'nf_nat', 'x_tables', 'xt_nat', 'ip6_udp_tunnel', 'udp_tunnel', 'vxlan']);
  for (const [i, name] of order.entries()) for (const d of depsOf(name)!) assert.ok(order.indexOf(d) < i, `${d} before ${name}`);
  assert.deepEqual(dependencyClosure(['sch_ingress', 'cls_bpf', 'veth', 'dummy'], depsOf), ['sch_ingress', 'cls_bpf', 'veth', 'dummy']);
  assert.throws(() => dependencyClosure(['nope'], depsOf), /module nope is not in this kernel's modules/);
});

/** A relocatable ELF with a .modinfo section, as a module has. */
async function fakeModule(dir: string, name: string, depends: string): Promise<string> {
  const src = `__attribute__((section(".modinfo"), used)) static const char info[] = "license=GPL\\0depends=${depends}\\0name=${name}";\n__attribute__((used)) static int body = 42;\n`;
  const path = join(dir, `${name}.ko`);
  await execa('clang', ['-c', '-x', 'c', '-', '-o', path], { input: src });
  return path;
}

test('modinfoDepends reads the depends= field of a module object', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-mod-'));
  try {
    assert.deepEqual(modinfoDepends(await readFile(await fakeModule(dir, 'a', 'dep-one,x_tables'))), ['dep_one', 'x_tables']);
    assert.deepEqual(modinfoDepends(await readFile(await fakeModule(dir, 'b', ''))), []);
    assert.throws(() => modinfoDepends(Buffer.from('not an elf at all, not an elf at all, not an elf at all, padding')), /not an ELF64/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('planModules: built-ins skipped, compressed modules found without modules.dep, dependencies first', async () => {
  const root = await mkdtemp(join(tmpdir(), 'bpfcompat-mod-'));
  try {
    const mods = join(root, 'lib/modules/9.9.9-test');
    await mkdir(join(mods, 'kernel/net/sched'), { recursive: true });
    await mkdir(join(mods, 'kernel/lib'), { recursive: true });
    const clsBpf = await fakeModule(join(mods, 'kernel/net/sched'), 'cls_bpf', 'dep-one');
    await execa('xz', [clsBpf]); // → cls_bpf.ko.xz
    await fakeModule(join(mods, 'kernel/lib'), 'dep-one', '');
    await writeFile(join(mods, 'modules.builtin'), 'kernel/drivers/net/veth.ko\n');
    const config = join(root, 'config');
    await writeFile(config, 'CONFIG_NET_SCH_INGRESS=y\nCONFIG_NET_CLS_BPF=m\n# CONFIG_DUMMY is not set\n');
    const kernel: ResolvedKernel = { release: '9.9.9-test', arch: 'x86_64', imagePath: '/dev/null', imageSha256: '', modulesDir: mods, configPath: config, origin: { kind: 'file', image: '' } };

    const plan = await planModules(kernel);
    assert.deepEqual(plan.builtin, ['sch_ingress', 'veth']);
    assert.deepEqual(plan.missing, ['dummy']);
    assert.deepEqual(plan.load.map((m) => m.name), ['dep_one', 'cls_bpf']);
    assert.equal(plan.load[1]!.guestPath, '/lib/modules/9.9.9-test/kernel/net/sched/cls_bpf.ko');
    assert.ok(plan.load[1]!.hostPath.endsWith('cls_bpf.ko.xz'));
    assert.deepEqual(modinfoDepends(await readModule(plan.load[1]!.hostPath)), ['dep_one']);

    // With a modules.dep, it is the source of truth.
    await writeFile(join(mods, 'modules.dep'), 'kernel/net/sched/cls_bpf.ko.xz:\nkernel/lib/dep-one.ko:\n');
    assert.deepEqual((await planModules(kernel)).load.map((m) => m.name), ['cls_bpf']);

    // A kernel without modules still boots: everything not built in is reported missing.
    const bare = await planModules({ ...kernel, modulesDir: null, configPath: null });
    assert.deepEqual(bare, { load: [], builtin: [], missing: ['sch_ingress', 'cls_bpf', 'veth', 'dummy'] });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
