// Sign-up forms on the writer's own sites (issue 20), through the real Worker, D1 and queue:
// SIGNUP_ORIGINS as config reads it; POST /subscribe from allowed origins and from everything that
// merely looks like one; return_to; CORS and the preflight; the headers of /embed and /embed.js.
// The Worker runs here with SIGNUP_ORIGINS set on its env (the suite's own env has none, and
// tests/hostile.test.ts proves that then no other site gets anything).
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../src/app';
import { ConfigError, type Env, readConfig, readSignupOrigins } from '../src/config';
import { cookieHeader, signedInBrowser } from './support/dashboard';
import { BASE, mailsTo, subscriberStatus, waitForMail } from './support/helpers';

const BLOG = 'https://blog.example.com';
const SHOP = 'https://shop.example.org:8443';
const ORIGINS = `${BLOG}, ${SHOP}`;
const FORM = 'application/x-www-form-urlencoded';
const TURNSTILE_SECRET = 'fake-turnstile-secret-0123456789abcdef'; // FAKE_TURNSTILE_SECRET in fake-turnstile.ts
const TURNSTILE_SITE_KEY = '1x00000000000000000000AA';

let ipCounter = 0;

/** A request through the Worker with extra vars on its env (a fresh env object: a fresh config). */
async function send(path: string, init: RequestInit & { vars?: Partial<Env>; ip?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', init.ip ?? `203.0.113.${++ipCounter % 250}`);
  const environment = { ...env, SIGNUP_ORIGINS: ORIGINS, ...init.vars } as Env;
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(new URL(path, BASE), { ...init, headers }), environment, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A plain form post, as a browser sends one from a page on `origin` (null: no Origin header). */
function formFrom(origin: string | null, fields: Record<string, string>, extra: Record<string, string> = {}, init: { vars?: Partial<Env>; ip?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': FORM, ...extra };
  if (origin !== null) headers.origin = origin;
  return send('/subscribe', { ...init, method: 'POST', body: new URLSearchParams(fields).toString(), headers, redirect: 'manual' });
}

async function subscriberRow(email: string) {
  return env.DB.prepare('SELECT status FROM subscribers WHERE email = ?1').bind(email).first();
}

describe('SIGNUP_ORIGINS in config', () => {
  const own = 'https://news.example.com';
  it('keeps exact origins as a browser writes them, drops duplicates and the service itself', () => {
    expect(readSignupOrigins(' HTTPS://Blog.Example.com:443/ ,https://blog.example.com\nhttps://shop.example.org:8443, https://news.example.com', false, own)).toEqual([
      'https://blog.example.com',
      'https://shop.example.org:8443',
    ]);
    expect(readSignupOrigins('https://bücher.example', false, own)).toEqual(['https://xn--bcher-kva.example']);
    expect(readSignupOrigins(undefined, false, own)).toEqual([]);
    expect(readSignupOrigins('  ', false, own)).toEqual([]);
    expect(readSignupOrigins('http://127.0.0.1:4000', true, 'http://localhost:8787')).toEqual(['http://127.0.0.1:4000']);
  });

  it('refuses anything but an origin, naming the bad entry and the fix', () => {
    const refused: [string, RegExp][] = [
      ['https://*.example.com', /"https:\/\/\*\.example\.com" has a wildcard/],
      ['*', /"\*" has a wildcard/],
      ['null', /"null" is not an origin/],
      ['blog.example.com', /"blog\.example\.com" is not an origin/],
      ['http://blog.example.com', /"http:\/\/blog\.example\.com" must start with https:\/\/ outside local dev/],
      ['https://blog.example.com/newsletter', /has more than an origin.*use https:\/\/blog\.example\.com/],
      ['https://blog.example.com?x=1', /has more than an origin/],
      ['https://blog.example.com#top', /has more than an origin/],
      ['https://me:pw@blog.example.com', /has a user name or password/],
      ['ftp://blog.example.com', /is not an http\(s\) origin/],
      ['javascript:alert(1)', /is not an http\(s\) origin/],
    ];
    for (const [value, message] of refused) {
      expect(() => readSignupOrigins(`https://ok.example.com,${value}`, false, own), value).toThrow(ConfigError);
      expect(() => readSignupOrigins(`https://ok.example.com,${value}`, false, own), value).toThrow(message);
      expect(() => readSignupOrigins(value, false, own), value).toThrow(/SIGNUP_ORIGINS = "https:\/\/blog\.example\.com,https:\/\/www\.example\.com"/);
    }
    const many = Array.from({ length: 21 }, (_, i) => `https://site${i}.example.com`).join(',');
    expect(() => readSignupOrigins(many, false, own)).toThrow(/at most 20/);
  });

  it('is read once with the rest of the configuration, and a bad one stops the Worker with a 500 that says so', async () => {
    expect(readConfig({ ...env, SIGNUP_ORIGINS: ORIGINS } as Env).signupOrigins).toEqual([BLOG, SHOP]);
    expect(readConfig({ ...env } as Env).signupOrigins).toEqual([]);
    const response = await send('/', { vars: { SIGNUP_ORIGINS: 'https://*.example.com' }, headers: { accept: 'application/json' } });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: { code: 'not_configured' } });
  });
});

describe('POST /subscribe from another site', () => {
  it('takes a plain form post from an allowed origin: the hosted "check your inbox" page, one confirmation', async () => {
    const email = 'plain-blog@embed.example';
    const response = await formFrom(BLOG, { email, website: '' }, { 'sec-fetch-site': 'cross-site' });
    expect(response.status).toBe(202);
    expect(await response.text()).toMatch(/Check your inbox/);
    expect(await subscriberStatus(email)).toBe('pending');
    await waitForMail(email, 'Confirm');
    const shop = 'plain-shop@embed.example';
    expect((await formFrom(SHOP, { email: shop })).status).toBe(202);
    expect(await subscriberStatus(shop)).toBe('pending');
  });

  const refused: [string, string | null, Record<string, string>][] = [
    ['an origin not in the list', 'https://evil.example', {}],
    ['a look-alike host ending in another domain', 'https://blog.example.com.evil.net', {}],
    ['a look-alike host before it', 'https://evilblog.example.com', {}],
    ['a subdomain of an allowed host', 'https://www.blog.example.com', {}],
    ['the allowed host over http', 'http://blog.example.com', {}],
    ['the allowed host on another port', 'https://blog.example.com:8443', {}],
    ['the allowed host without its port', 'https://shop.example.org', {}],
    ['the allowed origin with a trailing slash', 'https://blog.example.com/', {}],
    ['the allowed origin in upper case (no browser sends that)', 'HTTPS://BLOG.EXAMPLE.COM', {}],
    ['two origins in one header', `${BLOG} https://evil.example`, {}],
    ['Origin null (a sandboxed frame, a file: page)', 'null', {}],
    ['no Origin, Sec-Fetch-Site cross-site', null, { 'sec-fetch-site': 'cross-site' }],
    ['an allowed origin claimed in Referer only', null, { referer: `${BLOG}/post`, 'sec-fetch-site': 'cross-site' }],
  ];
  for (const [label, origin, headers] of refused) {
    it(`refuses ${label}: 403, nothing stored, no mail, no CORS`, async () => {
      const email = `refused-${label.replace(/[^a-z]+/g, '-')}@embed.example`;
      for (const accept of ['application/json', 'text/html']) {
        const response = await formFrom(origin, { email, return_to: `${BLOG}/thanks` }, { ...headers, accept });
        expect(response.status, accept).toBe(403);
        expect(response.headers.get('location'), accept).toBeNull();
        expect(response.headers.get('access-control-allow-origin'), accept).toBeNull();
        if (accept === 'application/json') expect(await response.json()).toMatchObject({ error: { code: 'cross_site_request' } });
        else expect(await response.text()).toMatch(/posted from another site/);
      }
      expect(await subscriberRow(email)).toBeNull();
      expect(await mailsTo(email)).toEqual([]);
    });
  }

  it('refuses every origin when SIGNUP_ORIGINS is empty', async () => {
    const response = await formFrom(BLOG, { email: 'no-list@embed.example' }, { accept: 'application/json' }, { vars: { SIGNUP_ORIGINS: '' } });
    expect(response.status).toBe(403);
    expect(await subscriberRow('no-list@embed.example')).toBeNull();
  });

  it('keeps every other route strict for the allowed origins too', async () => {
    for (const [path, fields] of [
      ['/confirm?token=x', {}],
      ['/preferences?token=x', { action: 'unsubscribe' }],
      ['/admin/login', { token: 'x' }],
      ['/admin/logout', {}],
    ] as const) {
      const response = await send(path, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'content-type': FORM, origin: BLOG, accept: 'application/json' } });
      expect(response.status, path).toBe(403);
      expect(await response.json(), path).toMatchObject({ error: { code: 'cross_site_request' } });
      expect(response.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    for (const path of ['/', '/archive', '/embed', '/embed.js', '/preferences?token=x', '/health']) {
      const response = await send(path, { headers: { origin: BLOG } });
      expect(response.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const preflight = await send('/preferences?token=x', { method: 'OPTIONS', headers: { origin: BLOG, 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.status).toBeGreaterThanOrEqual(400);
  });
});

describe('return_to', () => {
  it('sends a plain form back to the page on the allowed site with subscribe=pending, keeping its query and fragment', async () => {
    const email = 'returned@embed.example';
    const response = await formFrom(BLOG, { email, return_to: `${BLOG}/join?ref=footer#signup` });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${BLOG}/join?ref=footer&subscribe=pending#signup`);
    expect(await subscriberStatus(email)).toBe('pending');
    // A result already in the address is replaced, not repeated.
    const again = await formFrom(SHOP, { email: 'returned-2@embed.example', return_to: `${SHOP}/?subscribe=invalid` });
    expect(again.headers.get('location')).toBe(`${SHOP}/?subscribe=pending`);
  });

  it('says subscribe=invalid for a bad address and stores nothing', async () => {
    const response = await formFrom(BLOG, { email: 'not-an-address', return_to: `${BLOG}/` });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${BLOG}/?subscribe=invalid`);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM subscribers WHERE email LIKE 'not-an-address%'").first('n')).toBe(0);
  });

  it('says subscribe=limited past the per-client limit (10 a minute)', async () => {
    const ip = '192.0.2.77';
    const locations: string[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await formFrom(BLOG, { email: `flood-${i}@embed.example`, return_to: `${BLOG}/` }, {}, { ip });
      locations.push(response.headers.get('location') ?? String(response.status));
    }
    expect(locations.slice(0, 10)).toEqual(Array(10).fill(`${BLOG}/?subscribe=pending`));
    expect(locations[10]).toBe(`${BLOG}/?subscribe=limited`);
    expect(await subscriberRow('flood-10@embed.example')).toBeNull();
  });

  it('gives the honeypot the normal answer and keeps nothing', async () => {
    const response = await formFrom(BLOG, { email: 'bot@embed.example', website: 'https://spam.example', return_to: `${BLOG}/` });
    expect(response.headers.get('location')).toBe(`${BLOG}/?subscribe=pending`);
    expect(await subscriberRow('bot@embed.example')).toBeNull();
  });

  it('comes back to the service itself (the /embed page posts with its own address)', async () => {
    const response = await formFrom(BASE, { email: 'framed@embed.example', return_to: `${BASE}/embed` }, { 'sec-fetch-site': 'same-origin' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${BASE}/embed?subscribe=pending`);
  });

  const ignored: [string, string][] = [
    ['another origin', 'https://evil.example/thanks'],
    ['a look-alike host', 'https://blog.example.com.evil.net/thanks'],
    ['an allowed host on another port', 'https://blog.example.com:444/'],
    ['an allowed host over http', 'http://blog.example.com/'],
    ['javascript:', 'javascript:alert(document.domain)'],
    ['JavaScript: with spaces', ' JavaScript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['protocol-relative', '//evil.example/thanks'],
    ['backslash protocol-relative', '/\\evil.example/thanks'],
    ['a relative path', '/thanks'],
    ['https:evil.example (no slashes)', 'https:evil.example'],
    ['a user name before the allowed host', `https://${'blog.example.com'}@evil.example/`],
    ['user info on the allowed host', 'https://me@blog.example.com/'],
    ['far too long', `${BLOG}/${'a'.repeat(3000)}`],
  ];
  for (const [label, value] of ignored) {
    it(`ignores a return_to that is ${label}: the hosted page answers, no redirect`, async () => {
      const email = `ignored-${label.replace(/[^a-z]+/gi, '-').toLowerCase()}@embed.example`;
      const response = await formFrom(BLOG, { email, return_to: value });
      expect(response.status).toBe(202);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toMatch(/Check your inbox/);
      expect(await subscriberStatus(email)).toBe('pending');
    });
  }

  it('is not used when the client asks for JSON (the script, a fetch)', async () => {
    const response = await formFrom(BLOG, { email: 'json-return@embed.example', return_to: `${BLOG}/` }, { accept: 'application/json' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'pending' });
  });

  it('says subscribe=invalid when Turnstile is on and the token is missing or fails', async () => {
    const vars = { TURNSTILE_SITE_KEY, TURNSTILE_SECRET_KEY: TURNSTILE_SECRET, TURNSTILE_VERIFY_URL: `${env.FAKE_TURNSTILE_URL}/turnstile/v0/siteverify` };
    for (const token of [undefined, 'not-a-token']) {
      const fields: Record<string, string> = { email: 'turnstile-embed@embed.example', return_to: `${BLOG}/` };
      if (token) fields['cf-turnstile-response'] = token;
      const response = await formFrom(BLOG, fields, {}, { vars });
      expect(response.headers.get('location'), String(token)).toBe(`${BLOG}/?subscribe=invalid`);
    }
    expect(await subscriberRow('turnstile-embed@embed.example')).toBeNull();
    const ok = await formFrom(BLOG, { email: 'turnstile-embed@embed.example', return_to: `${BLOG}/`, 'cf-turnstile-response': `pass-embed-${Date.now()}` }, {}, { vars });
    expect(ok.headers.get('location')).toBe(`${BLOG}/?subscribe=pending`);
  });
});

describe('everything the own form has, unchanged', () => {
  it('one confirmation per mailbox per window, the same answer for a confirmed address, no form text in the email', async () => {
    const email = 'window@embed.example';
    for (let i = 0; i < 3; i++) {
      const response = await formFrom(BLOG, { email, name: 'Visit https://spam.example now', return_to: `${BLOG}/` });
      expect(response.headers.get('location')).toBe(`${BLOG}/?subscribe=pending`);
    }
    const [mail] = await waitForMail(email, 'Confirm');
    await new Promise((r) => setTimeout(r, 300));
    expect((await mailsTo(email)).filter((m) => m.subject.startsWith('Confirm'))).toHaveLength(1);
    expect(mail.html + mail.text).not.toContain('spam.example');
    await env.DB.prepare("UPDATE subscribers SET status = 'confirmed', confirmed_at = ?2 WHERE email = ?1").bind(email, Date.now()).run();
    const confirmed = await formFrom(BLOG, { email }, { accept: 'application/json' });
    expect(confirmed.status).toBe(202);
    expect(await confirmed.json()).toEqual({ status: 'pending' });
  });

  it('answers a bad address with the reason (JSON) and a 413 above 64 KB', async () => {
    const bad = await formFrom(BLOG, { email: 'nope' }, { accept: 'application/json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_email' } });
    expect(bad.headers.get('access-control-allow-origin')).toBe(BLOG);
    const big = await formFrom(BLOG, { email: 'big@embed.example', website: 'x'.repeat(70 * 1024) }, { accept: 'application/json' });
    expect(big.status).toBe(413);
  });
});

describe('CORS on POST /subscribe', () => {
  it('answers a fetch from an allowed origin with its origin, Vary: Origin and no credentials', async () => {
    const response = await send('/subscribe', {
      method: 'POST',
      body: JSON.stringify({ email: 'fetch@embed.example' }),
      headers: { 'content-type': 'application/json', accept: 'application/json', origin: SHOP },
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'pending' });
    expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets the script read a 429 too, so it can say why', async () => {
    const ip = '192.0.2.88';
    let last: Response | null = null;
    for (let i = 0; i < 11; i++) last = await formFrom(BLOG, { email: `cors-flood-${i}@embed.example` }, { accept: 'application/json' }, { ip });
    expect(last!.status).toBe(429);
    expect(last!.headers.get('access-control-allow-origin')).toBe(BLOG);
    expect(last!.headers.get('retry-after')).toBe('60');
  });

  it('answers the preflight of an allowed origin', async () => {
    const response = await send('/subscribe', {
      method: 'OPTIONS',
      headers: { origin: BLOG, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(BLOG);
    expect(response.headers.get('access-control-allow-methods')).toBe('POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  for (const origin of ['https://evil.example', 'https://blog.example.com.evil.net', 'null', 'http://blog.example.com', '']) {
    it(`refuses the preflight of ${JSON.stringify(origin)}: 403, no CORS headers`, async () => {
      const response = await send('/subscribe', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', accept: 'application/json' } });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'cross_site_request' } });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
    });
  }

  it('answers an OPTIONS without Origin (not a preflight) with 405 and Allow, as before', async () => {
    const response = await send('/subscribe', { method: 'OPTIONS', headers: { accept: 'application/json' } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toContain('POST');
  });
});

describe('/embed', () => {
  it('may be framed by the service and the allowed origins only, with every other protection of a page', async () => {
    const response = await send('/embed');
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors 'self' ${BLOG} ${SHOP};`);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(response.headers.get('x-frame-options')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const html = await response.text();
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(html).toContain(`<script src="/embed.js" nonce="${nonce}" async="">`);
    const form = /<form[^>]*>/.exec(html)?.[0] ?? '';
    for (const attribute of ['data-newsletter=""', 'action="/subscribe"', 'method="post"']) expect(form).toContain(attribute);
    expect(html).toContain(`<input type="hidden" name="return_to" value="${BASE}/embed"/>`);
    expect(html).toMatch(/<div class="visually-hidden" aria-hidden="true"><label for="embed-website">Leave this field empty<\/label><input id="embed-website" type="text" tabindex="-1"[^>]*name="website"/);
    expect(html).toMatch(/role="status" aria-live="polite" data-newsletter-status=""><\/p>/);
    expect(html).toContain(`data-newsletter-frame="${BASE} ${BLOG} ${SHOP}"`);
    expect(html).not.toContain('cf-turnstile');
  });

  it('is framed by nobody else when SIGNUP_ORIGINS is empty, and every other page keeps frame-ancestors none and X-Frame-Options DENY', async () => {
    const alone = await send('/embed', { vars: { SIGNUP_ORIGINS: '' } });
    expect(alone.headers.get('content-security-policy')).toContain("frame-ancestors 'self';");
    for (const path of ['/', '/embed.js', '/embed/', '/embeds', '/subscribe', '/archive', '/nowhere']) {
      const response = await send(path);
      expect(response.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it('says how a plain post went, from the subscribe= the redirect added', async () => {
    expect(await (await send('/embed?subscribe=pending')).text()).toMatch(/data-newsletter-status="">Almost done: check your inbox/);
    expect(await (await send('/embed?subscribe=limited')).text()).toMatch(/form-status--error"[^>]*>Too many sign-ups/);
    expect(await (await send('/embed?subscribe=<script>')).text()).toMatch(/data-newsletter-status=""><\/p>/);
  });

  it('can be pinned to the light or dark palette by the writer (?theme=), and comes back in it', async () => {
    const light = await (await send('/embed?theme=light')).text();
    expect(light).toContain('<html lang="en" class="theme-light">');
    expect(light).toContain('<meta name="color-scheme" content="light"/>');
    expect(light).toContain(`name="return_to" value="${BASE}/embed?theme=light"`);
    expect(await (await send('/embed?theme=dark')).text()).toContain('class="theme-dark"');
    const auto = await (await send('/embed?theme=<b>')).text();
    expect(auto).toContain('<html lang="en">');
    expect(auto).toContain('content="light dark"');
    const back = await formFrom(BASE, { email: 'themed@embed.example', return_to: `${BASE}/embed?theme=light` });
    expect(back.headers.get('location')).toBe(`${BASE}/embed?theme=light&subscribe=pending`);
    const css = await (await send('/styles.css')).text();
    expect(css).toMatch(/:root\.theme-light \{ color-scheme: light;\s+--bg: #fbfaf7;/);
    expect(css).toMatch(/:root\.theme-dark \{ color-scheme: dark;\s+--bg: #131416;/);
  });

  it('shows Turnstile when it is configured, its loader under the nonce', async () => {
    const response = await send('/embed', { vars: { TURNSTILE_SITE_KEY, TURNSTILE_SECRET_KEY: TURNSTILE_SECRET } });
    const html = await response.text();
    const nonce = /'nonce-([^']+)'/.exec(response.headers.get('content-security-policy') ?? '')?.[1];
    expect(html).toContain(`class="cf-turnstile" data-sitekey="${TURNSTILE_SITE_KEY}"`);
    expect(html).toContain(`nonce="${nonce}"`);
  });
});

describe('/embed.js', () => {
  it('is a small, cacheable script that another site may load, filled in for this service', async () => {
    const response = await send('/embed.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const body = await response.text();
    expect(new TextEncoder().encode(body).length).toBeLessThan(10 * 1024);
    expect(body).toContain(`"origin":"${BASE}"`);
    expect(body).toContain('"turnstileSiteKey":null');
    expect(body).not.toMatch(/\beval\(|new Function|innerHTML|setAttribute\('style'|import\(/);

    const again = await send('/embed.js', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');

    const withTurnstile = await (await send('/embed.js', { vars: { TURNSTILE_SITE_KEY, TURNSTILE_SECRET_KEY: TURNSTILE_SECRET } })).text();
    expect(withTurnstile).toContain(`"turnstileSiteKey":"${TURNSTILE_SITE_KEY}"`);
    expect(withTurnstile).toContain('https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit');
  });
});

describe('/admin/signup-form', () => {
  it('is for signed-in operators only', async () => {
    const anonymous = await send('/admin/signup-form', { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/admin?next=%2Fadmin%2Fsignup-form');
  });

  it('shows the three snippets filled in for this service and its origins, and a live preview it may frame', async () => {
    const b = await signedInBrowser();
    const response = await send('/admin/signup-form', { headers: { cookie: cookieHeader(b.jar) } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-src 'self' https://challenges.cloudflare.com;");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&');
    const snippet = (id: string) => unescape(new RegExp(`<textarea id="${id}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html)?.[1] ?? '');
    const form = snippet('snippet-form');
    expect(form).toContain(`<form method="post" action="${BASE}/subscribe" data-newsletter>`);
    expect(form).toContain(`<input type="hidden" name="return_to" value="${BLOG}/">`);
    expect(form).toContain('name="website" tabindex="-1"');
    expect(snippet('snippet-script')).toContain(`<script src="${BASE}/embed.js" async></script>`);
    expect(snippet('snippet-iframe')).toContain(`<iframe src="${BASE}/embed" title="Subscribe to The Weekly Letter" data-newsletter-embed`);
    expect(html).toContain(`<code>${BLOG}</code>`);
    expect(html).toContain(`<code>${SHOP}</code>`);
    expect(html).toMatch(/<iframe class="signup-preview" src="\/embed"/);
    expect(html).not.toContain('No other site may carry the form yet');
    expect(html).toMatch(/aria-current="page"[^>]*>Sign-up form|href="\/admin\/signup-form" aria-current="page"/);
  });

  it('says what to add to SIGNUP_ORIGINS when the list is empty', async () => {
    const b = await signedInBrowser();
    const response = await send('/admin/signup-form', { headers: { cookie: cookieHeader(b.jar) }, vars: { SIGNUP_ORIGINS: '' } });
    const html = await response.text();
    expect(html).toContain('No other site may carry the form yet');
    expect(html).toContain('SIGNUP_ORIGINS = &quot;http://localhost:4000&quot;');
    expect(html).not.toContain('name=&quot;return_to&quot;');
    const json = await send('/admin/signup-form', { headers: { cookie: cookieHeader(b.jar), accept: 'application/json' }, vars: { SIGNUP_ORIGINS: '' } });
    expect(await json.json()).toMatchObject({ origins: [], snippets: { form: expect.stringContaining('/subscribe'), script: expect.any(String), iframe: expect.any(String) } });
  });
});
