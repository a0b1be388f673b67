// A version whose every kernel misses the same attach target (a placeholder its loader replaces at run time) is
// shown as "untestable without its attach target", never as failing everywhere: built from its own fixture history
// and browsed in Debian's chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { buildSite } from '../build.ts';
import { placeholderRuns, writeFixtureHistory } from './fixtures.ts';
import { serveStatic, type StaticServer } from '../serve.ts';
import { launchChromium } from './browser.ts';
import { safeSlug } from '../src/lib/paths.ts';

const BASE = '/site/';
let dir: string;
let server: StaticServer;
let browser: Browser;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bpfcompat-placeholder-'));
  writeFixtureHistory(join(dir, 'history.sqlite'), { runs: placeholderRuns() });
  await buildSite({ history: join(dir, 'history.sqlite'), out: join(dir, 'out'), base: BASE, logLevel: 'error' });
  server = await serveStatic(join(dir, 'out'), BASE);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a placeholder attach target missing on every kernel is shown untestable, not failing: grid, artifact page, badge, API', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.origin + BASE);
  const row = page.locator(`table[data-grid] tr#a-${safeSlug('file-reader')}`);
  assert.equal(await row.locator('td.v-untestable').count(), 5);
  assert.equal(await row.locator('td.v-fail').count(), 0, 'not shown as failing everywhere');
  assert.match(await row.locator('td.v-untestable').first().getAttribute('title') ?? '', /untestable without its attach target/);
  assert.match(await page.locator('p.legend').innerText(), /untestable without its attach target/);

  await row.locator('th a').click();
  const banner = page.locator('#placeholder-target');
  assert.match(await banner.innerText(), /Untestable without its attach target\.[\s\S]*file_read_entry[\s\S]*dummy_file_read, which is missing on all 5 kernels tested/);
  assert.match(await banner.innerText(), /programs\[\]\.attach\.target/);
  assert.equal(await page.locator('table.grid td.v-untestable').count(), 5);

  const badge = await (await page.request.get(`${server.origin}${BASE}badge/${safeSlug('file-reader')}.svg`)).text();
  assert.match(badge, /untestable without its attach target/);
  const res = await page.request.get(`${server.origin}${BASE}api/v1/artifacts/${safeSlug('file-reader')}/results.json`);
  const doc = (await res.json()) as { versions: { placeholder_target: unknown; results: { state: string; status: string }[] }[] };
  assert.deepEqual(doc.versions[0]!.placeholder_target, { program: 'file_read_entry', name: 'dummy_file_read', kind: 'function', kernels: 5 });
  assert.deepEqual(doc.versions[0]!.results.map((r) => [r.status, r.state]), Array(5).fill(['fail', 'untestable']));
  assert.deepEqual(errors, []);
  await page.close();
});
