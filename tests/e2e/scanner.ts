// A mail-security scanner opens the confirmation link in a browser that runs scripts (issue 11):
// nothing may be confirmed until a person presses the button. Two scanners, both Debian's Chromium:
//   1. `chromium --headless --dump-dom` with a virtual-time budget, the reproduction of the report;
//   2. a Playwright page with scripts on that loads the link and waits until the network is idle.
// Neither may POST, the page must still ask for the press, and no welcome email may go out; then a
// person presses the button and is subscribed, which proves the link was live all along.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxMail } from '../../src/mail/outbox';
import type { Harness } from './harness';

const SCANNER = 'e2e-scanner+victim@example.com';

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** `chromium --headless --dump-dom <url>`: the document after its scripts ran (virtual time, so no sleeping). */
function dumpDom(h: Harness, url: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'newsletter-e2e-scanner-'));
  return new Promise<string>((resolve, reject) => {
    const child = spawn(h.chromium.path, [...h.chromium.args, `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      if (code === 0 && out.includes('</html>')) resolve(out);
      else reject(new Error(`chromium --dump-dom exited ${code}:\n${err.slice(-2000)}`));
    });
  });
}

async function welcomes(h: Harness): Promise<OutboxMail[]> {
  return (await h.getJson<OutboxMail[]>('/dev/outbox.json')).filter((m) => m.to === SCANNER && m.subject.startsWith('Welcome'));
}

export async function scannerConfirmsNothing(h: Harness): Promise<void> {
  const confirmUrl = await h.check('scanner: a sign-up for a victim behind a link scanner gets its confirmation email', async () => {
    const response = await fetch(`${h.base}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email: SCANNER }) });
    assert(response.status === 202, `POST /subscribe answered ${response.status}`);
    const mail = await h.waitForMail(SCANNER, (s) => s.startsWith('Confirm'), 'the confirmation');
    return h.urlIn(mail.text, `${h.base}/confirm?token=`);
  });

  await h.check('scanner: `chromium --headless --dump-dom` on the link ends on the page that asks for the press', async () => {
    const dom = await dumpDom(h, confirmUrl);
    assert(/<h1>Confirm your subscription<\/h1>/.test(dom), `the dumped page is not the confirm page:\n${dom.slice(0, 1500)}`);
    assert(/<button[^>]*>Confirm my subscription<\/button>/.test(dom), 'no confirm button in the dumped page');
    assert(!/you.re subscribed/i.test(dom), 'the dumped page says the address is subscribed');
    assert(!/<script\b/.test(dom), 'the confirm page has a script');
  });

  const page = await h.newPage(h.viewports[h.viewports.length - 1]!);
  try {
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() !== 'GET') posts.push(`${request.method()} ${request.url()}`);
    });
    await h.check('scanner: a page with scripts on loads the link and waits for the network to settle: no POST, still asking', async () => {
      const response = await page.goto(confirmUrl, { waitUntil: 'networkidle' });
      assert(response?.status() === 200, `GET /confirm answered ${response?.status()}`);
      // Whatever a script could schedule (a timer, a meta refresh) has had its chance by now.
      await page.waitForTimeout(2_000);
      assert(posts.length === 0, `the page sent: ${posts.join(', ')}`);
      assert(page.url() === confirmUrl, `the page moved to ${page.url()}`);
      const h1 = ((await page.locator('h1').first().textContent()) ?? '').trim();
      assert(h1 === 'Confirm your subscription', `the page says "${h1}"`);
    });
    await h.check('scanner: no welcome email went out (nothing was confirmed)', async () => {
      assert((await welcomes(h)).length === 0, 'a welcome email was sent');
    });
    await h.check('scanner: a person pressing the button is subscribed, and welcomed once', async () => {
      const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /confirm my subscription/i }).click()]);
      assert(response?.status() === 200, `POST /confirm answered ${response?.status()}`);
      assert(posts.length === 1 && posts[0]!.startsWith(`POST ${confirmUrl}`), `requests: ${posts.join(', ')}`);
      const h1 = ((await page.locator('h1').first().textContent()) ?? '').trim();
      assert(/you.re subscribed/i.test(h1), `the page says "${h1}"`);
      await h.waitForMail(SCANNER, (s) => s.startsWith('Welcome'), 'the welcome email');
      assert((await welcomes(h)).length === 1, 'not exactly one welcome email');
    });
  } finally {
    await page.close();
  }
}
