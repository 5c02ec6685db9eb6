// The browser checks of the operator's dashboard (/admin), called from run.ts.
//
// It runs against its own `npm run dev` (a fresh persist dir, an ADMIN_TOKEN), because it sends the
// bundled article with "send now", which the reader flows in run.ts leave to the weekly cron.
// sign in (a wrong token first) → import a CSV by upload and read the result → the overview and its
// chart → search → the issue: a test copy, found in the outbox → send now, confirm, and watch the
// bar reach 100 % without a reload → the results → the article editor (editor.ts: write, illustrate,
// preview, save, schedule, the cron sends it; the no-JavaScript path) → the pages at 375 px → sign out.
// axe-core audits every admin page (light and dark). Two screenshots go to docs/screenshots/.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { OutboxMail } from '../../src/mail/outbox';
import { runClientChecks } from '../client/run';
import { editorFlow } from './editor';
import { type DevServer, startDevServer } from './server';

type AuditedPage = Page & { problems: string[] };
type Viewport = { name: 'phone'; width: 375; height: 812 } | { name: 'desktop'; width: 1280; height: 900 };

/** What run.ts lends this module (method syntax: run.ts's own, narrower signatures fit). */
export interface Harness {
  root: string;
  out: string;
  docs: string;
  context: BrowserContext;
  viewports: readonly Viewport[];
  check<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  audit(page: AuditedPage, label: string): Promise<void>;
  newPage(vp: Viewport): Promise<AuditedPage>;
  screenshot(page: Page, name: string): Promise<string>;
}

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdefghijklmnop';
/** Enough readers that the send spans several queue batches, so the bar is seen moving. */
const READERS = 2500;
const TEST_ADDRESS = 'editor+test@example.com';

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function h1(page: Page): Promise<string> {
  return ((await page.locator('h1').first().textContent()) ?? '').trim();
}

async function fitsWidth(page: Page, width: number) {
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(scroll <= width, `the page is ${scroll} px wide at ${width} px`);
}

export async function adminDashboard(t: Harness): Promise<void> {
  const [phone, desktop] = [t.viewports.find((v) => v.name === 'phone')!, t.viewports.find((v) => v.name === 'desktop')!];
  let server: DevServer | null = null;
  const stop = () => void server?.killNow();
  process.once('exit', stop);
  try {
    server = await t.check('dashboard: its own npm run dev (ADMIN_TOKEN set, fresh state) answers', () =>
      startDevServer(t.root, join(t.out, 'dev-server-admin.log'), 120_000, ['--var', `ADMIN_TOKEN:${ADMIN_TOKEN}`, '--var', 'CANARY_PERCENT:0']),
    );
    const base = server.base;
    const page = await t.newPage(desktop);
    try {
      await t.check('dashboard: GET /admin shows the sign-in form', async () => {
        const response = await page.goto(`${base}/admin`);
        assert(response?.status() === 200, `GET /admin answered ${response?.status()}`);
        assert((await h1(page)) === 'Sign in', `the page says "${await h1(page)}"`);
        assert(await page.getByLabel('Admin token').isVisible(), 'no field labelled "Admin token"');
      });
      await t.audit(page, 'desktop admin sign-in');

      await t.check('dashboard: a wrong token gets a clear message and no cookie', async () => {
        await page.getByLabel('Admin token').fill('not-the-token');
        const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
        assert(response?.status() === 401, `POST /admin/login answered ${response?.status()}`);
        assert(/not the admin token/.test((await page.getByRole('alert').textContent()) ?? ''), 'no message saying the token is wrong');
        assert(!(await t.context.cookies(base)).some((c) => c.name === 'admin_session'), 'a session cookie was set');
        // The browser logs the 401 document as a failed load: expected here, and the only problem allowed.
        const unexpected = page.problems.filter((p) => !/status of 401/.test(p));
        assert(unexpected.length === 0, unexpected.join('\n'));
        page.problems.length = 0;
      });

      await t.check('dashboard: the right token signs in (HttpOnly, SameSite=Strict cookie) and opens the overview', async () => {
        await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
        await Promise.all([page.waitForURL(`${base}/admin`), page.getByRole('button', { name: 'Sign in' }).click()]);
        assert((await h1(page)) === 'Overview', `the page says "${await h1(page)}"`);
        const cookie = (await t.context.cookies(base)).find((c) => c.name === 'admin_session');
        assert(cookie?.httpOnly && cookie.sameSite === 'Strict', `cookie: ${JSON.stringify(cookie)}`);
      });

      const rows = Array.from({ length: READERS }, (_, i) => `reader-${String(i).padStart(4, '0')}@example.com,Reader ${i}`);
      const csv = ['email,name', ...rows.slice(0, 10), 'not-an-address,Broken', ...rows.slice(10), 'reader-0000@example.com,Again', 'someone@,Half'].join('\n') + '\n';
      const file = { name: 'readers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) };
      const field = async (name: string) => ((await page.locator(`[data-field="${name}"]`).textContent()) ?? '').trim();
      await t.check('dashboard: an upload is previewed first, on the page (what the import will do, nothing stored yet)', async () => {
        await page.goto(`${base}/admin/subscribers`);
        await page.getByLabel('CSV file').setInputFiles(file);
        await page.getByLabel(/confirmed: consent collected elsewhere/).check();
        await page.getByRole('button', { name: 'Preview' }).click();
        await page.locator('#import-preview [data-import-preview]').waitFor();
        assert(page.url() === `${base}/admin/subscribers`, `the page moved to ${page.url()}`);
        assert((await field('imported')) === READERS.toLocaleString('en-US'), `to import: ${await field('imported')}`);
        assert((await page.locator('[data-status="confirmed"]').textContent())?.trim() === (READERS + 1).toLocaleString('en-US'), 'rows by status');
      });
      await t.audit(page, 'desktop admin import preview');

      await t.check(`dashboard: the Import button that appears imports the chosen file and shows imported, skipped and each invalid line`, async () => {
        await Promise.all([page.waitForURL(`${base}/admin/subscribers/import`), page.getByRole('button', { name: 'Import', exact: true }).click()]);
        assert((await h1(page)) === 'Import result', `the page says "${await h1(page)}"`);
        assert((await field('imported')) === READERS.toLocaleString('en-US'), `imported: ${await field('imported')}`);
        assert((await field('skipped')) === '1', `skipped: ${await field('skipped')}`);
        assert((await field('invalid')) === '2', `invalid: ${await field('invalid')}`);
        const lines = await page.locator('.invalid-lines tbody tr').allTextContents();
        assert(lines.length === 2 && lines[0].startsWith('12') && lines[1].startsWith(String(READERS + 4)), `invalid lines: ${lines.join(' / ')}`);
      });
      await t.audit(page, 'desktop admin import result');

      await t.check('dashboard: the overview counts the readers and draws the 12-week chart', async () => {
        await page.goto(`${base}/admin`);
        const confirmed = ((await page.locator('[data-count="confirmed"]').textContent()) ?? '').trim();
        assert(confirmed === READERS.toLocaleString('en-US'), `confirmed: ${confirmed}`);
        const chart = page.getByRole('img', { name: /new confirmed readers and readers who left/i });
        assert(await chart.isVisible(), 'no chart');
        const d = await page.locator('path.chart__line--confirmed').getAttribute('d');
        assert(d && /^M[\d.]+,[\d.]+/.test(d) && d.length > 40, `the confirmed line is "${d}"`);
        assert(/sends it on/.test((await page.locator('[data-next-run]').textContent()) ?? ''), 'no next send time');
      });
      await t.audit(page, 'desktop admin overview');

      await t.check('dashboard: search by address prefix and status', async () => {
        await page.goto(`${base}/admin/subscribers`);
        await page.getByLabel('Address starts with').fill('READER-001');
        await page.getByLabel('Status').selectOption('confirmed');
        await Promise.all([page.waitForURL(/q=reader-001/i), page.getByRole('button', { name: 'Search' }).click()]);
        const found = await page.locator('tbody th.email').allTextContents();
        assert(found.length === 10 && found.every((e) => e.startsWith('reader-001')), `found: ${found.join(', ')}`);
      });
      await t.audit(page, 'desktop admin subscribers');

      const slug = await t.check('dashboard: the issues page lists the article as ready', async () => {
        await page.goto(`${base}/admin/issues`);
        const row = page.locator('tbody tr').first();
        assert(((await row.locator('.badge').textContent()) ?? '').trim() === 'ready', 'the first article is not "ready"');
        const href = await row.locator('a').getAttribute('href');
        assert(href && href.startsWith('/admin/issues/'), `link: ${href}`);
        return href.slice('/admin/issues/'.length);
      });
      await t.audit(page, 'desktop admin issues');

      await t.check('dashboard: a test copy goes to the typed address and shows up in the outbox', async () => {
        await page.goto(`${base}/admin/issues/${slug}`);
        await page.getByLabel('Email address').fill(TEST_ADDRESS);
        await Promise.all([page.waitForURL(/done=test/), page.getByRole('button', { name: 'Send a test copy' }).click()]);
        assert(/on its way to/.test((await page.getByRole('status').textContent()) ?? ''), 'no confirmation on the page');
        const mail = await waitFor('the test copy in /dev/outbox.json', async () => {
          const mails = (await (await fetch(`${base}/dev/outbox.json`)).json()) as OutboxMail[];
          return mails.find((m) => m.to === TEST_ADDRESS && m.subject.startsWith('[TEST] '));
        });
        assert(mail.headers['List-Unsubscribe'], 'the test copy has no List-Unsubscribe');
      });
      await t.audit(page, 'desktop admin issue');

      await t.check('dashboard: "Send now…" asks first', async () => {
        await Promise.all([page.waitForURL(`${base}/admin/issues/${slug}/send`), page.getByRole('link', { name: 'Send now…' }).click()]);
        assert(/now\?$/.test(await h1(page)), `the page says "${await h1(page)}"`);
        assert(((await page.locator('.lede strong').textContent()) ?? '').trim() === READERS.toLocaleString('en-US'), 'the audience is not the confirmed count');
      });
      await t.audit(page, 'desktop admin send confirm');

      const seen = await t.check('dashboard: confirming starts the send; the bar moves to 100 % without a reload', async () => {
        await Promise.all([page.waitForURL(/done=sending/), page.getByRole('button', { name: 'Yes, send it now' }).click()]);
        const bar = page.getByRole('progressbar');
        assert(await bar.isVisible(), 'no progress bar');
        await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
        const values: number[] = [Number(await bar.getAttribute('aria-valuenow'))];
        if (values[0] < 100) await t.screenshot(page, 'desktop-admin-send-in-progress');
        await waitFor('the bar to reach 100 %', async () => {
          const now = Number(await bar.getAttribute('aria-valuenow'));
          if (now !== values[values.length - 1]) values.push(now);
          return now === 100;
        }, 120_000);
        assert(values.every((v, i) => i === 0 || v >= values[i - 1]), `the bar went backwards: ${values.join(' → ')}`);
        // A bar first seen at 100 % proves nothing about moving: it must have been read under way too.
        assert(values.length >= 2 && values[0] < 100, `the bar was read only once (${values.join(' → ')} %): it was never seen moving`);
        assert(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed === true), 'the page reloaded');
        await page.getByRole('link', { name: 'Show the results' }).waitFor({ timeout: 10_000 });
        return values;
      });
      console.log(`     the bar showed ${seen.join(' → ')} %`);

      await t.check('dashboard: the results show every reader sent and the outcome bars', async () => {
        await Promise.all([page.waitForURL(`${base}/admin/issues/${slug}`), page.getByRole('link', { name: 'Show the results' }).click()]);
        const sent = ((await page.locator('[data-field="sent"]').textContent()) ?? '').trim();
        assert(sent === READERS.toLocaleString('en-US'), `sent: ${sent}`);
        assert(await page.getByText('Opened (overstated)').isVisible(), 'opens are not labelled as overstated');
      });
      await t.audit(page, 'desktop admin issue sent');
      await t.check('dashboard: the overview shows the last send', async () => {
        await page.goto(`${base}/admin`);
        const last = (await page.locator('section[aria-labelledby="last-title"]').textContent()) ?? '';
        assert(last.includes(READERS.toLocaleString('en-US')), `the last send panel says: ${last}`);
        await t.screenshot(page, 'desktop-admin-overview-after-send');
      });

      await t.check('dashboard: /admin/signup-form shows three snippets to copy, a live preview, and what to add to SIGNUP_ORIGINS', async () => {
        const response = await page.goto(`${base}/admin/signup-form`);
        assert(response?.status() === 200, `GET /admin/signup-form answered ${response?.status()}`);
        for (const label of await page.getByLabel('HTML to paste').all()) {
          const code = await label.inputValue();
          assert(code.includes(`${base}/`), `a snippet does not name ${base}: ${code}`);
        }
        assert((await page.getByLabel('HTML to paste').count()) === 3, 'not three snippets');
        assert(/No other site may carry the form yet/.test((await page.locator('#no-origins').textContent()) ?? ''), 'no word about SIGNUP_ORIGINS');
        const preview = page.frameLocator('iframe.signup-preview');
        await preview.getByRole('button', { name: 'Subscribe' }).waitFor({ timeout: 10_000 });
        await page.getByRole('button', { name: 'Copy' }).first().click();
        await page.getByText(/^(Copied\.|Selected: press)/).first().waitFor({ timeout: 5_000 });
      });
      await t.audit(page, 'desktop admin signup form');

      await editorFlow({ base, out: t.out, docs: t.docs, context: t.context, phone, desktop, check: t.check, audit: t.audit, newPage: t.newPage, screenshot: t.screenshot });

      const small = await t.newPage(phone);
      try {
        for (const [path, label] of [
          ['/admin', 'overview'],
          ['/admin/subscribers', 'subscribers'],
          ['/admin/issues', 'issues'],
          [`/admin/issues/${slug}`, 'issue sent'],
          ['/admin/signup-form', 'signup form'],
          ['/admin/integrations', 'integrations'],
        ]) {
          await t.check(`dashboard: ${path} fits a 375 px screen`, async () => {
            const response = await small.goto(`${base}${path}`);
            assert(response?.status() === 200, `GET ${path} answered ${response?.status()}`);
            await fitsWidth(small, phone.width);
          });
          await t.audit(small, `phone admin ${label}`);
        }
      } finally {
        await small.close();
      }

      // The API reference renders from this server alone, and a client generated from the spec works.
      const docs = await t.newPage(desktop);
      try {
        await t.check('API: /api/docs renders the reference with nothing loaded from another host', async () => {
          const elsewhere: string[] = [];
          docs.on('request', (r) => {
            if (!r.url().startsWith(base)) elsewhere.push(r.url());
          });
          const response = await docs.goto(`${base}/api/docs`);
          assert(response?.status() === 200, `GET /api/docs answered ${response?.status()}`);
          await docs.getByText('List subscribers, a page at a time').first().waitFor({ timeout: 20_000 });
          assert(elsewhere.length === 0, `requests to other hosts: ${elsewhere.join(', ')}`);
          await docs.screenshot({ path: join(t.out, 'desktop-api-docs.png') });
        });
      } finally {
        await docs.close();
      }
      await t.check('API: a client generated from /api/openapi.json (openapi-typescript + openapi-fetch) drives the main flows', () =>
        runClientChecks(base, ADMIN_TOKEN, () => {}),
      );

      await t.check('dashboard: signing out ends the session', async () => {
        await page.goto(`${base}/admin`);
        await Promise.all([page.waitForURL(/done=signed-out/), page.getByRole('button', { name: 'Sign out' }).click()]);
        assert(/signed out/.test((await page.getByRole('status').textContent()) ?? ''), 'no "signed out" message');
        assert(!(await t.context.cookies(base)).some((c) => c.name === 'admin_session'), 'the session cookie is still there');
        await page.goto(`${base}/admin/issues`);
        assert((await h1(page)) === 'Sign in', 'the issues page opened without a session');
      });
    } finally {
      await page.close();
    }

    // The README's two pictures of the dashboard.
    mkdirSync(t.docs, { recursive: true });
    for (const [shot, file] of [
      ['desktop-admin-overview-after-send', 'admin-overview.png'],
      ['desktop-admin-send-in-progress', 'admin-send-in-progress.png'],
      ['desktop-api-docs', 'api-docs.png'],
    ]) {
      try {
        copyFileSync(join(t.out, `${shot}.png`), join(t.docs, file));
      } catch {
        console.log(`     (no ${shot}.png this run: the README keeps its earlier picture)`);
      }
    }
  } finally {
    process.off('exit', stop);
    await server?.stop();
  }
}
