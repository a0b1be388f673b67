// fetch follows the --artifact-uri recorded with a run (a real HTTP server on loopback) and writes the object only
// when it hashes to the sha256 the (signed) evidence names; the URI is part of what a run signature covers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import Database from 'better-sqlite3';
import { openHistory } from '../../../history/src/index.ts';
import { makeRun, DEBIAN_KERNELS } from '../../../history/src/testdata/factory.ts';
import { sha256Hex } from '../../../history/vocabulary/hash.ts';
import { generateSigningKeyPair, keyIdOf } from '../../../history/vocabulary/signing.ts';

const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-uri-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // Asynchronous: the HTTP server below runs in this process.
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['collector/bin/bpfcompat.js', ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('fetch --history follows the recorded artifact URI, checks the sha256 and writes nothing when it differs', async () => {
  let served = Buffer.from('artifact:agent-1.0');
  const server = createServer((req, res) => {
    if (req.url === '/agent.bpf.o') res.end(served);
    else res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  try {
    const path = join(dir, 'h.sqlite');
    const run = makeRun({ id: 'r-1', name: 'agent', version: '1.0', variant: 'plain', artifactSeed: 'agent-1.0' });
    const h = openHistory(path);
    h.appendRun({ ...run, artifact: { ...run.artifact, uri: `http://127.0.0.1:${port}/agent.bpf.o` } });
    const pair = generateSigningKeyPair();
    const pk = createPublicKey(pair.publicPem);
    h.sign({ keyId: keyIdOf(pk), publicKey: pk, privateKey: createPrivateKey(pair.privatePem) });
    assert.equal(h.listRuns()[0]!.artifact_uri, `http://127.0.0.1:${port}/agent.bpf.o`);
    h.close();
    writeFileSync(join(dir, 'k.pub'), pair.publicPem);
    const args = (out: string) => ['fetch', '--artifact-name', 'agent', '--history', path, '--kernel-release', DEBIAN_KERNELS[1]!.release, '--trusted-key', join(dir, 'k.pub'), '--out-dir', out, '--json'];

    const ok = await cli(args(join(dir, 'out')));
    assert.equal(ok.status, 0, ok.stderr);
    const written = (JSON.parse(ok.stdout) as { path: string }).path;
    assert.equal(written, join(dir, 'out', 'agent-1.0-plain.bpf.o'));
    assert.equal(sha256Hex(readFileSync(written)), run.artifact.sha256);

    served = Buffer.from('artifact:agent-1.1');
    const bad = await cli(args(join(dir, 'refused')));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /the object from http:\/\/127\.0\.0\.1:\d+\/agent\.bpf\.o hashes to [0-9a-f]{64}, not the sha256 the evidence names/);
    assert.ok(!readdirSync(dir).includes('refused'), 'nothing written');

    // The URI is signed: pointing the run at another server breaks its signature.
    const db = new Database(path);
    db.prepare("UPDATE runs SET artifact_uri = 'http://127.0.0.1:1/evil.bpf.o'").run();
    db.close();
    const v = await cli(['history', 'verify', '--history', path, '--trusted-key', join(dir, 'k.pub')]);
    assert.equal(v.status, 1);
    assert.match(v.stdout, /MISMATCH signatures run r-1: signature by key/);
  } finally {
    server.close();
  }
});

test('test --artifact-uri must be an http(s) URL', async () => {
  const r = await cli(['test', '--artifact', 'x.o', '--matrix', 'dev-one', '--out', join(dir, 'r.json'), '--artifact-uri', 'file:///etc/passwd']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--artifact-uri 'file:\/\/\/etc\/passwd' is not an http\(s\) URL/);
});
