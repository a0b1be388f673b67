// A signed site read as select and fetch read it, from a directory and over HTTP (the site's own static server on
// loopback): the manifest's signature and every file's sha256 are checked before use; a changed byte, an unlisted
// file, an untrusted key and an unsigned site are refused. No kernels boot here (runtime.e2e.test.ts does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfcompatError } from '../history/vocabulary/errors.ts';
import { generateSigningKeyPair, keyIdOf } from '../history/vocabulary/signing.ts';
import { SiteReader } from '../collector/src/runtime/site-source.ts';
import { signSite } from '../site/publish.ts';
import { serveStatic } from '../site/serve.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-signed-site-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function key() {
  const p = generateSigningKeyPair();
  const publicKey = createPublicKey(p.publicPem);
  return { signing: { keyId: keyIdOf(publicKey), publicKey, privateKey: createPrivateKey(p.privatePem) }, trusted: { keyId: keyIdOf(publicKey), publicKey } };
}

async function refused(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof BpfcompatError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a signed site is read from a directory and a URL; one changed byte, an unlisted file, another key and no signature are refused', async () => {
  const site = join(dir, 'site');
  mkdirSync(join(site, 'api', 'v1'), { recursive: true });
  mkdirSync(join(site, 'artifacts'), { recursive: true });
  writeFileSync(join(site, 'api', 'v1', 'artifacts.json'), '{"schema":"bpfcompat.site.v1","artifacts":[]}\n');
  writeFileSync(join(site, 'artifacts', `${'a'.repeat(64)}.bpf.o`), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
  writeFileSync(join(site, 'index.html'), '<!doctype html>');
  const k = key();
  const other = key();
  const res = await signSite(site, k.signing);
  assert.deepEqual(res, { keyId: k.signing.keyId, files: 2 });

  const server = await serveStatic(site, '/repo/', 0);
  try {
    for (const location of [site, `${server.origin}/repo/`]) {
      const r = new SiteReader(location, [k.trusted]);
      assert.deepEqual(await r.json('api/v1/artifacts.json'), { schema: 'bpfcompat.site.v1', artifacts: [] });
      assert.equal((await r.file(`artifacts/${'a'.repeat(64)}.bpf.o`)).length, 7);
      assert.equal(r.signedKeyId, k.signing.keyId);
      await refused(new SiteReader(location, [other.trusted]).json('api/v1/artifacts.json'), 'SIGNATURE', /signed by key [0-9a-f]{16}, which is not a --trusted-key; evidence refused/);
      await refused(r.file('index.html'), 'SIGNATURE', /index\.html is not in the signed manifest/);
      await refused(r.file('../etc/passwd'), 'INTEGRITY', /refusing the path/);
    }
  } finally {
    await server.close();
  }

  // One byte of an API file, then of an object: refused with the hash named.
  const t = join(dir, 'tampered');
  cpSync(site, t, { recursive: true });
  const api = join(t, 'api', 'v1', 'artifacts.json');
  writeFileSync(api, readFileSync(api, 'utf8').replace('[]', '[ '));
  await refused(new SiteReader(t, [k.trusted]).json('api/v1/artifacts.json'), 'INTEGRITY', /artifacts\.json hashes to [0-9a-f]{16}…, the signed manifest says/);
  const obj = join(t, 'artifacts', `${'a'.repeat(64)}.bpf.o`);
  const bytes = readFileSync(obj);
  bytes[6] = bytes[6]! ^ 1;
  writeFileSync(obj, bytes);
  await refused(new SiteReader(t, [k.trusted]).file(`artifacts/${'a'.repeat(64)}.bpf.o`), 'INTEGRITY', /hashes to .*the signed manifest says/);
  // One byte of the manifest itself: the signature no longer holds.
  const m = join(t, 'api', 'v1', 'signatures.json');
  writeFileSync(m, readFileSync(m, 'utf8').replace('"files"', '"files" '));
  await refused(new SiteReader(t, [k.trusted]).signatures(), 'SIGNATURE', /signature of api\/v1\/signatures\.json does not hold/);
  // An unsigned site, when keys are trusted: refused; without trusted keys it is read as is.
  rmSync(join(t, 'api', 'v1', 'signatures.json'));
  await refused(new SiteReader(t, [k.trusted]).json('api/v1/artifacts.json'), 'SIGNATURE', /the site is not signed/);
  assert.ok(await new SiteReader(site).json('api/v1/artifacts.json'));
});
