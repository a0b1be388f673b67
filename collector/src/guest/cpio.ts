// A writer for the "newc" cpio format, the only one the kernel's initramfs unpacker reads.
// Written here so building a guest image needs no cpio binary and gives the same bytes every time
// (mtime 0, uid/gid 0, inode numbers in insertion order).

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const TRAILER = 'TRAILER!!!';

interface Entry {
  name: string;
  mode: number;
  data: Buffer;
  rdevMajor: number;
  rdevMinor: number;
}

/** Collects entries; parent directories are added on demand because the kernel does not create them. */
export class CpioWriter {
  readonly #entries: Entry[] = [];
  readonly #dirs = new Set<string>();
  readonly #names = new Set<string>();

  dir(path: string, perm = 0o755): this {
    const name = normalise(path);
    if (name === '' || this.#dirs.has(name)) return this;
    this.#parents(name);
    this.#dirs.add(name);
    this.#push({ name, mode: S_IFDIR | perm, data: Buffer.alloc(0), rdevMajor: 0, rdevMinor: 0 });
    return this;
  }

  file(path: string, data: Uint8Array | string, perm = 0o644): this {
    const name = normalise(path);
    this.#parents(name);
    this.#push({ name, mode: S_IFREG | perm, data: Buffer.from(data), rdevMajor: 0, rdevMinor: 0 });
    return this;
  }

  symlink(path: string, target: string): this {
    const name = normalise(path);
    this.#parents(name);
    this.#push({ name, mode: S_IFLNK | 0o777, data: Buffer.from(target), rdevMajor: 0, rdevMinor: 0 });
    return this;
  }

  charDevice(path: string, major: number, minor: number, perm = 0o600): this {
    const name = normalise(path);
    this.#parents(name);
    this.#push({ name, mode: S_IFCHR | perm, data: Buffer.alloc(0), rdevMajor: major, rdevMinor: minor });
    return this;
  }

  /** The archive with its trailer, padded to 512 bytes so further archives can be appended. */
  finish(): Buffer {
    const parts: Buffer[] = [];
    let ino = 1;
    for (const e of this.#entries) parts.push(...record(e, ino++));
    parts.push(...record({ name: TRAILER, mode: 0, data: Buffer.alloc(0), rdevMajor: 0, rdevMinor: 0 }, 0));
    const body = Buffer.concat(parts);
    return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
  }

  #parents(name: string): void {
    const cut = name.lastIndexOf('/');
    if (cut > 0) this.dir(name.slice(0, cut));
  }

  #push(e: Entry): void {
    if (this.#names.has(e.name)) throw new Error(`cpio: duplicate entry ${e.name}`);
    this.#names.add(e.name);
    this.#entries.push(e);
  }
}

/** Archive names are relative ("bin/busybox"); guest paths are absolute. Rejects anything that could escape the root. */
function normalise(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new Error(`cpio: path ${path} must not contain ..`);
  return parts.join('/');
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function record(e: Entry, ino: number): Buffer[] {
  const nameBytes = Buffer.from(`${e.name}\0`);
  const isDir = (e.mode & 0o170000) === S_IFDIR;
  const header =
    '070701' +
    [ino, e.mode, 0, 0, isDir ? 2 : 1, 0, e.data.length, 0, 0, e.rdevMajor, e.rdevMinor, nameBytes.length, 0].map(hex8).join('');
  const head = Buffer.concat([Buffer.from(header, 'ascii'), nameBytes]);
  return [head, pad4(head.length), e.data, pad4(e.data.length)];
}
