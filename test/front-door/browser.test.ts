/**
 * The front door in a real browser: the server (lib/server.ts) listening on a free port, headless Chromium (Debian's
 * `chromium`, driven by puppeteer-core). The landing page lists every mounted service; each /docs/<service> renders
 * every operation of its spec with no console error and no request to another host; a "try it" of the account
 * version operation answers 200 in the page. Screenshots go to reports/front-door/ (or FRONT_DOOR_REPORT_DIR).
 * Without a Chromium (CHROMIUM_PATH, default /usr/bin/chromium; .ci/run installs it) the test is skipped with a
 * message saying so.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { discoverServices } from '../../lib/app';
import { config, projectRoot } from '../../lib/config';
import { startServer, type RunningServer } from '../../lib/server';
import { loadSpec } from '../../lib/spec';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const REPORTS = process.env.FRONT_DOOR_REPORT_DIR || path.join(projectRoot, 'reports', 'front-door');
const available = fs.existsSync(CHROMIUM);
if (!available) {
  // eslint-disable-next-line no-console
  console.warn(`front-door browser test SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}
const suite = available ? describe : describe.skip;

suite(`front door in headless Chromium (${CHROMIUM})`, () => {
  jest.setTimeout(120_000);
  let server: RunningServer;
  let browser: Browser;
  let origin: string;
  const names = config.services ?? discoverServices();

  beforeAll(async () => {
    fs.mkdirSync(REPORTS, { recursive: true });
    server = await startServer({ port: 0, host: '127.0.0.1', services: names });
    origin = server.url;
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A page that records console errors, page errors and failed requests, and refuses any request off this server. */
  async function openPage() {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const errors: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page: ${(e as Error).message}`));
    page.on('requestfailed', (r) => { if (!foreign.includes(r.url())) errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`); });
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.protocol === 'data:' || url.protocol === 'blob:' || url.origin === origin) return void r.continue();
      foreign.push(r.url());
      void r.abort('blockedbyclient');
    });
    return { page, errors, foreign };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(REPORTS, `${name}.png`), fullPage: true });

  test('the landing page lists every mounted service with its reference and spec links', async () => {
    const { page, errors, foreign } = await openPage();
    const res = await page.goto(`${origin}/`, { waitUntil: 'networkidle0' });
    expect(res?.status()).toBe(200);
    const rows = await page.$$eval('tr[data-service]', (trs) => trs.map((tr) => ({
      service: tr.getAttribute('data-service'),
      base: tr.querySelector('.fd-base')?.textContent,
      links: [...tr.querySelectorAll('a')].map((a) => a.getAttribute('href')),
    })));
    expect(rows.map((r) => r.service).sort()).toEqual([...names].sort());
    for (const row of rows) {
      expect(row.base).toBe(loadSpec(row.service!).basePath);
      expect(row.links).toEqual(expect.arrayContaining([`/docs/${row.service}`, `/specs/${row.service}.yaml`, `/specs/${row.service}.json`]));
    }
    expect(await page.$eval('.fd-mode', (e) => e.textContent)).toBe('server');
    await shot(page, 'landing');
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });

  test.each(names)('/docs/%s renders every operation of the spec, offline and without console errors', async (name) => {
    const { page, errors, foreign } = await openPage();
    const res = await page.goto(`${origin}/docs/${name}`, { waitUntil: 'networkidle0' });
    expect(res?.status()).toBe(200);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const shown = await page.$$eval('.opblock-summary-operation-id', (els) => [...new Set(els.map((e) => e.textContent?.trim()))].sort());
    const specOps = loadSpec(name).operations().map((o) => o.operationId).sort();
    expect(shown).toEqual(specOps);
    expect(await page.$$eval('.opblock', (els) => new Set(els.map((e) => e.id)).size)).toBeGreaterThanOrEqual(specOps.length);
    // "try it" is sent to the server that served the page
    expect(await page.$eval('.servers select', (s) => (s as unknown as { value: string }).value)).toBe(origin);
    await shot(page, `docs-${name}`);
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });

  (names.includes('account') ? test : test.skip)('"try it" of account GET /account/system/version answers 200 in the page', async () => {
    const { page, errors, foreign } = await openPage();
    await page.goto(`${origin}/docs/account`, { waitUntil: 'networkidle0' });
    const block = await page.waitForSelector('.opblock[id$="-version"]', { timeout: 30_000 });
    expect(await block!.$eval('.opblock-summary-path', (e) => e.textContent?.replace(/\u200b/g, ''))).toBe('/account/system/version');
    await (await block!.$('.opblock-summary-control'))!.click();
    await (await block!.waitForSelector('button.try-out__btn'))!.click();
    const answered = page.waitForResponse((r) => r.url() === `${origin}/account/system/version`);
    await (await block!.waitForSelector('button.execute'))!.click();
    expect((await answered).status()).toBe(200);
    const row = await block!.waitForSelector('.live-responses-table tbody tr.response');
    expect(await row!.$eval('.response-col_status', (e) => e.textContent?.trim())).toBe('200');
    const body = await row!.$eval('.response-col_description pre', (e) => e.textContent ?? '');
    expect(JSON.parse(body)).toEqual(expect.objectContaining({ major: 6, minor: 20 }));
    await shot(page, 'try-it-account-version');
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
