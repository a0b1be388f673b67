import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { parseReleaseSha256, signedBody, verifyInRelease } from './inrelease.ts';

// A real InRelease recorded from the archive (testdata/record-index.ts), checked with the system's
// gpgv and debian-archive-keyring, and copies of it that must be refused.
const recorded = join(import.meta.dirname, 'testdata', 'trixie-backports.InRelease');

async function withCopy(mutate: (text: string) => string, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-inrelease-'));
  try {
    const file = join(dir, 'InRelease');
    await writeFile(file, mutate(await readFile(recorded, 'utf8')));
    await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a real InRelease verifies (past its Valid-Until) and lists the Packages.xz hash', async () => {
  await verifyInRelease(recorded);
  const body = signedBody(await readFile(recorded, 'utf8'));
  assert.match(body, /^Valid-Until: /m);
  const entry = parseReleaseSha256(body).get('main/binary-amd64/Packages.xz');
  assert.ok(entry);
  assert.match(entry.sha256, /^[0-9a-f]{64}$/);
  assert.ok(entry.size > 1000);
});

test('a tampered hash line is refused with INTEGRITY', async () => {
  await withCopy(
    (t) => t.replace(/^ [0-9a-f]{64}(\s+\d+ main\/binary-amd64\/Packages\.xz)$/m, ` ${'0'.repeat(64)}$1`),
    async (file) => {
      assert.notEqual(await readFile(file, 'utf8'), await readFile(recorded, 'utf8'));
      await assert.rejects(verifyInRelease(file), (e) => e instanceof BpfcompatError && e.code === 'INTEGRITY' && /BADSIG/.test(e.message));
    },
  );
});

test('a file signed by a key outside the keyring is refused', async () => {
  // Same bytes, but checked against a keyring that does not hold Debian's archive keys.
  await assert.rejects(
    verifyInRelease(recorded, { keyrings: ['/usr/share/keyrings/debian-archive-removed-keys.gpg'] }),
    (e) => e instanceof BpfcompatError && e.code === 'INTEGRITY',
  );
});

test('an unsigned file is refused', async () => {
  await withCopy(
    (t) => t.slice(t.indexOf('\n\n') + 2, t.indexOf('-----BEGIN PGP SIGNATURE-----')),
    async (file) => {
      await assert.rejects(verifyInRelease(file), (e) => e instanceof BpfcompatError && e.code === 'INTEGRITY');
    },
  );
});
