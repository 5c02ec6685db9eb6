// The browser tests: `npm run test:e2e`.
//
// Starts the real service (`npm run dev -- --port N --persist-to <fresh dir>`), then drives Debian's
// Chromium through what a reader does, at phone width (375 px) and on a desktop (1280 px):
//   subscribe with the form → "check your inbox" → the confirmation link from /dev/outbox.json →
//   confirm (by pressing the page's one button; at phone width with scripts off) →
//   the welcome email → `npm run send:weekly -- --port N` → the issue in the outbox, shown as a mail
//   client would (light and dark) → its "view in browser" link → the archive and the feed →
//   its unsubscribe link → the button. Modules of their own (each one call line in main): a mail
//   scanner opening the confirm link (scanner.ts), the reader's preferences page (preferences.ts).
// axe-core audits every page visited (light and dark colour scheme): serious or critical violations
// fail the run. Screenshots go to test-results/e2e/; the signup page and the weekly email are also
// copied to docs/screenshots/ for the README. One line per check, then "N passed, N failed".
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type AxeViolation, measureContrast, runAxe } from './audit';
import { checkEmailLook } from './email-look';
import { adminDashboard } from './admin';
import { checkRss } from './feed-check';
import { signupFormsElsewhere, signupFormsWithTurnstile } from './embed';
import { type DevServer, freePort, startDevServer } from './server';
import type { OutboxMail } from '../../src/mail/outbox';
import type { Harness } from './harness';
import { preferencesPage } from './preferences';
import { scannerConfirmsNothing } from './scanner';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, 'test-results', 'e2e');
const DOCS = join(ROOT, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WATCHDOG_MS = 10 * 60_000; // two dev servers (the dashboard has its own) on a 2-core machine

const VIEWPORTS = [
  { name: 'phone', width: 375, height: 812 },
  { name: 'desktop', width: 1280, height: 900 },
] as const;
type Viewport = (typeof VIEWPORTS)[number];

type Mail = OutboxMail;

// ---- reporting -------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
const axeNotes = new Map<string, number>();
let axeRuns = 0;

class Skip extends Error {}
/** Set on Ctrl-C: checks still in flight end quietly while the dev server stops. */
let interrupted = false;

/** One check, one line. A failed check ends the flow it belongs to (what follows depends on it). */
async function check<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  try {
    const value = await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
    return value;
  } catch (error) {
    if (interrupted) throw new Skip(name);
    failed++;
    const message = error instanceof Error ? error.message : String(error);
    console.log(`FAIL ${name}\n     ${message.split('\n').join('\n     ')}`);
    throw new Skip(name);
  }
}

/** A flow of dependent checks: the first failure skips the rest of it, not the other flows. */
async function flow(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Skip) {
      if (!interrupted) console.log(`     (rest of "${name}" skipped after that failure)`);
      return;
    }
    failed++;
    console.log(`FAIL ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

// ---- the service ---------------------------------------------------------------------------------

let server: DevServer | null = null;

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${server!.base}${path}`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function waitForMail(to: string, subject: (s: string) => boolean, what: string): Promise<Mail> {
  return waitFor(what, async () => (await getJson<Mail[]>('/dev/outbox.json')).find((m) => m.to === to && subject(m.subject)));
}

/** The first URL in a text part that starts with `prefix`. */
function urlIn(text: string, prefix: string): string {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}[^\\s<>"')\\]]*`).exec(text);
  assert(match, `no link starting with ${prefix} in:\n${text}`);
  return match[0];
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

// ---- the browser -----------------------------------------------------------------------------

let context: BrowserContext | null = null;
let userDataDir: string | null = null;
const shots: Record<string, string> = {};

/** A page that records console errors (a CSP refusal shows up there), uncaught errors, and any request off this machine. */
async function newPage(vp: Viewport): Promise<Page & { problems: string[] }> {
  const page = (await context!.newPage()) as Page & { problems: string[] };
  page.problems = [];
  await page.setViewportSize({ width: vp.width, height: vp.height });
  await page.emulateMedia({ colorScheme: 'light' });
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol.startsWith('http') && url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') {
      page.problems.push(`request off this machine: ${request.url()}`);
    }
  });
  return page;
}

async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots[name] = path;
  return path;
}

function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(' | ')})`).join('\n');
}

/** axe in the light and in the dark colour scheme, a screenshot of each, no console errors. */
async function audit(page: Page & { problems: string[] }, label: string) {
  await check(`${label}: axe-core finds no serious or critical violation (light and dark)`, async () => {
    const blocking: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const violations = await runAxe(page);
      axeRuns++;
      for (const v of violations) axeNotes.set(`${v.impact} ${v.id}`, (axeNotes.get(`${v.impact} ${v.id}`) ?? 0) + 1);
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      if (serious.length) blocking.push(`${scheme}:\n${describeViolations(serious)}`);
      await screenshot(page, `${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}${scheme === 'dark' ? '-dark' : ''}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    assert(blocking.length === 0, blocking.join('\n'));
  });
  await check(`${label}: no console errors, CSP refusals or requests off this machine`, () => {
    assert(page.problems.length === 0, page.problems.join('\n'));
  });
}

async function heading(page: Page): Promise<string> {
  return ((await page.locator('h1').first().textContent()) ?? '').trim();
}

/** Renders a captured email as a mail client would (no scripts in it; its own colours), in light and dark. */
async function auditEmail(vp: Viewport, mail: Mail, label: string) {
  const page = await newPage(vp);
  try {
    await page.setContent(mail.html, { waitUntil: 'load' });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const report = await check(`${label} (${scheme}): every visible text has WCAG AA contrast against what is behind it`, async () => {
        const r = await measureContrast(page);
        assert(r.checked > 5, `only ${r.checked} text elements found`);
        assert(r.failures.length === 0, r.failures.map((f) => `"${f.text}": ${f.color} on ${f.background} = ${f.ratio}:1 (needs ${f.needed})`).join('\n'));
        return r;
      });
      console.log(`     ${report.checked} text elements, lowest contrast ${report.minimum.toFixed(2)}:1`);
      await screenshot(page, `${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}${scheme === 'dark' ? '-dark' : ''}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    if (vp.name === 'desktop') {
      // For the README: the top of the email in a mail client's reading pane.
      await page.setViewportSize({ width: 760, height: 1180 });
      const path = join(OUT, `${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-reading-pane.png`);
      await page.screenshot({ path });
      shots[`${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-reading-pane`] = path;
      await page.setViewportSize({ width: vp.width, height: vp.height });
    }
    await check(`${label}: axe-core finds no serious or critical violation`, async () => {
      const violations = await runAxe(page);
      axeRuns++;
      for (const v of violations) axeNotes.set(`${v.impact} ${v.id}`, (axeNotes.get(`${v.impact} ${v.id}`) ?? 0) + 1);
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert(serious.length === 0, describeViolations(serious));
    });
    if (vp.name === 'phone') {
      await check(`${label}: fits a 375 px screen without sideways scrolling`, async () => {
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert(width <= vp.width, `the email is ${width} px wide`);
      });
    } else {
      await check(`${label}: the column is 600 px wide on a desktop`, async () => {
        const widths = await page.evaluate(() => Array.from(document.querySelectorAll('table')).map((t) => Math.round(t.getBoundingClientRect().width)));
        assert(widths.includes(600), `no 600 px column; table widths: ${widths.join(', ')}`);
        assert(Math.max(...widths.filter((w) => w < 1280)) <= 600, `something is wider than the column: ${widths.join(', ')}`);
      });
    }
  } finally {
    await page.close();
  }
}

/** What the e2e modules (tests/e2e/*.ts) use of this runner. */
function harness(): Harness {
  return { base: server!.base, viewports: VIEWPORTS, check, newPage, audit, screenshot, waitForMail, getJson, urlIn, chromium: { path: CHROMIUM, args: CHROMIUM_ARGS }, outDir: OUT };
}

// ---- the flows ---------------------------------------------------------------------------------

interface Reader {
  vp: Viewport;
  email: string;
  name: string;
}

/** Home page → form → check-your-inbox → confirmation link from the outbox → confirmed → welcome email. */
async function signUp(reader: Reader) {
  const { vp } = reader;
  const base = server!.base;
  const page = await newPage(vp);
  try {
    await check(`${vp.name}: the home page shows the subscribe form`, async () => {
      const response = await page.goto(`${base}/`);
      assert(response?.status() === 200, `GET / answered ${response?.status()}`);
      assert(await page.getByLabel('Email address').isVisible(), 'no visible field labelled "Email address"');
      assert(await page.getByLabel(/^Name/).isVisible(), 'no visible field labelled "Name"');
      // The honeypot sits in a 1 px clipped box, out of the tab order and hidden from screen readers.
      const honeypot = await page.locator('input[name="website"]').evaluate((input) => {
        let clipped = false;
        let ariaHidden = false;
        for (let node: Element | null = input.parentElement; node; node = node.parentElement) {
          const rect = node.getBoundingClientRect();
          if (getComputedStyle(node).overflow === 'hidden' && rect.width <= 1 && rect.height <= 1) clipped = true;
          if (node.getAttribute('aria-hidden') === 'true') ariaHidden = true;
        }
        return { clipped, ariaHidden, tabIndex: (input as HTMLInputElement).tabIndex };
      });
      assert(honeypot.clipped && honeypot.ariaHidden && honeypot.tabIndex === -1, `the honeypot field can be seen or reached: ${JSON.stringify(honeypot)}`);
    });
    await audit(page, `${vp.name} home`);

    await check(`${vp.name}: subscribing through the form shows "check your inbox"`, async () => {
      await page.getByLabel('Email address').fill(reader.email);
      await page.getByLabel(/^Name/).fill(reader.name);
      const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Subscribe' }).click()]);
      assert(response?.status() === 202, `POST /subscribe answered ${response?.status()}`);
      const h1 = await heading(page);
      assert(/check your inbox/i.test(h1), `the page says "${h1}"`);
    });
    await audit(page, `${vp.name} check inbox`);

    const confirmation = await check(`${vp.name}: the confirmation email is in /dev/outbox.json`, () =>
      waitForMail(reader.email, (s) => s.startsWith('Confirm your subscription'), `the confirmation to ${reader.email}`),
    );
    const confirmUrl = await check(`${vp.name}: it links to ${base}/confirm`, () => {
      const url = urlIn(confirmation.text, `${base}/confirm?token=`);
      assert(confirmation.html.includes(`href="${url.replaceAll('&', '&amp;')}"`) || confirmation.html.includes(`href="${url}"`), 'the HTML part has another link');
      return url;
    });

    if (vp.name === 'phone') {
      // Scripts off: the page must still work through its visible button (and stays put for axe).
      const cdp = await context!.newCDPSession(page);
      await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
      await check(`${vp.name}: with scripts off, the confirm page waits with a visible button`, async () => {
        const response = await page.goto(confirmUrl);
        assert(response?.status() === 200, `GET /confirm answered ${response?.status()}`);
        assert(/confirm your subscription/i.test(await heading(page)), `the page says "${await heading(page)}"`);
        assert(await page.getByRole('button', { name: /confirm/i }).isVisible(), 'no visible confirm button');
      });
      await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
      await audit(page, `${vp.name} confirm`);
      await check(`${vp.name}: pressing the button confirms`, async () => {
        const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /confirm/i }).click()]);
        assert(response?.status() === 200, `POST /confirm answered ${response?.status()}`);
        const h1 = await heading(page);
        assert(/you.re subscribed/i.test(h1), `the page says "${h1}"`);
      });
      await cdp.detach();
    } else {
      await check(`${vp.name}: the link shows the confirm button, and pressing it confirms`, async () => {
        await page.goto(confirmUrl);
        const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /confirm/i }).click()]);
        assert(response?.status() === 200, `POST /confirm answered ${response?.status()}`);
        await page.getByRole('heading', { level: 1, name: /you.re subscribed/i }).waitFor({ timeout: 10_000 });
      });
    }
    await audit(page, `${vp.name} confirmed`);

    const welcome = await check(`${vp.name}: the welcome email arrives`, () =>
      waitForMail(reader.email, (s) => s.startsWith('Welcome'), `the welcome email to ${reader.email}`),
    );
    await check(`${vp.name}: the welcome email says what to expect, how often, and links to the archive`, () => {
      assert(/what to expect/i.test(welcome.text), 'no "what to expect"');
      assert(/one article a week|every week|weekly/i.test(welcome.text), 'does not say how often');
      assert(welcome.text.includes(`${base}/archive`), `no link to ${base}/archive in the text part`);
      assert(welcome.html.includes(`href="${base}/archive`), 'no archive link in the HTML part');
      assert(welcome.text.includes(`Unsubscribe: ${base}/unsubscribe?token=`), 'no unsubscribe link in the text part');
      assert(welcome.text.includes(reader.name), 'does not greet the reader by name');
    });
    await auditEmail(vp, welcome, `${vp.name} welcome email`);
  } finally {
    await page.close();
  }
}

interface Issue {
  slug: string;
  title: string;
  date: string;
  summary: string;
}

/** The issue as received: the email in light and dark, view in browser, archive, feed, unsubscribe. */
async function readIssue(reader: Reader, issue: Issue) {
  const { vp } = reader;
  const base = server!.base;
  const mail = await check(`${vp.name}: the issue "${issue.title}" reaches the reader`, () =>
    waitForMail(reader.email, (s) => s === issue.title, `the issue to ${reader.email}`),
  );
  writeFileSync(join(OUT, `${vp.name}-issue-email.html`), mail.html);
  writeFileSync(join(OUT, `${vp.name}-issue-email.txt`), mail.text);

  const links = await check(`${vp.name}: the issue has its headers, preheader, name, footer and links; under 100 KB`, () => {
    const size = Buffer.byteLength(mail.html);
    assert(size < 100 * 1024, `HTML is ${size} bytes`);
    const view = urlIn(mail.text, `View in browser: ${base}/archive/`).slice('View in browser: '.length);
    assert(view === `${base}/archive/${issue.slug}`, `view in browser is ${view}`);
    const unsubscribe = urlIn(mail.text, `Unsubscribe: ${base}/unsubscribe?token=`).slice('Unsubscribe: '.length);
    assert(mail.headers['List-Unsubscribe'] === `<${unsubscribe}>`, `List-Unsubscribe is ${mail.headers['List-Unsubscribe']}`);
    assert(mail.headers['List-Unsubscribe-Post'] === 'List-Unsubscribe=One-Click', 'no one-click header');
    assert(mail.headers['List-Id'], 'no List-Id');
    assert(!mail.html.includes('__UNSUBSCRIBE_TOKEN__') && !mail.text.includes('__UNSUBSCRIBE_TOKEN__'), 'the token placeholder was left in');
    assert(mail.html.indexOf(issue.summary.slice(0, 40)) < mail.html.indexOf('<h1'), 'the summary is not the preheader');
    assert(/you are receiving this because/i.test(mail.text), 'the footer does not say why the reader gets this');
    return { view, unsubscribe, size };
  });
  console.log(`     HTML ${(links.size / 1024).toFixed(1)} KB, text ${(Buffer.byteLength(mail.text) / 1024).toFixed(1)} KB`);

  await auditEmail(vp, mail, `${vp.name} issue email`);

  const page = await newPage(vp);
  try {
    await check(`${vp.name}: the email's "view in browser" and "unsubscribe" links are the ones a person clicks`, async () => {
      await page.setContent(mail.html);
      const view = await page.getByRole('link', { name: /in your browser/i }).getAttribute('href');
      const unsubscribe = await page.getByRole('link', { name: /^unsubscribe$/i }).getAttribute('href');
      assert(view === links.view, `view link is ${view}`);
      assert(unsubscribe === links.unsubscribe, `unsubscribe link is ${unsubscribe}`);
    });

    await check(`${vp.name}: "view in browser" opens the issue with a subscribe box`, async () => {
      const response = await page.goto(links.view);
      assert(response?.status() === 200, `GET ${links.view} answered ${response?.status()}`);
      assert((await heading(page)) === issue.title, `the page says "${await heading(page)}"`);
      assert(await page.locator('aside form[action="/subscribe"]').isVisible(), 'no subscribe box');
      assert(await page.getByRole('link', { name: /all issues/i }).isVisible(), 'no way back to the archive');
    });
    await audit(page, `${vp.name} article`);

    await check(`${vp.name}: the archive lists the issue with its date and summary`, async () => {
      await page.getByRole('link', { name: /all issues/i }).click();
      await page.waitForURL(`${base}/archive`);
      const entry = page.locator('li', { has: page.getByRole('link', { name: issue.title }) });
      assert((await entry.count()) === 1, 'the issue is not listed once');
      const date = await entry.locator('time').getAttribute('datetime');
      assert(date === issue.date, `the listed date is ${date}`);
      assert(((await entry.textContent()) ?? '').includes(issue.summary), 'no summary');
    });
    await audit(page, `${vp.name} archive`);

    await check(`${vp.name}: the home page now points at the latest issue`, async () => {
      await page.goto(`${base}/`);
      assert(await page.getByRole('link', { name: issue.title }).isVisible(), 'no link to the latest issue');
    });
    await audit(page, `${vp.name} home with latest issue`);

    await check(`${vp.name}: the unsubscribe link shows one button`, async () => {
      const response = await page.goto(links.unsubscribe);
      assert(response?.status() === 200, `GET unsubscribe answered ${response?.status()}`);
      assert((await page.getByRole('button').count()) === 1, 'not exactly one button');
    });
    await audit(page, `${vp.name} unsubscribe`);
    await check(`${vp.name}: pressing it unsubscribes at once`, async () => {
      const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /unsubscribe/i }).click()]);
      assert(response?.status() === 200, `POST /unsubscribe answered ${response?.status()}`);
      const h1 = await heading(page);
      assert(/you.re unsubscribed/i.test(h1), `the page says "${h1}"`);
    });
    await audit(page, `${vp.name} unsubscribed`);
  } finally {
    await page.close();
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const started = Date.now();

  // The "blog" of tests/e2e/embed.ts: another site, allowed to carry the sign-up form (a second port is not).
  const [blogPort, otherPort] = [await freePort(), await freePort()];
  server = await check('npm run dev starts in a fresh persist dir and /health answers', () =>
    startDevServer(ROOT, join(OUT, 'dev-server.log'), 120_000, ['--var', `SIGNUP_ORIGINS:http://127.0.0.1:${blogPort}`]),
  );
  const base = server.base;
  console.log(`     ${base}, state in ${server.persistDir}`);
  await check('the dev server applied the migrations to that persist dir', async () => {
    const d1 = join(server!.persistDir, 'v3', 'd1');
    assert(existsSync(d1) && readdirSync(d1, { recursive: true }).some((f) => String(f).endsWith('.sqlite')), `no D1 database under ${d1}`);
    // The tables exist in the database wrangler dev serves from that dir: the migrations went there.
    assert(Array.isArray(await getJson<unknown[]>('/dev/outbox.json')), 'the outbox does not answer');
  });

  userDataDir = mkdtempSync(join(tmpdir(), 'newsletter-e2e-chromium-'));
  try {
    context = await check('Chromium starts with a fresh profile', () => {
      if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
      // Our own signal handlers stop Chromium, then the dev server, then report.
      return chromium.launchPersistentContext(userDataDir!, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
    });
    const readers: Reader[] = VIEWPORTS.map((vp) => ({ vp, email: `e2e-${vp.name}+reader@example.com`, name: vp.name === 'phone' ? 'Ada Phone' : 'Grace Desktop' }));
    for (const reader of readers) await flow(`sign-up at ${reader.vp.name} width`, () => signUp(reader));
    await flow('a mail scanner opens the confirm link', () => scannerConfirmsNothing(harness()));

    let issue: Issue | null = null;
    await flow('the weekly send', async () => {
      await check(`npm run send:weekly -- --port ${server!.port} fires the weekly cron`, async () => {
        const { code, output } = await run('npm', ['run', '--silent', 'send:weekly', '--', '--port', String(server!.port)]);
        assert(code === 0, `exit ${code}:\n${output}`);
      });
      issue = await check('the issue appears in the archive (newest first)', () =>
        waitFor('a sent issue', async () => (await getJson<{ issues: Issue[] }>('/archive')).issues[0]),
      );
      await check('/feed.xml is well-formed RSS 2.0 with absolute links and the issue', async () => {
        const response = await fetch(`${base}/feed.xml`);
        assert(/^application\/rss\+xml/.test(response.headers.get('content-type') ?? ''), `content-type ${response.headers.get('content-type')}`);
        const feed = checkRss(await response.text(), base);
        assert(feed.items[0]?.link === `${base}/archive/${issue!.slug}`, `first item is ${feed.items[0]?.link}`);
        assert(feed.items[0]?.title === issue!.title, `first item title is ${feed.items[0]?.title}`);
        assert(feed.items[0]?.description === issue!.summary, 'the description is not the summary');
      });
    });

    if (issue) {
      const sent: Issue = issue;
      for (const reader of readers) await flow(`reading the issue at ${reader.vp.name} width`, () => readIssue(reader, sent));
      await flow('the issue email in light, dark and at 320 px', () => checkEmailLook({ context: context!, base, subject: sent.title, check, outDir: OUT, docsDir: DOCS }));
      await flow('a reader who joins after the send', async () => {
        const email = 'e2e-late+reader@example.com';
        await check('a late reader subscribes and confirms (JSON API)', async () => {
          const response = await fetch(`${base}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email }) });
          assert(response.status === 202, `POST /subscribe answered ${response.status}`);
          const mail = await waitForMail(email, (s) => s.startsWith('Confirm'), 'the confirmation');
          const confirm = await fetch(urlIn(mail.text, `${base}/confirm?token=`), { method: 'POST', headers: { accept: 'application/json' } });
          assert(confirm.status === 200, `POST /confirm answered ${confirm.status}`);
        });
        await check('their welcome email links to the latest issue in the archive', async () => {
          const welcome = await waitForMail(email, (s) => s.startsWith('Welcome'), 'the welcome email');
          assert(welcome.text.includes(`${base}/archive/${sent.slug}`), `no link to ${base}/archive/${sent.slug}:\n${welcome.text}`);
          assert(welcome.text.includes(sent.title), 'the latest issue is not named');
          writeFileSync(join(OUT, 'welcome-email-after-send.txt'), welcome.text);
        });
      });
      await flow('the dev outbox page', async () => {
        const page = await newPage(VIEWPORTS[1]);
        try {
          await check('desktop: /dev/outbox shows the captured mail', async () => {
            const response = await page.goto(`${base}/dev/outbox`);
            assert(response?.status() === 200, `GET /dev/outbox answered ${response?.status()}`);
            assert(await page.getByRole('heading', { name: sent.title }).first().isVisible(), 'the issue is not shown');
          });
          await audit(page, 'desktop outbox');
        } finally {
          await page.close();
        }
      });
    }
    await flow("the operator's dashboard", () => adminDashboard({ root: ROOT, out: OUT, docs: DOCS, context: context!, viewports: VIEWPORTS, check, audit, newPage, screenshot }));
    await flow("the reader's preferences page", () => preferencesPage(harness()));
    await flow('sign-up forms on another site', () => signupFormsElsewhere(harness(), blogPort, otherPort, DOCS));
    await flow('sign-up forms on another site, with Turnstile', () => signupFormsWithTurnstile(harness(), ROOT));
  } finally {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
    userDataDir = null;
  }

  if (interrupted) return;
  // The two pictures for the README: the signup page and the weekly email as a desktop reader sees them.
  const best: [string, string][] = [
    ['desktop-home-with-latest-issue', 'signup.png'],
    ['desktop-issue-email-reading-pane', 'weekly-email.png'],
  ];
  mkdirSync(DOCS, { recursive: true });
  for (const [shot, file] of best) if (shots[shot]) copyFileSync(shots[shot], join(DOCS, file));

  console.log(`\naxe-core: ${axeRuns} audits; ${axeNotes.size ? `minor or moderate findings: ${[...axeNotes].map(([k, n]) => `${k} ×${n}`).join(', ')}` : 'no findings at all'}`);
  console.log(`screenshots: ${Object.keys(shots).length} in test-results/e2e/; README pictures in docs/screenshots/`);
  console.log(`time: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---- always stop the dev server ------------------------------------------------------------------

async function shutdown(code: number): Promise<never> {
  await context?.close().catch(() => undefined);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await server?.stop().catch(() => undefined);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\n${signal}: stopping the dev server and Chromium`);
    void (async () => {
      await context?.close().catch(() => undefined);
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
      await server?.stop().catch(() => undefined);
      console.log(`FAIL interrupted by ${signal}`);
      console.log(`${passed} passed, ${failed + 1} failed`);
      process.exit(130);
    })();
  });
}
process.on('exit', () => server?.killNow());
const watchdog = setTimeout(() => {
  interrupted = true;
  console.log(`FAIL the whole run took longer than ${WATCHDOG_MS / 60_000} minutes`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  void shutdown(1);
}, WATCHDOG_MS);

try {
  await main();
} catch (error) {
  if (!(error instanceof Skip)) {
    failed++;
    console.log(`FAIL ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
} finally {
  clearTimeout(watchdog);
  await (server as DevServer | null)?.stop().catch(() => undefined);
}
// Interrupted: the signal handler (or the watchdog) prints the count and exits.
if (interrupted) await new Promise(() => undefined);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
