// Public subscriber routes: sign up, confirm (GET shows a button that POSTs; loading it confirms
// nothing), unsubscribe (one click).
// Body limits, cross-site refusal and security headers are applied app-wide (src/app.ts).
import { type Context, Hono } from 'hono';
import { readFields } from '../http/body';
import { clientKey } from '../http/client';
import { fail, page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { CheckInboxPage, ConfirmedPage, ConfirmPage, SubscribePage, UnsubscribedPage, UnsubscribePage } from '../web/pages';
import { normalizeEmail, normalizeName } from './address';
import { confirm, signUp, tokenProblem, unsubscribe } from './lifecycle';
import { verifyToken } from './tokens';
import { TURNSTILE_FIELD, verifyTurnstile } from './turnstile';
import { returnTo } from '../embed/origins';

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

/**
 * POST /subscribe answers in one of three shapes, whoever posted: JSON for programs and the script
 * (/embed.js); a 303 to `return_to` with `subscribe=<result>` for a plain form on an allowed site
 * (src/embed/origins.ts decides what is allowed); else the hosted page. Every shape has the same
 * result, so a form on another site learns no more than the form here.
 */
type Outcome =
  | { result: 'pending' }
  | { result: 'invalid'; status: 400 | 415; code: string; message: string; values?: { email: string; name: string } }
  | { result: 'limited'; status: 429 | 503; code: string; message: string; title: string; retryAfter: number };

/** The outcome, whether the client reads JSON, and the `return_to` it sent (checked later, by origin). */
type Decision = { outcome: Outcome; json: boolean; returnField: unknown };

async function decide(c: Context<AppEnv>): Promise<Decision> {
  const config = c.get('config');
  const ip = c.req.header('cf-connecting-ip');
  const json = wantsJson(c);
  // Counted before anything is read, so floods of broken posts count too.
  if (!(await withinLimit(c, ip))) {
    // Read only for where to send the answer (a plain form's return_to); nothing else is looked at.
    const body = await readFields(c);
    const outcome: Outcome = { result: 'limited', status: 429, code: 'rate_limited', message: `Too many sign-up attempts from your network. Wait a minute (${LIMIT_PERIOD_SECONDS} seconds) and try again.`, title: 'Slow down', retryAfter: LIMIT_PERIOD_SECONDS };
    return { outcome, json: json || (body.ok && body.json), returnField: body.ok ? body.fields.return_to : undefined };
  }
  const body = await readFields(c);
  if (!body.ok) return { outcome: { result: 'invalid', status: body.status as 400 | 415, code: body.code, message: body.message }, json, returnField: undefined };
  const decided = (outcome: Outcome): Decision => ({ outcome, json: json || body.json, returnField: body.fields.return_to });

  // The honeypot: people never see it; a bot that fills it gets the normal answer and nothing happens.
  if (body.fields.website !== undefined && body.fields.website !== null && body.fields.website !== '') return decided({ result: 'pending' });

  const email = normalizeEmail(body.fields.email);
  const name = normalizeName(body.fields.name);
  if (!email.ok || !name.ok) {
    const problem = !email.ok ? email : (name as Exclude<typeof name, { ok: true }>);
    const values = { email: typeof body.fields.email === 'string' ? body.fields.email : '', name: typeof body.fields.name === 'string' ? body.fields.name : '' };
    return decided({ result: 'invalid', status: 400, code: problem.code, message: problem.message, values });
  }
  const turnstile = await verifyTurnstile(config, body.fields[TURNSTILE_FIELD], ip);
  if (turnstile === 'unavailable') {
    return decided({ result: 'limited', status: 503, code: 'turnstile_unavailable', message: 'The anti-bot check could not be completed right now. Nothing was stored; please try again in a minute.', title: 'Please try again', retryAfter: 30 });
  }
  if (turnstile === 'fail') {
    const message = 'The anti-bot check did not pass (or was already used). Reload the page and try again.';
    return decided({ result: 'invalid', status: 400, code: 'turnstile_failed', message, values: { email: email.value, name: name.value ?? '' } });
  }
  await signUp(c.get('db'), c.env, email.value, name.value, Date.now(), (work) => c.executionCtx.waitUntil(work));
  return decided({ result: 'pending' });
}

subscriberRoutes.post('/subscribe', async (c) => {
  const config = c.get('config');
  const { outcome, json, returnField } = await decide(c);
  if (!json) {
    const back = returnTo(config, returnField, outcome.result);
    if (back) return c.redirect(back, 303);
  }
  if (outcome.result === 'pending') return json ? c.json({ status: 'pending' }, 202) : page(c, CheckInboxPage({ site: site(c) }), 202);
  if (outcome.result === 'limited') {
    c.header('Retry-After', String(outcome.retryAfter));
    return fail(c, outcome.status, outcome.code, outcome.message, outcome.title);
  }
  if (json) return c.json({ error: { code: outcome.code, message: outcome.message } }, outcome.status);
  if (!outcome.values) return fail(c, outcome.status, outcome.code, outcome.message);
  // The form again, with what was typed and what is wrong.
  const turnstileSiteKey = config.turnstile?.siteKey ?? null;
  const nonce = c.get('secureHeadersNonce') ?? null;
  return page(c, SubscribePage({ site: site(c), error: outcome.message, values: outcome.values, turnstileSiteKey, nonce }), outcome.status);
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
