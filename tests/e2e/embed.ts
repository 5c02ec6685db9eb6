// The sign-up form on another site, in a real browser across two origins (issue 20), called from run.ts
// (two flows: signupFormsElsewhere on run.ts's dev server, signupFormsWithTurnstile on its own).
//
// The Worker runs at http://localhost:<port> (run.ts's dev server, started with SIGNUP_ORIGINS set to
// the blog below). A tiny static "blog" answers at http://127.0.0.1:<blogPort>: another host name and
// port, so another site to the browser. A second copy at http://127.0.0.1:<otherPort> is not listed.
// The blog's pages carry exactly the snippets the dashboard hands out (src/embed/snippets.ts) and send
// a CSP that allows scripts only from the Worker (no inline script, no eval), as a careful site does.
//
//   the plain form with scripts off → back on the blog with ?subscribe=pending → the confirmation;
//   the form with /embed.js → an inline answer in the status line, no navigation → the confirmation;
//   the iframe → the form in the frame answers inline, and the frame is fitted to its height;
//   the unlisted site: its form post is refused (403), its fetch gets no CORS answer (and nothing is
//   stored), its frame stays empty (frame-ancestors);
//   /embed at 320 px, and axe in light and dark; a screenshot of the form inside the blog for the README.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { signupSnippets } from '../../src/embed/snippets';
import { FAKE_TURNSTILE_SECRET, FAKE_TURNSTILE_SITE_KEY, startFakeTurnstile } from '../support/node/fake-turnstile';
import type { Harness, ProblemPage } from './harness';
import { freePort, startDevServer } from './server';

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const NEWSLETTER = 'The Weekly Letter';

/** A blog page: an article with one of the snippets in a box after it. */
function blogPage(title: string, snippet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Field Notes</title>
<style>
  body { margin: 0; font: 18px/1.6 Georgia, serif; color: #222; background: #f6f3ee; }
  header { background: #2b3a2f; color: #fff; padding: 1rem 1.25rem; font: 600 1.1rem system-ui, sans-serif; }
  main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
  h1 { line-height: 1.2; }
  .newsletter { margin-top: 2rem; padding: 1.25rem; background: #fff; border: 1px solid #d8d2c6; border-radius: 12px; font-family: system-ui, sans-serif; font-size: 1rem; }
  .newsletter h2 { margin: 0 0 0.75rem; font-size: 1.2rem; }
  .newsletter label { display: block; font-weight: 600; margin-bottom: 0.35rem; }
  .newsletter input[type=email] { width: 100%; box-sizing: border-box; padding: 0.6rem; font: inherit; border: 1px solid #6b6b6b; border-radius: 8px; }
  .newsletter button { margin-top: 0.75rem; padding: 0.6rem 1.2rem; font: inherit; font-weight: 600; color: #fff; background: #2b3a2f; border: 0; border-radius: 8px; }
  .newsletter [data-newsletter-status] { margin: 0.75rem 0 0; font-weight: 600; }
  .newsletter [data-tone=error] { color: #a12a16; }
</style>
</head>
<body>
<header>Field Notes: a garden blog</header>
<main>
<article>
<h1>${title}</h1>
<p>The beans went in late this year, after the last cold night. By July the trellis was hidden under leaves, and the first pods came a week after that.</p>
<p>What worked: a deep mulch of straw, watering at the root in the morning, and picking every other day so the plants kept flowering.</p>
</article>
<aside class="newsletter" aria-labelledby="newsletter-title">
<h2 id="newsletter-title">Get ${NEWSLETTER} by email</h2>
${snippet}
</aside>
</main>
</body>
</html>`;
}

interface Blog {
  origin: string;
  server: Server;
}

/** A static site on 127.0.0.1:<port> whose CSP allows scripts, fetches, frames and form posts only to the Worker. */
/** Stops a blog at once: Chromium keeps sockets open to it, which a plain close() would wait for. */
function stopBlog(blog: Blog): Promise<void> {
  return new Promise((resolve) => {
    blog.server.close(() => resolve());
    blog.server.closeAllConnections();
  });
}

function startBlog(port: number, base: string, alsoAllow = ''): Promise<Blog> {
  const origin = `http://127.0.0.1:${port}`;
  const snippets = signupSnippets({ publicUrl: base, newsletterName: NEWSLETTER }, `${origin}/thanks`);
  const pages: Record<string, string> = {
    '/': blogPage('Growing runner beans', snippets.script),
    '/plain': blogPage('Saving seed', snippets.form),
    '/frame': blogPage('Compost in winter', snippets.iframe),
    '/thanks': blogPage('Thank you', snippets.script),
  };
  const csp = [
    "default-src 'self'",
    `script-src ${base}${alsoAllow}`,
    `connect-src ${base}`,
    `frame-src ${base}${alsoAllow}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    // Chromium checks form-action against the redirect too: the Worker, then back here (return_to).
    `form-action 'self' ${base}`,
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
  const server = createServer((request, response) => {
    const page = pages[new URL(request.url ?? '/', origin).pathname];
    if (!page) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'cache-control': 'no-store' }).end(page);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ origin, server }));
  });
}

async function statusText(scope: ProblemPage | Frame): Promise<string> {
  return ((await scope.locator('[data-newsletter-status]').first().textContent()) ?? '').trim();
}

async function waitForStatus(scope: ProblemPage | Frame, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = await statusText(scope);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`the status line says "${text}", expected ${pattern}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stored(t: Harness, email: string): Promise<boolean> {
  const mails = await t.getJson<{ to: string }[]>('/dev/outbox.json');
  return mails.some((m) => m.to === email);
}

/** `blogPort`: the port run.ts listed in SIGNUP_ORIGINS (`http://127.0.0.1:<blogPort>`); `otherPort`: not listed. */
export async function signupFormsElsewhere(t: Harness, blogPort: number, otherPort: number, docsDir: string): Promise<void> {
  const [phone, desktop] = [t.viewports.find((v) => v.name === 'phone')!, t.viewports.find((v) => v.name === 'desktop')!];
  const blog = await t.check(`embed: a static blog answers on ${`http://127.0.0.1:${blogPort}`} (another site than ${t.base})`, () => startBlog(blogPort, t.base));
  const other = await t.check('embed: a second, unlisted site answers on another port', () => startBlog(otherPort, t.base));
  try {
    // ---- the plain form, scripts off -----------------------------------------------------------
    {
      const page = await t.newPage(phone);
      const cdp = await page.context().newCDPSession(page);
      try {
        await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
        const email = 'embed-plain+reader@example.com';
        await t.check('embed: the plain form on the blog, scripts off, comes back to the blog with subscribe=pending', async () => {
          await page.goto(`${blog.origin}/plain`);
          await page.getByLabel('Email address').fill(email);
          const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /subscribe/i }).click()]);
          const url = new URL(page.url());
          assert(url.origin === blog.origin && url.pathname === '/thanks', `landed on ${page.url()}`);
          assert(url.searchParams.get('subscribe') === 'pending', `subscribe=${url.searchParams.get('subscribe')}`);
          assert(response?.status() === 200, `the blog answered ${response?.status()}`);
        });
        await t.check('embed: and the confirmation email goes out', () => t.waitForMail(email, (s) => s.startsWith('Confirm'), `the confirmation to ${email}`));
        await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
        await t.check('embed: with scripts on, the page it came back to says so in its status line', async () => {
          await page.reload();
          await waitForStatus(page, /check your inbox/i);
        });
      } finally {
        await cdp.send('Emulation.setScriptExecutionDisabled', { value: false }).catch(() => undefined);
        await cdp.detach().catch(() => undefined);
        await page.close();
      }
    }

    // ---- the form with the script ------------------------------------------------------------
    for (const vp of [desktop, phone]) {
      const page = await t.newPage(vp);
      try {
        const email = `embed-script-${vp.name}+reader@example.com`;
        await t.check(`embed (${vp.name}): the script answers inline on the blog, without leaving the page`, async () => {
          await page.goto(`${blog.origin}/`);
          const status = page.locator('[data-newsletter-status]');
          assert((await status.getAttribute('aria-live')) === 'polite' && (await status.getAttribute('role')) === 'status', 'the status line is not a polite live region');
          await page.getByLabel('Email address').fill(email);
          let navigated = false;
          page.once('framenavigated', (frame) => {
            if (frame === page.mainFrame()) navigated = true;
          });
          await page.getByRole('button', { name: /subscribe/i }).click();
          await waitForStatus(page, /check your inbox/i);
          assert(!navigated && page.url() === `${blog.origin}/`, `the page moved to ${page.url()}`);
          assert((await page.getByLabel('Email address').inputValue()) === '', 'the address was left in the field');
        });
        await t.check(`embed (${vp.name}): the confirmation email goes out`, () => t.waitForMail(email, (s) => s.startsWith('Confirm'), `the confirmation to ${email}`));
        if (vp.name === 'desktop') await t.screenshot(page, 'embed-script-on-blog');
        await t.audit(page, `${vp.name} blog with the script form`);
        if (vp.name === 'desktop') {
          // After the audit: Chromium logs the 400 of this fetch as a console error.
          await t.check('embed: the script says why a bad address was refused, and marks the field', async () => {
            await page.getByLabel('Email address').fill('no-at-sign.example.com');
            // The browser's own check would stop this; the server's must answer too.
            await page.locator('form[data-newsletter]').evaluate((form) => form.setAttribute('novalidate', ''));
            await page.getByRole('button', { name: /subscribe/i }).click();
            const text = await waitForStatus(page, /address|email/i);
            assert(!/check your inbox/i.test(text), `the status says "${text}"`);
            assert((await page.getByLabel('Email address').getAttribute('aria-invalid')) === 'true', 'the field is not marked invalid');
          });
        }
      } finally {
        await page.close();
      }
    }

    // ---- the iframe --------------------------------------------------------------------------
    {
      const page = await t.newPage(desktop);
      try {
        const email = 'embed-frame+reader@example.com';
        const frame = await t.check('embed: the blog frames /embed, and the frame is fitted to its form', async () => {
          await page.goto(`${blog.origin}/frame`);
          const handle = await page.waitForSelector('iframe[data-newsletter-embed]');
          const inner = await handle.contentFrame();
          assert(inner, 'no frame');
          await inner.getByLabel('Email address').waitFor({ timeout: 10_000 });
          const deadline = Date.now() + 10_000;
          let fitted = '';
          for (;;) {
            fitted = await handle.evaluate((el) => (el as HTMLIFrameElement).style.height);
            const content = await inner.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height));
            if (fitted && Math.abs(parseInt(fitted, 10) - content) <= 2) break;
            if (Date.now() > deadline) throw new Error(`the frame is ${fitted || 'not fitted'}, its page ${content} px`);
            await new Promise((r) => setTimeout(r, 100));
          }
          return inner;
        });
        await t.check('embed: the blog ignores a height message from anyone but the service', async () => {
          const handle = (await page.$('iframe[data-newsletter-embed]'))!;
          const before = await handle.evaluate((el) => (el as HTMLIFrameElement).style.height);
          // The blog's own window (another origin than the service) posts a forged height.
          await page.evaluate(() => window.postMessage({ type: 'newsletter:height', height: 1500 }, '*'));
          await page.waitForTimeout(300);
          const after = await handle.evaluate((el) => (el as HTMLIFrameElement).style.height);
          assert(after === before, `the frame went from ${before} to ${after}`);
        });
        await t.check('embed: subscribing inside the frame answers in the frame', async () => {
          await frame.getByLabel('Email address').fill(email);
          await frame.getByRole('button', { name: /subscribe/i }).click();
          await waitForStatus(frame, /check your inbox/i);
          assert(page.url() === `${blog.origin}/frame`, `the blog page moved to ${page.url()}`);
        });
        await t.check('embed: the frame\'s confirmation email goes out', () => t.waitForMail(email, (s) => s.startsWith('Confirm'), `the confirmation to ${email}`));
        await t.screenshot(page, 'embed-frame-on-blog');
        await t.check('embed: the framed blog page has no console errors or CSP refusals', () => assert(page.problems.length === 0, page.problems.join('\n')));
      } finally {
        await page.close();
      }
    }

    // ---- a site that is not listed -----------------------------------------------------------
    {
      const page = await t.newPage(desktop);
      const logs: string[] = [];
      page.on('console', (message) => logs.push(message.text()));
      try {
        const email = 'embed-unlisted+reader@example.com';
        await t.check('embed: an unlisted site\'s plain form post is refused with 403', async () => {
          const cdp = await page.context().newCDPSession(page);
          await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
          try {
            await page.goto(`${other.origin}/plain`);
            await page.getByLabel('Email address').fill(email);
            const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /subscribe/i }).click()]);
            assert(response?.status() === 403, `POST /subscribe answered ${response?.status()}`);
            assert(new URL(page.url()).origin === t.base, `landed on ${page.url()}`);
            assert(/another site/i.test((await page.textContent('body')) ?? ''), 'the page does not say why');
          } finally {
            await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
            await cdp.detach();
          }
        });
        await t.check('embed: an unlisted site\'s script gets no CORS answer, says so, and nothing is stored', async () => {
          await page.goto(`${other.origin}/`);
          await page.getByLabel('Email address').fill(email);
          await page.getByRole('button', { name: /subscribe/i }).click();
          await waitForStatus(page, /could not be sent/i);
          assert(logs.some((line) => /CORS|Access-Control-Allow-Origin/i.test(line)), `no CORS refusal in the console:\n${logs.join('\n')}`);
        });
        await t.check('embed: an unlisted site\'s fetch with a preflight is refused before anything is sent', async () => {
          const outcome = await page.evaluate(async (url) => {
            try {
              const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email: 'embed-unlisted-json+reader@example.com' }) });
              return `answered ${response.status}`;
            } catch (error) {
              return `refused: ${(error as Error).name}`;
            }
          }, `${t.base}/subscribe`);
          assert(outcome === 'refused: TypeError', outcome);
        });
        await t.check('embed: an unlisted site\'s frame stays empty (frame-ancestors)', async () => {
          await page.goto(`${other.origin}/frame`);
          const handle = await page.waitForSelector('iframe[data-newsletter-embed]');
          await page.waitForTimeout(1_000);
          const inner = await handle.contentFrame();
          const forms = inner ? await inner.locator('form').count().catch(() => 0) : 0;
          assert(forms === 0, 'the frame shows the form');
          assert(logs.some((line) => /frame-ancestors/i.test(line)), `no frame-ancestors refusal in the console:\n${logs.join('\n')}`);
        });
        await t.check('embed: nothing from the unlisted site was stored or mailed', async () => {
          await new Promise((r) => setTimeout(r, 1_500));
          assert(!(await stored(t, email)) && !(await stored(t, 'embed-unlisted-json+reader@example.com')), 'a mail went to an address from the unlisted site');
        });
      } finally {
        await page.close();
      }
    }

    // ---- /embed itself -----------------------------------------------------------------------
    {
      const narrow = { name: 'narrow', width: 320, height: 640 } as const;
      const page = await t.newPage(narrow);
      try {
        await t.check('embed: /embed fits 320 px without sideways scrolling', async () => {
          const response = await page.goto(`${t.base}/embed`);
          assert(response?.status() === 200, `GET /embed answered ${response?.status()}`);
          const width = await page.evaluate(() => document.documentElement.scrollWidth);
          assert(width <= 320, `the page is ${width} px wide`);
          assert(await page.getByRole('button', { name: /subscribe/i }).isVisible(), 'no visible button');
        });
        await t.audit(page, '320px embed');
        await t.check('embed: /embed?theme=light stays light on a dark system (the writer\'s site decides)', async () => {
          await page.emulateMedia({ colorScheme: 'dark' });
          await page.goto(`${t.base}/embed?theme=light`);
          const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert(background === 'rgb(255, 255, 255)', `the page is ${background}`);
          await page.emulateMedia({ colorScheme: 'light' });
        });
      } finally {
        await page.close();
      }
    }

    mkdirSync(docsDir, { recursive: true });
    copyFileSync(join(t.outDir, 'embed-script-on-blog.png'), join(docsDir, 'signup-form-on-another-site.png'));
  } finally {
    await stopBlog(blog);
    await stopBlog(other);
  }
}

// ---- with Turnstile ----------------------------------------------------------------------------

const TURNSTILE_HOST = 'https://challenges.cloudflare.com';

/**
 * A stand-in for Turnstile's api.js (nothing leaves this machine): `render` puts a hidden
 * `cf-turnstile-response` with a fresh `pass-…` token in the box, as the widget does; `reset` gives
 * a fresh one (tokens are single use at the fake siteverify too); without `render=explicit` it
 * renders every `.cf-turnstile` by itself, like the real loader.
 */
const FAKE_TURNSTILE_JS = `(function () {
  var n = 0;
  function token() { n += 1; return 'pass-e2e-' + Date.now() + '-' + n; }
  function render(box, options) {
    if (typeof box === 'string') box = document.querySelector(box);
    var input = document.createElement('input');
    input.type = 'hidden';
    input.name = 'cf-turnstile-response';
    input.value = token();
    box.appendChild(input);
    box.setAttribute('data-fake-turnstile', options.sitekey);
    return 'widget-' + n;
  }
  window.turnstile = {
    render: render,
    reset: function () {
      var inputs = document.querySelectorAll('input[name="cf-turnstile-response"]');
      for (var i = 0; i < inputs.length; i++) inputs[i].value = token();
    },
  };
  var src = document.currentScript ? document.currentScript.src : '';
  function renderAll() {
    var boxes = document.querySelectorAll('.cf-turnstile');
    for (var i = 0; i < boxes.length; i++) render(boxes[i], { sitekey: boxes[i].getAttribute('data-sitekey') });
  }
  if (src.indexOf('render=explicit') < 0) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', renderAll);
    else renderAll();
  }
})();`;

/**
 * The captcha in embeds, the other thing that breaks them: its own `npm run dev` with Turnstile
 * keys and TURNSTILE_VERIFY_URL on the fake siteverify (tests/support/node/fake-turnstile.ts), the
 * browser's api.js replaced by the stand-in above. The blog's CSP also allows Turnstile's host, as
 * README says a site with Turnstile must.
 */
export async function signupFormsWithTurnstile(t: Harness, root: string): Promise<void> {
  const desktop = t.viewports.find((v) => v.name === 'desktop')!;
  const fake = await t.check('embed + Turnstile: a fake siteverify answers on loopback', () => startFakeTurnstile());
  const blogPort = await freePort();
  let server: Awaited<ReturnType<typeof startDevServer>> | null = null;
  const stop = () => void server?.killNow();
  process.once('exit', stop);
  let blog: Blog | null = null;
  try {
    server = await t.check('embed + Turnstile: its own npm run dev (Turnstile keys, SIGNUP_ORIGINS) answers', () =>
      startDevServer(root, join(t.outDir, 'dev-server-turnstile.log'), 120_000, [
        '--var', `SIGNUP_ORIGINS:http://127.0.0.1:${blogPort}`,
        '--var', `TURNSTILE_SITE_KEY:${FAKE_TURNSTILE_SITE_KEY}`,
        '--var', `TURNSTILE_SECRET_KEY:${FAKE_TURNSTILE_SECRET}`,
        '--var', `TURNSTILE_VERIFY_URL:${fake.verifyUrl}`,
      ]),
    );
    const base = server.base;
    blog = await startBlog(blogPort, base, ` ${TURNSTILE_HOST}`);
    const outbox = async (to: string) => ((await (await fetch(`${base}/dev/outbox.json`)).json()) as { to: string; subject: string }[]).filter((m) => m.to === to && m.subject.startsWith('Confirm'));
    const waitForConfirmation = async (to: string) => {
      const deadline = Date.now() + 30_000;
      while ((await outbox(to)).length === 0) {
        if (Date.now() > deadline) throw new Error(`no confirmation to ${to}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const page = await t.newPage(desktop);
    await page.route(`${TURNSTILE_HOST}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: FAKE_TURNSTILE_JS }));
    try {
      await t.check('embed + Turnstile: the script renders the widget in the blog\'s form with the service\'s site key', async () => {
        await page.goto(`${blog!.origin}/`);
        const box = page.locator('form[data-newsletter] [data-newsletter-turnstile]');
        await box.waitFor({ state: 'attached', timeout: 10_000 });
        const key = await box.getAttribute('data-fake-turnstile', { timeout: 10_000 });
        assert(key === FAKE_TURNSTILE_SITE_KEY, `the widget has site key ${key}`);
      });
      for (const email of ['embed-turnstile-1+reader@example.com', 'embed-turnstile-2+reader@example.com']) {
        await t.check(`embed + Turnstile: ${email} subscribes through the script with a fresh token, verified by siteverify`, async () => {
          const token = await page.locator('input[name="cf-turnstile-response"]').inputValue();
          await page.getByLabel('Email address').fill(email);
          await page.getByRole('button', { name: /subscribe/i }).click();
          await waitForStatus(page, /check your inbox/i);
          assert(fake.calls.some((call) => call.response === token && call.secret === FAKE_TURNSTILE_SECRET), `siteverify never saw ${token}`);
          await waitForConfirmation(email);
          const next = await page.locator('input[name="cf-turnstile-response"]').inputValue();
          assert(next !== token, 'the widget was not reset after its token was spent');
        });
      }
      await t.check('embed + Turnstile: the frame shows the widget and subscribes', async () => {
        await page.goto(`${blog!.origin}/frame`);
        const frame = (await (await page.waitForSelector('iframe[data-newsletter-embed]')).contentFrame())!;
        await frame.locator('.cf-turnstile[data-fake-turnstile] input[name="cf-turnstile-response"]').waitFor({ state: 'attached', timeout: 10_000 });
        assert((await frame.locator('[data-newsletter-turnstile]').count()) === 0, 'the script added a second widget to /embed');
        await frame.getByLabel('Email address').fill('embed-turnstile-frame+reader@example.com');
        await frame.getByRole('button', { name: /subscribe/i }).click();
        await waitForStatus(frame, /check your inbox/i);
        await waitForConfirmation('embed-turnstile-frame+reader@example.com');
      });
      await t.check('embed + Turnstile: a plain form without the script comes back with subscribe=invalid, nothing sent', async () => {
        await page.goto(`${blog!.origin}/plain`);
        await page.getByLabel('Email address').fill('embed-turnstile-plain+reader@example.com');
        await Promise.all([page.waitForURL(/subscribe=/), page.getByRole('button', { name: /subscribe/i }).click()]);
        assert(new URL(page.url()).searchParams.get('subscribe') === 'invalid', `came back to ${page.url()}`);
        await new Promise((r) => setTimeout(r, 1_000));
        assert((await outbox('embed-turnstile-plain+reader@example.com')).length === 0, 'a confirmation went out without Turnstile');
      });
      await t.check('embed + Turnstile: no console errors or CSP refusals', () => {
        const problems = page.problems.filter((p) => !p.startsWith(`request off this machine: ${TURNSTILE_HOST}/`));
        assert(problems.length === 0, problems.join('\n'));
      });
    } finally {
      await page.close();
    }
  } finally {
    if (blog) await stopBlog(blog);
    await server?.stop();
    process.removeListener('exit', stop);
    await fake.close();
  }
}
