import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256File } from '../../../history/vocabulary/hash.ts';
import { checkObjectParses } from './object-parse.ts';
import { fileErrorText } from '../infra/file-errors.ts';

export const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;
const EM_BPF = 247;

export interface ArtifactInfo {
  path: string;
  basename: string;
  sha256: string;
  sizeBytes: number;
}

/** Checks that a file is a BPF ELF object libbpf can parse, with errors naming the file and what to do. */
export async function inspectArtifact(path: string, flag = '--artifact'): Promise<ArtifactInfo> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new BpfcompatError('FILE_NOT_FOUND', `${flag} ${path}: ${fileErrorText(err)}`, { hint: missing ? 'build the object first (e.g. clang -O2 -g -target bpf -c prog.bpf.c -o prog.bpf.o)' : 'check the path' });
  }
  if (!st.isFile()) throw new BpfcompatError('FILE_NOT_FOUND', `${flag} ${path}: not a regular file`, { hint: 'pass the compiled .bpf.o file' });
  if (st.size === 0) throw new BpfcompatError('FILE_EMPTY', `${flag} ${path}: the file is empty`, { hint: 'rebuild the object; the compiler output was truncated' });
  if (st.size > MAX_ARTIFACT_BYTES) {
    throw new BpfcompatError('FILE_TOO_LARGE', `${flag} ${path}: ${(st.size / 1048576).toFixed(0)} MiB is larger than the ${MAX_ARTIFACT_BYTES / 1048576} MiB limit for a BPF object`, {
      hint: 'pass the compiled .bpf.o, not an archive or a binary',
    });
  }
  const header = Buffer.alloc(20);
  const fh = await open(path, 'r');
  try {
    await fh.read(header, 0, 20, 0);
  } finally {
    await fh.close();
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) {
    throw new BpfcompatError('NOT_ELF', `${flag} ${path}: not an ELF object (no ELF magic)`, { hint: 'pass the .bpf.o produced by clang -target bpf' });
  }
  const littleEndian = header[5] === 1;
  const machine = littleEndian ? header.readUInt16LE(18) : header.readUInt16BE(18);
  if (machine !== EM_BPF) {
    throw new BpfcompatError('NOT_BPF_ELF', `${flag} ${path}: an ELF file for machine ${machine}, not BPF (${EM_BPF})`, {
      hint: 'compile with clang -target bpf; to test a loader binary use test-command',
    });
  }
  await checkObjectParses(path, flag);
  return { path, basename: basename(path), sha256: await sha256File(path), sizeBytes: st.size };
}
