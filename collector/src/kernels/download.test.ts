import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfcompatError } from '../../../history/vocabulary/errors.ts';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';
import { download, MAX_DOWNLOAD_BYTES } from './download.ts';

// Failure modes the real archive cannot be asked to produce: a local server that fails on demand.
const body = Buffer.from('kernel bytes '.repeat(1000));

async function withServer(fn: (base: string, dir: string, hits: Map<string, number>) => Promise<void>): Promise<void> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const n = (hits.get(req.url!) ?? 0) + 1;
    hits.set(req.url!, n);
    if (req.url === '/flaky' && n < 3) return void res.writeHead(503).end();
    if (req.url === '/missing') return void res.writeHead(404).end();
    if (req.url === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
    if (req.url === '/huge') return void res.writeHead(200, { 'content-length': String(1024 * 1024 * 1024) }).end();
    if (req.url === '/endless' || req.url === '/stall') {
      // a body that never ends (chunked, no length), or one that stops after a first chunk
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) if (req.url === '/stall') return;
        if (!res.destroyed && req.url === '/endless') res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      return void pump();
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = await mkdtemp(join(tmpdir(), 'bpfcompat-dl-'));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, dir, hits);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('streams to the destination and returns its sha256 and size', async () => {
  await withServer(async (base, dir) => {
    const got = await download(`${base}/ok`, join(dir, 'a.deb'), { sha256: sha256Hex(body) });
    assert.equal(got.sha256, sha256Hex(body));
    assert.equal(got.size, body.length);
    assert.deepEqual(await readFile(join(dir, 'a.deb')), body);
  });
});

test('retries transient 5xx twice, then succeeds', async () => {
  await withServer(async (base, dir, hits) => {
    const got = await download(`${base}/flaky`, join(dir, 'b.deb'));
    assert.equal(got.size, body.length);
    assert.equal(hits.get('/flaky'), 3);
  });
});

test('a 404 is a DOWNLOAD error naming the URL, without retries', async () => {
  await withServer(async (base, dir, hits) => {
    await assert.rejects(download(`${base}/missing`, join(dir, 'c.deb')), (e) =>
      e instanceof BpfcompatError && e.code === 'DOWNLOAD' && e.message.includes(`${base}/missing`) && /--offline/.test(e.hint ?? ''));
    assert.equal(hits.get('/missing'), 1);
  });
});

test('a sha256 mismatch is INTEGRITY and leaves no file behind', async () => {
  await withServer(async (base, dir) => {
    await assert.rejects(download(`${base}/ok`, join(dir, 'd.deb'), { sha256: '0'.repeat(64), what: 'linux-image-x 1.0' }), (e) =>
      e instanceof BpfcompatError && e.code === 'INTEGRITY' && e.message.startsWith('linux-image-x 1.0:'));
    assert.deepEqual(await readdir(dir), []);
  });
});

test('a body that never ends stops at the size cap: one DOWNLOAD error, no temp file left', async () => {
  await withServer(async (base, dir) => {
    await assert.rejects(download(`${base}/endless`, join(dir, 'e.deb'), { maxBytes: 4 * 1024 * 1024, what: 'linux-image-y' }), (e) =>
      e instanceof BpfcompatError && e.code === 'DOWNLOAD' && e.message === 'linux-image-y: more than the 4194304 bytes expected; nothing kept');
    assert.deepEqual(await readdir(dir), []);
    // the default cap (MAX_DOWNLOAD_BYTES) refuses a declared length beyond it before reading the body
    await assert.rejects(download(`${base}/huge`, join(dir, 'f.deb')), (e) =>
      e instanceof BpfcompatError && e.code === 'DOWNLOAD' && new RegExp(`larger than the ${MAX_DOWNLOAD_BYTES / 1048576} MiB download limit`).test(e.message));
    assert.deepEqual(await readdir(dir), []);
  });
});

test('redirects are followed; an interrupted download says its partial file is gone and leaves none', async () => {
  await withServer(async (base, dir) => {
    assert.equal((await download(`${base}/redirect`, join(dir, 'r.deb'))).size, body.length);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    await assert.rejects(download(`${base}/stall`, join(dir, 's.deb'), { signal: stop.signal }), (e) =>
      e instanceof BpfcompatError && e.code === 'DOWNLOAD' && /interrupted; its partial file was removed/.test(e.message) && /starts over/.test(e.hint ?? ''));
    assert.deepEqual((await readdir(dir)).sort(), ['r.deb']);
  });
});
