import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootItem } from './boot-plan.ts';
import { estimateBootMs, loadBootTimings, orderBoots, saveBootTimings } from './boot-order.ts';

const item = (sha: string): BootItem => ({ ci: 0, pi: 0, label: sha, key: sha, timeoutMs: 1000, profile: { id: sha } as BootItem['profile'], kernel: { imageSha256: sha } as BootItem['kernel'], machine: { cpu: 'm', memory_mb: 1024, cpus: 1 } });
const group = (sha: string, n: number) => Array.from({ length: n }, () => item(sha));

test('orders boots longest first from remembered timings; unknown kernels use a default; ties keep plan order', () => {
  const timings = { old: { bootMs: 2500, jobMs: 200 }, new: { bootMs: 6500, jobMs: 250 } };
  assert.equal(estimateBootMs(group('new', 20), timings), 11_500);
  const order = orderBoots([group('old', 20), group('new', 20), group('x', 1), group('y', 1)], timings).map((g) => `${g[0]!.kernel.imageSha256}/${g.length}`);
  assert.deepEqual(order, ['new/20', 'old/20', 'x/1', 'y/1']);
});

test('timings survive a save and load; a missing file is no timings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfcompat-boot-order-'));
  try {
    assert.deepEqual(loadBootTimings(dir), {});
    await saveBootTimings({ k: { bootMs: 1, jobMs: 2 } }, dir);
    assert.deepEqual(loadBootTimings(dir), { k: { bootMs: 1, jobMs: 2 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
