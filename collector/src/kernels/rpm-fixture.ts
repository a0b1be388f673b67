import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

// TEST SUPPORT ONLY (used by rpm-*.test.ts): builds a real .rpm with rpmbuild (Debian package `rpm`) from
// files laid out as in the package. rpmbuild runs its own %install script; it only copies a staging tree
// we filled from Node, and every value reaches it as a --define argument.

export interface RpmFile {
  /** Absolute path inside the package, e.g. /lib/modules/6.1.0/vmlinuz. */
  path: string;
  /** Copy this host file or directory (recursively) … */
  from?: string;
  /** … or write these bytes. */
  content?: string | Buffer;
}

export interface BuildRpmOptions {
  name: string;
  files: RpmFile[];
  /** Where the .rpm and the rpmbuild scratch go. */
  outDir: string;
  /** rpm's payload compressor: w1.gzdio (fast, default), w2.xzdio, w3.zstdio (Fedora's). */
  payload?: string;
  /** Package architecture (only a label here). */
  arch?: string;
  version?: string;
  release?: string;
}

const SPEC = `Name: %{fx_name}
Version: %{fx_version}
Release: %{fx_release}
Summary: bpfcompat test kernel package
License: GPL-2.0-only
AutoReqProv: no
%define debug_package %{nil}
%define __os_install_post %{nil}
%define _build_id_links none
%description
A kernel laid out like a distro kernel package, for bpfcompat's tests.
%install
mkdir -p %{buildroot}
cp -a %{fx_stage}/. %{buildroot}/
%files -f %{fx_filelist}
`;

/** Builds the .rpm and returns its path. */
export async function buildRpm(o: BuildRpmOptions): Promise<string> {
  const top = join(o.outDir, `rpmbuild-${o.name}`);
  const stage = join(top, 'stage');
  await mkdir(stage, { recursive: true });
  for (const f of o.files) {
    const dest = join(stage, f.path);
    await mkdir(dirname(dest), { recursive: true });
    if (f.from !== undefined) await cp(f.from, dest, { recursive: true });
    else await writeFile(dest, f.content ?? '');
  }
  const spec = join(top, 'kernel.spec');
  await writeFile(spec, SPEC);
  const filelist = join(top, 'files.list');
  await writeFile(filelist, (await readdir(stage)).map((e) => `/${e}\n`).join(''));
  const arch = o.arch ?? 'x86_64';
  await execa('rpmbuild', [
    '-bb', spec, '--target', arch, '--quiet',
    '--define', `_topdir ${join(top, 'top')}`,
    '--define', `_rpmdir ${o.outDir}`,
    '--define', '_rpmfilename %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm',
    '--define', `_binary_payload ${o.payload ?? 'w1.gzdio'}`,
    '--define', `fx_name ${o.name}`,
    '--define', `fx_version ${o.version ?? '1.0'}`,
    '--define', `fx_release ${o.release ?? '1'}`,
    '--define', `fx_stage ${stage}`,
    '--define', `fx_filelist ${filelist}`,
  ], { stdin: 'ignore' });
  return join(o.outDir, `${o.name}-${o.version ?? '1.0'}-${o.release ?? '1'}.${arch}.rpm`);
}

/** xz-compressed bytes (Fedora's modules are .ko.xz), via the xz tool. */
export async function xz(data: string | Buffer): Promise<Buffer> {
  const r = await execa('xz', ['-c'], { input: data, encoding: 'buffer' });
  return Buffer.from(r.stdout);
}
