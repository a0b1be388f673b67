import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, copyFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildSite } from '../build.ts';
import { writeFixtureHistory, type FixtureInfo } from './fixtures.ts';
import { serveStatic, type StaticServer } from '../serve.ts';
import { launchChromium } from './browser.ts';
import { checkLinks } from './links.ts';
import { safeSlug } from '../src/lib/paths.ts';
import { FAILURE_CLASSES } from '../src/lib/classes.ts';

// Builds the site from a fixture history with a GitHub-Pages-style base path and browses it in
// Debian's chromium: overview → artifact → cell detail → compare → failure class, the picker, search,
// a link check over every page, and screenshots for the README.

const BASE = '/bpfcompat-site/';
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

let dir: string;
let out: string;
let info: FixtureInfo;
let server: StaticServer;
let browser: Browser;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bpfcompat-site-'));
  info = writeFixtureHistory(join(dir, 'history.sqlite'));
  out = join(dir, 'out');
  const r = await buildSite({ history: join(dir, 'history.sqlite'), out, base: BASE, logLevel: 'error' });
  assert.ok(r.pages >= 30, `expected the fixture to give at least 30 pages, got ${r.pages}`);
  server = await serveStatic(out, BASE);
  browser = await launchChromium();
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return { page, errors };
}

test('overview → artifact → cell detail → compare → failure class', async () => {
  const { page, errors } = await newPage();
  await page.goto(server.origin + BASE);
  await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
  const grid = page.locator('table[data-grid]');
  // 4 artifacts × 5 kernels, latest verdicts with symbols.
  assert.equal(await grid.locator('tbody tr').count(), 4);
  assert.equal(await grid.locator('thead th.k').count(), 5);
  const xdpRow = grid.locator(`tr#a-${safeSlug('xdp-counter')}`);
  assert.equal(await xdpRow.locator('td.v-pass').count(), 5, 'xdp-counter v1.2.0 passes on every kernel');
  const tcRow = grid.locator(`tr#a-${safeSlug('tc-shaper')}`);
  assert.match((await tcRow.locator('td.v').first().innerText()).trim(), /✗/);
  assert.match((await tcRow.locator('td.v').last().innerText()).trim(), /✓/);

  // JS filter: typing narrows the rows; the class select keeps only matching rows.
  await page.fill('form[data-live-filter] input[name=artifact]', 'lsm');
  assert.equal(await grid.locator('tbody tr:not(.hidden-row)').count(), 1);
  await page.fill('form[data-live-filter] input[name=artifact]', '');
  await page.selectOption('form[data-live-filter] select[name=class]', 'CORE_RELOCATION_FAILURE');
  assert.equal(await grid.locator('tbody tr:not(.hidden-row)').count(), 1);
  assert.equal(await grid.locator(`tr#a-${safeSlug('tc-shaper')}:not(.hidden-row)`).count(), 1);
  await page.selectOption('form[data-live-filter] select[name=kernel]', '0');
  assert.equal(await grid.locator('thead th.k:visible').count(), 1);
  await page.selectOption('form[data-live-filter] select[name=class]', '');
  await page.selectOption('form[data-live-filter] select[name=kernel]', '');

  // Artifact page.
  await page.click(`tr#a-${safeSlug('xdp-counter')} th a`);
  assert.equal(new URL(page.url()).pathname, `${BASE}artifact/${safeSlug('xdp-counter')}/`);
  assert.equal(await page.locator('h1').innerText(), 'xdp-counter');
  const timeline = page.locator('#versions + .scroll table tbody tr');
  assert.equal(await timeline.count(), 3);
  await page.waitForSelector('canvas[data-pass-chart]', { state: 'visible' });
  assert.equal(await page.locator('table[data-pass-table] tbody tr').count(), 4, 'four runs of xdp-counter');
  await page.screenshot({ path: join(SHOTS, 'artifact.png'), fullPage: true });

  // Compare v1.0.0 → v1.1.0 (the regression) from the timeline.
  await page.click('#versions + .scroll table tbody tr:nth-child(2) a:text("vs previous")');
  const regressed = page.locator('table[data-compare] tr[data-change=regressed]');
  assert.equal(await regressed.count(), 1);
  assert.match(await regressed.innerText(), new RegExp(info.regression.profile));
  assert.match(await regressed.innerText(), /VERIFIER_REJECTION/);
  await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });

  // Failure class page from the compare row, listing the hits (none latest for VERIFIER_REJECTION: fixed in v1.2.0).
  await regressed.locator('a:text("VERIFIER_REJECTION")').click();
  assert.equal(await page.locator('h1').innerText(), 'VERIFIER_REJECTION');
  assert.match(await page.locator('main').innerText(), /How to fix it/);
  await page.screenshot({ path: join(SHOTS, 'class.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('cell detail shows classification, root cause, remediation and the verifier log', async () => {
  const { page, errors } = await newPage();
  // tc-shaper's latest version fails on 5.10 with a CO-RE relocation.
  await page.goto(`${server.origin}${BASE}artifact/${safeSlug('tc-shaper')}/`);
  const failing = page.locator('table.grid tbody tr').first().locator('td a[href^="#cell-"]').first();
  await failing.click();
  const id = new URL(page.url()).hash.slice(1);
  const cell = page.locator(`section.cell#${id}`);
  assert.match(await cell.innerText(), /CORE_RELOCATION_FAILURE/);
  assert.match(await cell.innerText(), /core_relo: sk_buff field tstamp_type/);
  const cls = page.locator(`section.cell#${id} a[href$="/class/core_relocation_failure/"]`);
  await cls.click();
  const hits = page.locator('#hits + table tbody tr');
  assert.equal(await hits.count(), 1);
  assert.match(await hits.innerText(), /tc-shaper/);

  // xdp-counter v1.1.0 carried a verifier log; the current version passes, so check it through the API and the compare page.
  const res = await page.request.get(`${server.origin}${BASE}api/v1/artifacts/${safeSlug('xdp-counter')}/results.json`);
  const doc = (await res.json()) as { versions: { version: string; results: { status: string }[] }[] };
  assert.deepEqual(doc.versions.map((v) => v.version), ['v1.0.0', 'v1.1.0', 'v1.2.0']);
  assert.equal(doc.versions[1]!.results.filter((r) => r.status === 'fail').length, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('"loads, attach warned" is its own state: grid, class filter, badge, kernel page, class page, compare and API', async () => {
  const { page, errors } = await newPage();
  await page.goto(server.origin + BASE);
  const row = page.locator(`table[data-grid] tr#a-${safeSlug('kprobe-watch')}`);
  assert.equal(await row.locator('td.v-warn').count(), 2, 'the two oldest kernels are warned, not passed');
  assert.equal(await row.locator('td.v-pass').count(), 3);
  assert.match(await row.locator('td.v-warn').first().getAttribute('title') ?? '', /loads, attach warned — ATTACH_TARGET_MISSING/);
  assert.match(await row.locator('td.mono').innerText(), /^3\/5 \+2◐/);
  assert.match(await page.locator('p.legend').innerText(), /loads, attach warned/);
  await page.selectOption('form[data-live-filter] select[name=class]', 'ATTACH_TARGET_MISSING');
  assert.deepEqual(await page.locator('table[data-grid] tbody tr:not(.hidden-row) th a').allInnerTexts(), ['kprobe-watch']);

  const badge = await (await page.request.get(`${server.origin}${BASE}badge/${safeSlug('kprobe-watch')}.svg`)).text();
  assert.match(badge, /3\/5 kernels, 2 attach warned/);
  assert.doesNotMatch(badge, /#2e7d32/, 'never green while an attach is warned');

  await page.goto(`${server.origin}${BASE}class/attach_target_missing/`);
  const hits = page.locator('#hits + table tbody tr');
  assert.equal(await hits.count(), 2);
  assert.match(await hits.first().innerText(), /loads, attach warned: ATTACH_TARGET_MISSING/);

  await page.goto(`${server.origin}${BASE}kernel/`);
  await page.click('a:text("debian-12-6.1")');
  assert.match(await page.locator('main').innerText(), /Loading, attach warned \(1\)[\s\S]*kprobe-watch/);

  // v1.0.0 → v1.1.0: pass → warn is a regression on both kernels, named with the warning's class
  await page.goto(`${server.origin}${BASE}artifact/${safeSlug('kprobe-watch')}/`);
  await page.click('#versions + .scroll table tbody tr:nth-child(2) a:text("vs previous")');
  const regressed = page.locator('table[data-compare] tr[data-change=regressed]');
  assert.equal(await regressed.count(), 2);
  assert.match(await regressed.first().innerText(), /loads, attach warned · ATTACH_TARGET_MISSING/);
  assert.match(await regressed.first().innerText(), /new:ATTACH_TARGET_MISSING/);
  // the picker (in the browser, from the JSON) agrees
  await page.goto(`${server.origin}${BASE}compare/`);
  await page.waitForSelector('form[data-picker]:not([hidden])');
  await page.selectOption('form[data-picker] select[name=artifact]', safeSlug('kprobe-watch'));
  await page.waitForFunction(() => (document.querySelector('form[data-picker] select[name=base]') as HTMLSelectElement | null)?.options.length === 2);
  await page.selectOption('form[data-picker] select[name=base]', '0');
  await page.selectOption('form[data-picker] select[name=head]', '1');
  await page.click('form[data-picker] button[type=submit]');
  assert.equal(await page.locator('table[data-picker-result] tr[data-change=regressed]').count(), 2);
  assert.match(await page.locator('table[data-picker-result] tr[data-change=regressed]').first().innerText(), /◐ loads, attach warned · ATTACH_TARGET_MISSING/);

  const res = await page.request.get(`${server.origin}${BASE}api/v1/artifacts/${safeSlug('kprobe-watch')}/results.json`);
  const doc = (await res.json()) as { versions: { version: string; results: { profile_id: string; status: string; state: string; warnings: { code: string }[] }[] }[] };
  const head = doc.versions[1]!.results;
  assert.deepEqual(head.map((r) => r.state), ['warn', 'warn', 'pass', 'pass', 'pass']);
  assert.deepEqual(head.map((r) => r.status), ['pass', 'pass', 'pass', 'pass', 'pass']);
  assert.equal(head[0]!.warnings[0]!.code, 'ATTACH_TARGET_MISSING');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the verifier log excerpt is collapsible and cut to its last lines', async () => {
  const { page } = await newPage();
  await page.goto(`${server.origin}${BASE}artifact/${safeSlug('lsm-guard')}/`);
  assert.equal(await page.locator('section.cell').count(), 10, 'one detail per kernel × program');
  const log = page.locator('section.cell details').first();
  assert.match(await log.locator('summary').innerText(), /last 40 lines, 22 earlier lines omitted/);
  assert.equal(await log.locator('pre.log').isVisible(), false, 'collapsed by default');
  await log.locator('summary').click();
  assert.equal(await log.locator('pre.log').isVisible(), true);
  assert.match(await log.locator('pre.log').innerText(), /processed 61 insns/);
  await page.screenshot({ path: join(SHOTS, 'cell-detail.png'), fullPage: false });
  await page.close();
});

test('the compare picker compares any two versions from the static JSON', async () => {
  const { page, errors } = await newPage();
  await page.goto(`${server.origin}${BASE}compare/`);
  await page.waitForSelector('form[data-picker]:not([hidden])');
  await page.selectOption('form[data-picker] select[name=artifact]', safeSlug('xdp-counter'));
  await page.waitForFunction(() => (document.querySelector('form[data-picker] select[name=base]') as HTMLSelectElement | null)?.options.length === 3);
  // v1.0.0 (index 0) → v1.2.0 (index 2): not a consecutive pair, so no static page exists for it.
  await page.selectOption('form[data-picker] select[name=base]', '0');
  await page.selectOption('form[data-picker] select[name=head]', '2');
  await page.click('form[data-picker] button[type=submit]');
  const rows = page.locator('table[data-picker-result] tbody tr');
  assert.equal(await rows.count(), 5);
  assert.equal(await page.locator('table[data-picker-result] tr[data-change=unchanged]').count(), 5);
  // v1.0.0 → v1.1.0: the regression.
  await page.selectOption('form[data-picker] select[name=head]', '1');
  await page.click('form[data-picker] button[type=submit]');
  assert.equal(await page.locator('table[data-picker-result] tr[data-change=regressed]').count(), 1);
  await page.screenshot({ path: join(SHOTS, 'picker.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('search filters the static index', async () => {
  const { page, errors } = await newPage();
  await page.goto(`${server.origin}${BASE}search/`);
  await page.waitForSelector('form[data-search]:not([hidden])');
  const all = await page.locator('ul[data-search-list] li').count();
  assert.equal(all, 4 + 5 + FAILURE_CLASSES.length, 'every artifact, kernel and class is listed');
  await page.fill('form[data-search] input[name=q]', '6.12');
  const visible = page.locator('ul[data-search-list] li:not([hidden])');
  assert.equal(await visible.count(), 1);
  assert.match(await visible.innerText(), /debian-13-6\.12/);
  // A class matches by name, and an artifact whose latest verdicts carry it matches too.
  await page.fill('form[data-search] input[name=q]', 'relocation');
  assert.equal(await visible.count(), 2);
  assert.match(await visible.allInnerTexts().then((t) => t.join('\n')), /CORE_RELOCATION_FAILURE[\s\S]*|tc-shaper/);
  assert.match((await visible.allInnerTexts()).join('\n'), /CORE_RELOCATION_FAILURE/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('kernel and run pages', async () => {
  const { page } = await newPage();
  await page.goto(`${server.origin}${BASE}kernel/`);
  await page.click('a:text("debian-11-5.10")');
  const main = await page.locator('main').innerText();
  assert.match(main, /5\.10\.0-35-cloud-amd64/);
  assert.match(main, /bullseye/);
  assert.match(main, /Failing \(2\)/);
  await page.screenshot({ path: join(SHOTS, 'kernel.png'), fullPage: true });
  await page.goto(`${server.origin}${BASE}run/`);
  await page.click('a:text("run-0008")');
  assert.match(await page.locator('main').innerText(), /5 reused from earlier runs/);
  await page.close();
});

test('every internal link of every page resolves, and the overview works without JavaScript', async () => {
  const r = await checkLinks(out, BASE);
  assert.ok(r.pages >= 30 && r.links > 200, `checked ${r.pages} pages / ${r.links} links`);
  assert.deepEqual(r.broken, []);
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(server.origin + BASE);
  assert.equal(await page.locator('form[data-live-filter]').isVisible(), false);
  await page.click('summary:text("Filter by kernel")');
  await page.click('a:text("debian-sid-7.0")');
  assert.equal(await page.locator('table[data-grid] thead th.k').count(), 1);
  await ctx.close();
  // The README screenshot.
  await mkdir(join(REPO, 'docs', 'screenshots'), { recursive: true });
  await copyFile(join(SHOTS, 'overview.png'), join(REPO, 'docs', 'screenshots', 'overview.png'));
  assert.ok((await readFile(join(REPO, 'docs', 'screenshots', 'overview.png'))).subarray(1, 4).toString() === 'PNG');
});
