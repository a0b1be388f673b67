import { usageError } from '../../../history/vocabulary/errors.ts';
import { buildImage } from '../images/build.ts';
import { recipeNames } from '../images/recipes.ts';
import { listImages } from '../images/store.ts';
import { parseFlags } from './args.ts';
import type { Verb } from './verb.ts';

// `bpfcompat images build|list`: disk images for the image lane (profile.image.name). Only parses and prints.

const HELP = `Usage:
  bpfcompat images build NAME [--out DIR] [--json]
      Build a disk image for the image lane with mmdebstrap from Debian's archive (signed indexes checked
      by apt against debian-archive-keyring): systemd, openssh-server, cloud-init (NoCloud), the distro
      kernel, iproute2, libbpf1 and bpftool. Writes disk.qcow2, the image's vmlinuz and initrd.img, and
      image.json (sha256s) to DIR, default the cache's images/NAME. Needs root. Known images: ${recipeNames().join(', ')}.
  bpfcompat images list [--json]
      List the built images in the cache.

Flags:
  --out DIR   where to put the image (a profile then names it with image.path: DIR/disk.qcow2)
  --json      machine-readable output on stdout

A profile uses a built image with  image: { name: debian-12 }  (see docs/lanes.md).
The cache is $BPFCOMPAT_CACHE_DIR, else $XDG_CACHE_HOME/bpfcompat (~/.cache/bpfcompat).`;

async function build(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('images build', argv, { out: { type: 'string' }, json: { type: 'boolean' } }, { positionals: 1 });
  const name = positionals[0];
  if (!name) throw usageError(`images build: name the image to build (${recipeNames().join(', ')})`, "run 'bpfcompat images --help'");
  const ac = new AbortController();
  const onSigint = (): void => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    const r = await buildImage(name, { ...(values.out ? { outDir: values.out } : {}), signal: ac.signal, onProgress: (l) => process.stderr.write(`bpfcompat: ${l}\n`) });
    if (values.json) process.stdout.write(`${JSON.stringify({ dir: r.dir, ...r.sidecar, steps_ms: r.stepsMs }, null, 2)}\n`);
    else process.stdout.write(`${name}  ${r.sidecar.kernel.release}  ${r.sidecar.disk.sha256.slice(0, 12)}  ${r.dir}\n`);
  } finally {
    process.off('SIGINT', onSigint);
  }
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseFlags('images list', argv, { json: { type: 'boolean' } });
  const images = await listImages();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(images.map((i) => ({ ...i.sidecar, dir: i.dir, size_bytes: i.sizeBytes })), null, 2)}\n`);
    return 0;
  }
  if (images.length === 0) process.stdout.write('no images built (run `bpfcompat images build debian-12`)\n');
  for (const i of images) process.stdout.write(`${i.name}  ${i.sidecar.kernel.release}  ${i.sidecar.disk.sha256.slice(0, 12)}  ${(i.sizeBytes / 1e6).toFixed(0)} MB  built ${i.sidecar.built_at}\n`);
  return 0;
}

export const imagesVerb: Verb = {
  name: 'images',
  summary: 'build disk images for the image lane (debian-12), or list them',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'build') return build(rest);
    if (sub === 'list') return list(rest);
    throw usageError(`images: unknown sub-command '${sub ?? ''}' (build or list)`, "run 'bpfcompat images --help'");
  },
};
