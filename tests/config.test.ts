// The configuration rules that keep secrets safe: readConfig as a plain function of the env, and the
// request-time guard that refuses the dev token key on a Worker answering under a public name.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../src/app';
import { ConfigError, DEV_TOKEN_SECRET, type Env, isLoopbackHost, PLACEHOLDER_POSTAL_ADDRESS, productionProblems, readConfig } from '../src/config';
import { signUnsubscribeToken, verifyToken } from '../src/subscribers/tokens';

const PUBLIC = 'https://news.example.com';
const GOOD_SECRET = 'q8Vx2Lr0-Zp4Ty7Nc1Wb5Hk9Jm3Fd6Gs_'; // 34 random-looking bytes
const base = { DB: env.DB, SEND_QUEUE: env.SEND_QUEUE } as Env;
const REAL_FROM = 'The Weekly Letter <news@letter.example.org.uk>';
// A public site needs a Resend key (or an explicit outbox), a real FROM_EMAIL and a postal address; these tests are about the other rules.
const PUBLIC_SITE = { RESEND_API_KEY: 're_test', RESEND_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', FROM_EMAIL: REAL_FROM, POSTAL_ADDRESS: 'Example Ltd, 1 Main Street, Springfield, USA' };
const read = (vars: Partial<Env>) => readConfig({ ...base, ...(vars.PUBLIC_URL?.startsWith('https:') ? PUBLIC_SITE : {}), ...vars });
const refuses = (vars: Partial<Env>, message: RegExp) => {
  expect(() => read(vars)).toThrow(ConfigError);
  expect(() => read(vars)).toThrow(message);
};

describe('TOKEN_SECRET rotation', () => {
  it('keeps links signed with a previous secret working, and refuses weak previous secrets', async () => {
    const OLD = 'old-Zp4Ty7Nc1Wb5Hk9Jm3Fd6Gs_q8Vx2Lr0';
    const config = read({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET, TOKEN_SECRET_PREVIOUS: ` ${OLD} ,` });
    expect(config.tokenSecrets).toEqual([GOOD_SECRET, OLD]);
    const oldLink = await signUnsubscribeToken(OLD, 7);
    expect(await verifyToken(config.tokenSecrets, 'unsubscribe', oldLink, Date.now())).toMatchObject({ ok: true, subscriberId: 7 });
    expect(await verifyToken(read({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET }).tokenSecrets, 'unsubscribe', oldLink, Date.now())).toMatchObject({ ok: false });
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET, TOKEN_SECRET_PREVIOUS: DEV_TOKEN_SECRET }, /TOKEN_SECRET_PREVIOUS/);
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET, TOKEN_SECRET_PREVIOUS: 'short' }, /TOKEN_SECRET_PREVIOUS/);
  });
});

describe('TOKEN_SECRET', () => {
  it('falls back to the public dev key only while PUBLIC_URL is this machine', () => {
    for (const url of [undefined, 'http://localhost:8787', 'http://127.0.0.1:8799', 'http://[::1]:8787', 'http://news.localhost']) {
      const config = read({ PUBLIC_URL: url });
      expect(config.tokenSecret, String(url)).toBe(DEV_TOKEN_SECRET);
      expect(config.usesDevTokenSecret).toBe(true);
      expect(config.isLocalDev).toBe(true);
    }
  });

  it('is required outside local dev, with a message that says how to set it', () => {
    refuses({ PUBLIC_URL: PUBLIC }, /TOKEN_SECRET is not set.*wrangler secret put TOKEN_SECRET/);
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: '   ' }, /TOKEN_SECRET is not set/);
  });

  it('refuses the dev key outside local dev, even when set explicitly', () => {
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: DEV_TOKEN_SECRET }, /public dev-only key/);
  });

  it('needs at least 32 bytes outside local dev (bytes, not characters)', () => {
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET.slice(0, 31) }, /at least 32 bytes/);
    expect(read({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET.slice(0, 32) }).tokenSecret).toBe(GOOD_SECRET.slice(0, 32));
    // 11 characters of 3 bytes each: 33 bytes.
    expect(read({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: '一二三四五六七八九十百' }).tokenSecret).toBe('一二三四五六七八九十百');
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: '一二三四五六七八九十' }, /at least 32 bytes/); // 30 bytes
  });

  it('refuses an obvious placeholder', () => {
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: 'a'.repeat(64) }, /placeholder/);
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: 'changeme'.repeat(5) }, /placeholder/);
  });

  it('takes a good secret as given (trimmed), and reports that it is not the dev key', () => {
    const config = read({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: ` ${GOOD_SECRET}\n` });
    expect(config.tokenSecret).toBe(GOOD_SECRET);
    expect(config.usesDevTokenSecret).toBe(false);
    expect(config.isLocalDev).toBe(false);
  });

  it('does not mistake look-alike hosts for this machine', () => {
    for (const url of ['https://127.example.com', 'https://localhost.example.com', 'https://example.localhost.com', 'http://0.0.0.0:8787', 'http://10.0.0.5:8787']) {
      refuses({ PUBLIC_URL: url }, /TOKEN_SECRET is not set/);
    }
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('127.evil.com')).toBe(false);
  });
});

describe('the request-time guard', () => {
  const fetchAt = (url: string, vars: Partial<Env> = {}) =>
    app.fetch(new Request(url, { headers: { accept: 'application/json', 'cf-connecting-ip': '192.0.2.1' } }), { ...env, ...vars });

  it('never shows the outbox on a public site, even in outbox mode (it lists addresses and live links)', async () => {
    const vars = { PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET, EMAIL_TRANSPORT: 'outbox', POSTAL_ADDRESS: PUBLIC_SITE.POSTAL_ADDRESS, FROM_EMAIL: REAL_FROM };
    for (const path of ['dev/outbox.json', 'dev/outbox']) expect((await fetchAt(`https://news.example.com/${path}`, vars)).status).toBe(404);
  });

  it('never shows the outbox to a request under a public host name, even with a local PUBLIC_URL (deployed with plain `wrangler deploy`)', async () => {
    // A real TOKEN_SECRET: public names are refused by the local-config guard (below) whatever the
    // secrets; names on the developer's own network reach the outbox's own check.
    const vars = { TOKEN_SECRET: GOOD_SECRET };
    for (const url of ['https://newsletter.someone.workers.dev', 'https://news.example.com']) {
      for (const path of ['/dev/outbox.json', '/dev/outbox']) expect((await fetchAt(`${url}${path}`, vars)).status, `${url}${path}`).toBe(500);
    }
    for (const url of ['http://192.168.1.5:8787', 'http://host.docker.internal:8787']) {
      for (const path of ['/dev/outbox.json', '/dev/outbox']) {
        const response = await fetchAt(`${url}${path}`, vars);
        expect(response.status, `${url}${path}`).toBe(404);
        expect(await response.json()).toMatchObject({ error: { code: 'not_found', message: expect.stringMatching(/opened at localhost/) } });
      }
    }
    for (const url of ['http://localhost:8787', 'http://127.0.0.1:8799', 'http://[::1]:8787']) {
      const response = await fetchAt(`${url}/dev/outbox.json`, vars);
      expect(response.status, url).toBe(200);
      expect(Array.isArray(await response.json())).toBe(true);
    }
  });

  it('refuses to serve with the dev key under a public host name (wrangler.toml PUBLIC_URL left in place), but /health answers', async () => {
    const response = await fetchAt('https://news.example.com/');
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: { code: 'not_configured', message: expect.stringMatching(/request [0-9a-f-]{36}/) } });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // Forged links are what the dev key would allow: the token routes are refused too.
    expect((await fetchAt('https://news.example.com/unsubscribe?token=u.1.x')).status).toBe(500);
    expect((await fetchAt('https://news.example.com/health')).status).toBe(200);
  });

  it('refuses a public host name while configured as local dev, whatever secrets are set (issue 21: one variable is not trusted alone)', async () => {
    const secrets = { TOKEN_SECRET: GOOD_SECRET, ADMIN_TOKEN: 'q8Vx2Lr0-Zp4Ty7Nc1Wb5Hk9Jm3Fd6Gs_x', RESEND_API_KEY: 're_test' };
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.join(' '));
    try {
      for (const path of ['/', '/subscribe', '/admin', '/api/subscribers', '/preferences?token=p.1.x']) {
        const response = await fetchAt(`https://newsletter.someone.workers.dev${path}`, secrets);
        expect(response.status, path).toBe(500);
        expect(await response.json()).toMatchObject({ error: { code: 'not_configured' } });
      }
    } finally {
      console.error = original;
    }
    // The log names the problem and the fix.
    expect(logged.join('\n')).toMatch(/PUBLIC_URL \(http:\/\/localhost:8787\) says local development, but this Worker answers at newsletter\.someone\.workers\.dev: set PUBLIC_URL/);
    // Configured for that host, it serves.
    expect((await fetchAt('https://news.example.com/', { ...PUBLIC_SITE, PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET })).status).toBe(200);
  });

  it('serves this machine, and private names on its network, with the dev key', async () => {
    for (const url of ['http://localhost:8787/', 'http://127.0.0.1:8787/', 'http://[::1]:8787/', 'http://192.168.1.5:8787/', 'http://app:8787/', 'http://host.docker.internal:8787/', 'http://devbox.lan:8787/']) {
      expect((await fetchAt(url)).status, url).toBe(200);
    }
    for (const url of ['https://newsletter.someone.workers.dev/', 'https://news.example.com/', 'https://127.example.com/']) {
      expect((await fetchAt(url)).status, url).toBe(500);
    }
  });

  it('answers 500 not_configured, never a dev default, on a deployed config without TOKEN_SECRET', async () => {
    const response = await fetchAt('https://news.example.com/', { PUBLIC_URL: PUBLIC });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: { code: 'not_configured' } });
  });
});

describe('other configuration', () => {
  it('refuses a PUBLIC_URL that is not an absolute http(s) URL', () => {
    refuses({ PUBLIC_URL: 'news.example.com' }, /absolute URL/);
    refuses({ PUBLIC_URL: 'javascript:alert(1)' }, /https:\/\/ or http:\/\//);
    refuses({ PUBLIC_URL: 'ftp://news.example.com' }, /https:\/\/ or http:\/\//);
  });

  it('keeps FROM_EMAIL and REPLY_TO on one line (no header injection from configuration)', () => {
    refuses({ FROM_EMAIL: 'News <n@example.com>\r\nBcc: all@example.com' }, /FROM_EMAIL must be on one line/);
    refuses({ REPLY_TO: 'r@example.com\nBcc: all@example.com' }, /REPLY_TO must be on one line/);
  });

  it('needs RESEND_API_KEY for the resend transport, and knows no other transport', () => {
    refuses({ EMAIL_TRANSPORT: 'resend' }, /RESEND_API_KEY/);
    expect(read({}).transport).toBe('outbox'); // local dev: the outbox
    expect(read({ RESEND_API_KEY: 're_live' }).transport).toBe('resend');
    refuses({ EMAIL_TRANSPORT: 'smtp' }, /"outbox" or "resend"/);
  });

  it('never quietly falls back to the outbox on a public site', () => {
    refuses({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET, RESEND_API_KEY: '' }, /RESEND_API_KEY is not set.*EMAIL_TRANSPORT=outbox/);
    const staging = read({ PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET, RESEND_API_KEY: '', EMAIL_TRANSPORT: 'outbox' });
    expect(staging).toMatchObject({ transport: 'outbox', isLocalDev: false });
  });

  it('turns Turnstile on only with both keys, with Cloudflare siteverify unless TURNSTILE_VERIFY_URL says otherwise', () => {
    expect(read({ TURNSTILE_SITE_KEY: 'site' }).turnstile).toBeNull();
    expect(read({ TURNSTILE_SECRET_KEY: 'secret' }).turnstile).toBeNull();
    expect(read({ TURNSTILE_SITE_KEY: 'site', TURNSTILE_SECRET_KEY: 'secret' }).turnstile).toEqual({
      siteKey: 'site',
      secretKey: 'secret',
      verifyUrl: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
    });
    expect(read({ TURNSTILE_SITE_KEY: 'site', TURNSTILE_SECRET_KEY: 'secret', TURNSTILE_VERIFY_URL: 'http://127.0.0.1:1/verify' }).turnstile?.verifyUrl).toBe('http://127.0.0.1:1/verify');
  });
});

describe('POSTAL_ADDRESS and REPLY_TO', () => {
  const site = { PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET };

  it('requires POSTAL_ADDRESS outside local dev, with a message that says where to set it', () => {
    refuses({ ...site, POSTAL_ADDRESS: '' }, /POSTAL_ADDRESS is not set.*\[vars\] of wrangler\.toml/);
    refuses({ ...site, POSTAL_ADDRESS: ' \n ' }, /POSTAL_ADDRESS is not set/);
    refuses({ ...site, POSTAL_ADDRESS: 'x'.repeat(301) }, /POSTAL_ADDRESS is longer than 300/);
  });

  it('uses a visible placeholder in local dev, and joins the lines of a multi-line address', () => {
    expect(read({}).postalAddress).toBe(PLACEHOLDER_POSTAL_ADDRESS);
    expect(PLACEHOLDER_POSTAL_ADDRESS).toContain('set POSTAL_ADDRESS');
    expect(read({ ...site, POSTAL_ADDRESS: 'Example Ltd\n 1 Main Street \r\nSpringfield\n' }).postalAddress).toBe('Example Ltd, 1 Main Street, Springfield');
  });

  it('defaults REPLY_TO to the FROM_EMAIL address, and takes REPLY_TO when set', () => {
    expect(read({ FROM_EMAIL: 'The Letter <letter@news.example.com>' }).replyTo).toBe('letter@news.example.com');
    expect(read({ FROM_EMAIL: 'letter@news.example.com' }).replyTo).toBe('letter@news.example.com');
    expect(read({ FROM_EMAIL: 'The Letter <letter@news.example.com>', REPLY_TO: 'Ada <ada@example.org>' }).replyTo).toBe('Ada <ada@example.org>');
  });
});

describe('production settings (outside local dev)', () => {
  const GOOD = { ...PUBLIC_SITE, PUBLIC_URL: PUBLIC, TOKEN_SECRET: GOOD_SECRET, ADMIN_TOKEN: 'k'.repeat(16) + 'Q7v2-Lm9xZp4Ty1N' };

  it('accepts a site with https, a real FROM_EMAIL and a long ADMIN_TOKEN (or none: the admin API is then off)', () => {
    expect(read(GOOD).isLocalDev).toBe(false);
    expect(read({ ...GOOD, ADMIN_TOKEN: undefined }).adminToken).toBeNull();
    expect(read({ ...GOOD, FROM_EMAIL: 'news@letter.example.org.uk' }).fromEmail).toBe('news@letter.example.org.uk');
    // Look-alikes of the placeholder domains are real domains.
    expect(read({ ...GOOD, FROM_EMAIL: 'News <n@myexample.com>' }).fromEmail).toBe('News <n@myexample.com>');
    expect(read({ ...GOOD, FROM_EMAIL: 'News <n@example.com.au>' }).fromEmail).toBe('News <n@example.com.au>');
    expect(productionProblems({ publicUrl: 'https://x.org', fromEmail: 'News <n@x.org>', adminToken: GOOD_SECRET, postalAddress: '1 Main St' })).toEqual([]);
  });

  it('refuses a PUBLIC_URL that is not https://, naming the fix', () => {
    refuses({ ...GOOD, PUBLIC_URL: 'http://news.example.com' }, /PUBLIC_URL must start with https:\/\/ outside local dev.*RFC 8058.*\[vars\] of wrangler\.toml/);
    refuses({ ...GOOD, PUBLIC_URL: 'http://10.0.0.5:8787' }, /PUBLIC_URL must start with https:\/\//);
  });

  it('refuses a missing or placeholder FROM_EMAIL (example.com, .org, .net and their subdomains), naming the fix', () => {
    for (const from of ['Newsletter <newsletter@example.com>', 'n@example.org', 'News <n@mail.example.net>', 'News <n@EXAMPLE.COM>']) {
      refuses({ ...GOOD, FROM_EMAIL: from }, /FROM_EMAIL is on .*example\.(com|org|net), a placeholder domain.*domain verified at Resend/);
    }
    refuses({ ...GOOD, FROM_EMAIL: undefined }, /FROM_EMAIL is not set/);
    refuses({ ...GOOD, FROM_EMAIL: '   ' }, /FROM_EMAIL is not set/);
    refuses({ ...GOOD, FROM_EMAIL: 'The Weekly Letter' }, /FROM_EMAIL is not set \(or has no address\)/);
  });

  it('refuses an ADMIN_TOKEN shorter than 32 characters, naming the fix', () => {
    refuses({ ...GOOD, ADMIN_TOKEN: 'x'.repeat(31) }, /ADMIN_TOKEN is 31 characters long; it must be at least 32.*openssl rand -base64 32.*wrangler secret put ADMIN_TOKEN/);
    refuses({ ...GOOD, ADMIN_TOKEN: 'hunter2' }, /ADMIN_TOKEN is 7 characters/);
    expect(read({ ...GOOD, ADMIN_TOKEN: GOOD_SECRET.slice(0, 32) }).adminToken).toBe(GOOD_SECRET.slice(0, 32));
  });

  it('refuses an ADMIN_TOKEN that does not look random, by the same rule as TOKEN_SECRET (32 × "a" is long enough and still guessable)', () => {
    for (const weak of ['a'.repeat(32), 'x'.repeat(64), 'changeme'.repeat(4), 'abcabcabc'.repeat(4)]) {
      refuses({ ...GOOD, ADMIN_TOKEN: weak }, /ADMIN_TOKEN does not look random.*openssl rand -base64 32.*wrangler secret put ADMIN_TOKEN/);
    }
    refuses({ ...GOOD, TOKEN_SECRET: 'a'.repeat(32) }, /TOKEN_SECRET looks like a placeholder/);
  });

  it('refuses sending through Resend without RESEND_WEBHOOK_SECRET (bounces and complaints would never be processed)', () => {
    refuses({ ...GOOD, RESEND_WEBHOOK_SECRET: undefined }, /RESEND_WEBHOOK_SECRET is not set while mail goes through Resend.*wrangler secret put RESEND_WEBHOOK_SECRET/);
    refuses({ ...GOOD, RESEND_WEBHOOK_SECRET: '  ' }, /RESEND_WEBHOOK_SECRET is not set/);
    // The outbox sends nothing, so there is nothing to hear back about; local dev needs none either.
    expect(read({ ...GOOD, RESEND_WEBHOOK_SECRET: undefined, RESEND_API_KEY: undefined, EMAIL_TRANSPORT: 'outbox' }).webhookSecret).toBeNull();
    expect(read({ RESEND_API_KEY: 're_test' }).transport).toBe('resend');
  });

  it('reads MIN_BOUNCES_TO_PAUSE and MIN_COMPLAINTS_TO_PAUSE (5 and 3 by default), whole numbers of at least 1', () => {
    expect(read({})).toMatchObject({ minBouncesToPause: 5, minComplaintsToPause: 3 });
    expect(read({ MIN_BOUNCES_TO_PAUSE: '10', MIN_COMPLAINTS_TO_PAUSE: '1' })).toMatchObject({ minBouncesToPause: 10, minComplaintsToPause: 1 });
    for (const bad of ['0', '-1', '2.5', 'many']) {
      refuses({ MIN_BOUNCES_TO_PAUSE: bad }, /MIN_BOUNCES_TO_PAUSE must be a whole number of at least 1/);
      refuses({ MIN_COMPLAINTS_TO_PAUSE: bad }, /MIN_COMPLAINTS_TO_PAUSE must be a whole number of at least 1/);
    }
  });

  it('names every problem at once', () => {
    expect(() => read({ TOKEN_SECRET: GOOD_SECRET, RESEND_API_KEY: 're_x', PUBLIC_URL: 'http://news.example.com', FROM_EMAIL: 'n@example.com', ADMIN_TOKEN: 'short' })).toThrow(
      /PUBLIC_URL must start with https.*FROM_EMAIL is on example\.com.*ADMIN_TOKEN is 5 characters/,
    );
  });

  it('allows all of it in local dev (the wrangler.toml defaults)', () => {
    const config = read({ FROM_EMAIL: 'Newsletter <newsletter@example.com>', ADMIN_TOKEN: 'dev' });
    expect(config).toMatchObject({ isLocalDev: true, publicUrl: 'http://localhost:8787', adminToken: 'dev' });
  });

  it('is a 500 not_configured on every route of a deployed Worker but /health, and nothing else answers', async () => {
    const fetchAt = (path: string, vars: Partial<Env>) =>
      app.fetch(new Request(`https://news.example.com${path}`, { headers: { accept: 'application/json', 'cf-connecting-ip': '192.0.2.1' } }), { ...env, ...GOOD, ...vars });
    expect((await fetchAt('/', {})).status).toBe(200);
    for (const vars of [{ PUBLIC_URL: 'http://news.example.com' }, { FROM_EMAIL: 'n@example.net' }, { ADMIN_TOKEN: 'short' }]) {
      const response = await fetchAt('/', vars);
      expect(response.status, JSON.stringify(vars)).toBe(500);
      expect(await response.json()).toMatchObject({ error: { code: 'not_configured' } });
      expect((await fetchAt('/api/subscribers', vars)).status).toBe(500);
      expect((await fetchAt('/health', vars)).status).toBe(200);
    }
  });
});
