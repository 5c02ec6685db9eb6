// Public subscriber routes: sign up, confirm (GET shows a button that POSTs; loading it confirms
// nothing), unsubscribe (one click).
// Body limits, cross-site refusal and security headers are applied app-wide (src/app.ts).
import { Hono } from 'hono';
import { readFields } from '../http/body';
import { clientKey } from '../http/client';
import { fail, page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { CheckInboxPage, ConfirmedPage, ConfirmPage, SubscribePage, UnsubscribedPage, UnsubscribePage } from '../web/pages';
import { normalizeEmail, normalizeName } from './address';
import { confirm, signUp, tokenProblem, unsubscribe } from './lifecycle';
import { verifyToken } from './tokens';
import { TURNSTILE_FIELD, verifyTurnstile } from './turnstile';

export const subscriberRoutes = new Hono<AppEnv>();

/** The Rate Limiting binding's period (wrangler.toml `simple = { limit = 10, period = 60 }`). */
const LIMIT_PERIOD_SECONDS = 60;

/** Per-client sign-up limit (IPv4 address or IPv6 /64). A limiter that fails lets the request through. */
async function withinLimit(c: { env: AppEnv['Bindings'] }, ip: string | undefined): Promise<boolean> {
  if (!c.env.SUBSCRIBE_LIMITER) return true;
  try {
    return (await c.env.SUBSCRIBE_LIMITER.limit({ key: `subscribe:${clientKey(ip)}` })).success;
  } catch (error) {
    console.error(`rate limiter failed, letting the request through: ${(error as Error).message}`);
    return true;
  }
}

subscriberRoutes.post('/subscribe', async (c) => {
  const config = c.get('config');
  const ip = c.req.header('cf-connecting-ip');
  // Counted before anything is read, so floods of broken posts count too.
  if (!(await withinLimit(c, ip))) {
    c.header('Retry-After', String(LIMIT_PERIOD_SECONDS));
    return fail(c, 429, 'rate_limited', `Too many sign-up attempts from your network. Wait a minute (${LIMIT_PERIOD_SECONDS} seconds) and try again.`, 'Slow down');
  }
  const body = await readFields(c);
  if (!body.ok) return fail(c, body.status, body.code, body.message);
  const json = wantsJson(c) || body.json;
  const nonce = c.get('secureHeadersNonce') ?? null;
  const turnstileSiteKey = config.turnstile?.siteKey ?? null;
  const pending = () => (json ? c.json({ status: 'pending' }, 202) : page(c, CheckInboxPage({ site: site(c) }), 202));

  // The honeypot: people never see it; a bot that fills it gets the normal answer and nothing happens.
  if (body.fields.website !== undefined && body.fields.website !== null && body.fields.website !== '') return pending();

  const email = normalizeEmail(body.fields.email);
  const name = normalizeName(body.fields.name);
  if (!email.ok || !name.ok) {
    const problem = !email.ok ? email : (name as Exclude<typeof name, { ok: true }>);
    if (json) return c.json({ error: { code: problem.code, message: problem.message } }, 400);
    const values = { email: typeof body.fields.email === 'string' ? body.fields.email : '', name: typeof body.fields.name === 'string' ? body.fields.name : '' };
    return page(c, SubscribePage({ site: site(c), error: problem.message, values, turnstileSiteKey, nonce }), 400);
  }
  const turnstile = await verifyTurnstile(config, body.fields[TURNSTILE_FIELD], ip);
  if (turnstile === 'unavailable') {
    c.header('Retry-After', '30');
    return fail(c, 503, 'turnstile_unavailable', 'The anti-bot check could not be completed right now. Nothing was stored; please try again in a minute.', 'Please try again');
  }
  if (turnstile === 'fail') {
    const message = 'The anti-bot check did not pass (or was already used). Reload the page and try again.';
    if (json) return c.json({ error: { code: 'turnstile_failed', message } }, 400);
    return page(c, SubscribePage({ site: site(c), error: message, values: { email: email.value, name: name.value ?? '' }, turnstileSiteKey, nonce }), 400);
  }
  await signUp(c.get('db'), c.env, email.value, name.value, Date.now(), (work) => c.executionCtx.waitUntil(work));
  return pending();
});

subscriberRoutes.get('/confirm', async (c) => {
  const config = c.get('config');
  const token = c.req.query('token');
  const verified = await verifyToken(config.tokenSecrets, 'confirm', token, Date.now());
  if (!verified.ok) {
    // Same wording as the POST would give, without changing anything.
    return fail(c, 400, 'invalid_token', tokenProblem(verified.reason), 'This link does not work');
  }
  if (wantsJson(c)) return c.json({ status: 'confirmation_required', method: 'POST', url: `/confirm?token=${encodeURIComponent(token!)}` });
  return page(c, ConfirmPage({ site: site(c), token: token! }));
});

subscriberRoutes.post('/confirm', async (c) => {
  const outcome = await confirm(c.get('db'), c.env, c.get('config'), c.req.query('token'));
  if (!outcome.ok) return fail(c, 400, 'invalid_token', outcome.message, 'This link does not work');
  if (wantsJson(c)) return c.json({ status: 'confirmed' });
  return page(c, ConfirmedPage({ site: site(c), archiveUrl: '/archive' }));
});

subscriberRoutes.get('/unsubscribe', async (c) => {
  const token = c.req.query('token');
  const verified = await verifyToken(c.get('config').tokenSecrets, 'unsubscribe', token, Date.now());
  if (!verified.ok) return fail(c, 400, 'invalid_token', tokenProblem(verified.reason), 'This link does not work');
  if (wantsJson(c)) return c.json({ status: 'unsubscribe_available', method: 'POST', url: `/unsubscribe?token=${encodeURIComponent(token!)}` });
  return page(c, UnsubscribePage({ site: site(c), token: token! }));
});

// RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click`; the token alone authorises it.
subscriberRoutes.post('/unsubscribe', async (c) => {
  const outcome = await unsubscribe(c.get('db'), c.get('config'), c.req.query('token'));
  if (!outcome.ok) return fail(c, 400, 'invalid_token', outcome.message, 'This link does not work');
  if (wantsJson(c)) return c.json({ status: 'unsubscribed' });
  return page(c, UnsubscribedPage({ site: site(c) }));
});
