// `kernels fetch` against a loopback server serving what a hostile or broken mirror would: one line, exit 1, and no
// temp file or scratch directory left in the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-kfetch-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function fetchKernels(matrix: string, cache: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['collector/bin/bpfcompat.js', 'kernels', 'fetch', '--matrix', matrix], { env: { ...process.env, BPFCOMPAT_CACHE_DIR: cache } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolveRun({ status, stderr }));
  });
}

test('a URL serving a non-.deb with its correct sha256 is one line, exit 1, nothing left in the cache', async () => {
  const notDeb = randomBytes(300_000);
  const server = createServer((_req, res) => void res.writeHead(200, { 'content-length': notDeb.length }).end(notDeb));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/linux-image.deb`;
    const matrix = join(dir, 'm.yaml');
    writeFileSync(matrix, `name: x\nprofiles:\n  - id: a\n    kernel: { deb: { package: ${url}, sha256: ${sha256Hex(notDeb)} } }\n`);
    const cache = join(dir, 'cache');
    for (let i = 0; i < 5; i++) {
      const r = await fetchKernels(matrix, cache);
      assert.equal(r.status, 1, r.stderr);
      const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('bpfcompat: '));
      assert.equal(errors.length, 1, r.stderr);
      assert.ok(errors[0]!.startsWith(`bpfcompat: profile a: ${url}: not a readable .deb`), errors[0]);
      assert.doesNotMatch(r.stderr, /AssertionError|\n\s+at /);
      assert.deepEqual(existsSync(join(cache, 'kernels')) ? readdirSync(join(cache, 'kernels')).filter((f) => f.startsWith('.tmp-')) : [], [], 'no scratch directory left');
    }
  } finally {
    server.close();
  }
});
