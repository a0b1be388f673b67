import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildSite } from '../build.ts';
import { writeFixtureHistory, XSS } from './fixtures.ts';
import { serveStatic, type StaticServer } from '../serve.ts';
import { launchChromium } from './browser.ts';
import { safeSlug } from '../src/lib/paths.ts';

// Artifact names, versions, program and section names and verifier logs carry script and
// event-handler payloads that set window.__pwned. Every built page is opened in chromium (and the
// interactive parts are exercised): nothing may execute, no dialog may open, the payload image is
// never requested, and the payload text is shown as text.

const BASE = '/r/';
let dir: string;
let out: string;
let server: StaticServer;
let browser: Browser;
let artifacts: string[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bpfcompat-site-xss-'));
  artifacts = writeFixtureHistory(join(dir, 'history.sqlite'), { xss: true }).artifacts;
  out = join(dir, 'out');
  await buildSite({ history: join(dir, 'history.sqlite'), out, base: BASE, logLevel: 'error' });
  server = await serveStatic(out, BASE);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Watch {
  dialogs: string[];
  payloadRequests: string[];
}

async function watchedPage(): Promise<{ page: Page; watch: Watch }> {
  const page = await browser.newPage();
  const watch: Watch = { dialogs: [], payloadRequests: [] };
  page.on('dialog', (d) => {
    watch.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (/\/x$/.test(new URL(r.url()).pathname)) watch.payloadRequests.push(r.url());
  });
  return { page, watch };
}

const pwned = (page: Page) => page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned);

test('no page of a site built from hostile names and logs executes a payload', async () => {
  const files = (await readdir(out, { recursive: true })).filter((f) => f.endsWith('.html'));
  assert.ok(files.length >= 40, `expected every page type, got ${files.length}`);
  const { page, watch } = await watchedPage();
  for (const f of files) {
    await page.goto(`${server.origin}${BASE}${f.replace(/index\.html$/, '')}`, { waitUntil: 'load' });
    for (const d of await page.locator('details').all()) await d.evaluate((el) => ((el as HTMLDetailsElement).open = true));
    assert.equal(await pwned(page), undefined, `payload executed on ${f}`);
  }
  assert.deepEqual(watch.dialogs, []);
  assert.deepEqual(watch.payloadRequests, []);
  await page.close();
});

test('payloads are shown as text, and the interactive parts stay inert', async () => {
  const { page, watch } = await watchedPage();
  const xdp = artifacts[0]!;
  await page.goto(`${server.origin}${BASE}artifact/${safeSlug(xdp)}/`);
  assert.equal(await page.locator('h1').innerText(), xdp, 'the name is rendered verbatim as text');
  // names are isolated, so right-to-left text in one cannot reorder the rest of the line
  assert.equal(await page.locator('h1 > bdi').innerText(), xdp);
  assert.ok(await page.locator('table.grid thead th bdi').count() > 0, 'program names are isolated');
  assert.match(await page.locator('table.grid thead').innerText(), /count_packets"><img src=x onerror=/);
  // The verifier log of lsm-guard carries both payloads.
  await page.goto(`${server.origin}${BASE}artifact/${safeSlug('lsm-guard')}/`);
  const log = page.locator('section.cell details pre.log').first();
  await page.locator('section.cell details summary').first().click();
  assert.ok((await log.innerText()).includes(XSS.script));
  // Live filter, picker and search render user data from JSON with textContent only.
  await page.goto(`${server.origin}${BASE}`);
  await page.fill('form[data-live-filter] input[name=artifact]', '<script>');
  await page.goto(`${server.origin}${BASE}compare/`);
  await page.waitForSelector('form[data-picker]:not([hidden])');
  await page.selectOption('form[data-picker] select[name=artifact]', safeSlug(xdp));
  await page.waitForFunction(() => (document.querySelector('form[data-picker] select[name=base]') as HTMLSelectElement | null)?.options.length === 3);
  await page.selectOption('form[data-picker] select[name=base]', '0');
  await page.selectOption('form[data-picker] select[name=head]', '1');
  await page.click('form[data-picker] button[type=submit]');
  assert.ok((await page.locator('[data-picker-status]').innerText()).includes(XSS.script));
  await page.goto(`${server.origin}${BASE}search/?q=${encodeURIComponent('onerror')}`);
  await page.waitForSelector('form[data-search]:not([hidden])');
  assert.ok((await page.locator('ul[data-search-list] li:not([hidden])').count()) >= 1);
  assert.equal(await pwned(page), undefined);
  assert.deepEqual(watch.dialogs, []);
  assert.deepEqual(watch.payloadRequests, []);
  await page.close();
});

test('no built page carries a payload as markup outside attribute values, and JSON is never inlined', async () => {
  for (const f of (await readdir(out, { recursive: true })).filter((x) => x.endsWith('.html'))) {
    // Inside a quoted attribute value '<' is inert text (Astro escapes '"' and '&' there); outside
    // attribute values, no payload may appear as markup.
    const html = (await readFile(join(out, f), 'utf8')).replace(/="[^"]*"/g, '=""');
    assert.ok(!html.includes('<script>window.__pwned'), `${f} carries a raw <script> payload`);
    assert.ok(!/<img src=x/i.test(html), `${f} carries a raw <img> payload`);
    assert.ok(!/<svg onload/i.test(html), `${f} carries a raw <svg> payload`);
    assert.ok(!html.includes('application/json'), `${f} inlines JSON`);
  }
});
