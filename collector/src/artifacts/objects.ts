import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';
import { isTar, maybeGunzip, readTar } from './tar.ts';
import { MEDIA, type Descriptor } from './model.ts';

// Which bytes of an image are BPF objects: a gadget's ebpf layer is the ELF itself; a bpfman bytecode image's
// layer is a tar (often gzipped) holding the .o; any other layer is searched the same way. An object is an ELF
// with e_machine EM_BPF, whatever its file name.

const EM_BPF = 247;

export interface BpfObject {
  /** The object's name: its path in the layer, or the layer's title annotation. */
  name: string;
  bytes: Buffer;
  sha256: string;
}

export function isBpfElf(b: Buffer): boolean {
  if (b.length < 20 || b.readUInt32BE(0) !== 0x7f454c46) return false;
  return (b[5] === 1 ? b.readUInt16LE(18) : b.readUInt16BE(18)) === EM_BPF;
}

const SKIPPED_MEDIA = /wasm|btfgen|vnd\.gadget\.config|\+json$|\+yaml$/;

/** The BPF objects of one layer (none when the layer holds none). */
export function objectsOfLayer(layer: Descriptor, bytes: Buffer, what: string): BpfObject[] {
  if (SKIPPED_MEDIA.test(layer.mediaType)) return [];
  const title = layer.annotations?.['org.opencontainers.image.title'];
  if (layer.mediaType === MEDIA.gadgetProgram) {
    if (!isBpfElf(bytes)) throw new BpfcompatError('OCI_INVALID', `${what}: the gadget's ebpf layer is not a BPF ELF object`, { hint: 'the gadget image is corrupt' });
    return [{ name: title ?? 'program.bpf.o', bytes, sha256: sha256Hex(bytes) }];
  }
  if (isBpfElf(bytes)) return [{ name: title ?? `${layer.digest.slice(7, 19)}.bpf.o`, bytes, sha256: sha256Hex(bytes) }];
  const plain = maybeGunzip(bytes, what);
  if (isBpfElf(plain)) return [{ name: title ?? `${layer.digest.slice(7, 19)}.bpf.o`, bytes: plain, sha256: sha256Hex(plain) }];
  if (!isTar(plain)) return [];
  return readTar(plain, what).filter((e) => isBpfElf(e.data)).map((e) => ({ name: e.name, bytes: e.data, sha256: sha256Hex(e.data) }));
}

/** Object names unique within the image (two layers may hold the same path). */
export function uniqueNames(objects: BpfObject[]): BpfObject[] {
  const seen = new Map<string, number>();
  return objects.map((o) => {
    const n = (seen.get(o.name) ?? 0) + 1;
    seen.set(o.name, n);
    return n === 1 ? o : { ...o, name: `${o.name}#${n}` };
  });
}
