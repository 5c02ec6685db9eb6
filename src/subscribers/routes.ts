// Public subscriber routes: sign up, confirm (GET shows a page that POSTs), unsubscribe (one click).
import { Hono } from 'hono';
import { readFields } from '../http/body';
import { PUBLIC_BODY_LIMIT, limitBody, refuseCrossSitePosts } from '../http/middleware';
import { fail, page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { CheckInboxPage, ConfirmedPage, ConfirmPage, SubscribePage, UnsubscribedPage, UnsubscribePage } from '../web/pages';
import { normalizeEmail, normalizeName } from './address';
import { confirm, signUp, tokenProblem, unsubscribe } from './lifecycle';
import { verifyToken } from './tokens';
import { passesTurnstile } from './turnstile';

export const subscriberRoutes = new Hono<AppEnv>();

subscriberRoutes.use('/subscribe', limitBody(PUBLIC_BODY_LIMIT), refuseCrossSitePosts);
subscriberRoutes.use('/confirm', limitBody(PUBLIC_BODY_LIMIT), refuseCrossSitePosts);
subscriberRoutes.use('/unsubscribe', limitBody(PUBLIC_BODY_LIMIT));

subscriberRoutes.post('/subscribe', async (c) => {
  const config = c.get('config');
  const ip = c.req.header('cf-connecting-ip');
  if (c.env.SUBSCRIBE_LIMITER) {
    const { success } = await c.env.SUBSCRIBE_LIMITER.limit({ key: ip ?? 'unknown-client' });
    if (!success) {
      c.header('Retry-After', '60');
      return fail(c, 429, 'rate_limited', 'Too many sign-up attempts from your network. Wait a minute and try again.', 'Slow down');
    }
  }
  const body = await readFields(c);
  if (!body.ok) return fail(c, body.status, body.code, body.message);
  const pending = () =>
    wantsJson(c) || body.json ? c.json({ status: 'pending' }, 202) : page(c, CheckInboxPage({ site: site(c) }), 202);

  // The honeypot: people never see it; a bot that fills it gets the normal answer and nothing happens.
  if (body.fields.website !== undefined && body.fields.website !== '') return pending();

  const email = normalizeEmail(body.fields.email);
  const name = normalizeName(body.fields.name);
  if (!email.ok || !name.ok) {
    const problem = !email.ok ? email : (name as Exclude<typeof name, { ok: true }>);
    if (wantsJson(c) || body.json) return c.json({ error: { code: problem.code, message: problem.message } }, 400);
    const values = { email: typeof body.fields.email === 'string' ? body.fields.email : '', name: typeof body.fields.name === 'string' ? body.fields.name : '' };
    return page(c, SubscribePage({ site: site(c), error: problem.message, values, turnstileSiteKey: config.turnstile?.siteKey ?? null }), 400);
  }
  if (!(await passesTurnstile(config, body.fields['cf-turnstile-response'], ip))) {
    return fail(c, 400, 'turnstile_failed', 'The anti-bot check did not pass. Reload the page and try again.', 'Please try again');
  }
  await signUp(c.env, email.value, name.value);
  return pending();
});

subscriberRoutes.get('/confirm', async (c) => {
  const config = c.get('config');
  const token = c.req.query('token');
  const verified = await verifyToken(config.tokenSecret, 'confirm', token, Date.now());
  if (!verified.ok) {
    // Same wording as the POST would give, without changing anything.
    return fail(c, 400, 'invalid_token', tokenProblem(verified.reason), 'This link does not work');
  }
  if (wantsJson(c)) return c.json({ status: 'confirmation_required', method: 'POST', url: `/confirm?token=${encodeURIComponent(token!)}` });
  return page(c, ConfirmPage({ site: site(c), token: token!, nonce: c.get('secureHeadersNonce') ?? '' }));
});

subscriberRoutes.post('/confirm', async (c) => {
  const outcome = await confirm(c.env, c.get('config'), c.req.query('token'));
  if (!outcome.ok) return fail(c, 400, 'invalid_token', outcome.message, 'This link does not work');
  if (wantsJson(c)) return c.json({ status: 'confirmed' });
  return page(c, ConfirmedPage({ site: site(c), archiveUrl: '/archive' }));
});

subscriberRoutes.get('/unsubscribe', async (c) => {
  const token = c.req.query('token');
  const verified = await verifyToken(c.get('config').tokenSecret, 'unsubscribe', token, Date.now());
  if (!verified.ok) return fail(c, 400, 'invalid_token', tokenProblem(verified.reason), 'This link does not work');
  if (wantsJson(c)) return c.json({ status: 'unsubscribe_available', method: 'POST', url: `/unsubscribe?token=${encodeURIComponent(token!)}` });
  return page(c, UnsubscribePage({ site: site(c), token: token! }));
});

// RFC 8058 one-click: the mail client POSTs `List-Unsubscribe=One-Click`; the token alone authorises it.
subscriberRoutes.post('/unsubscribe', async (c) => {
  const outcome = await unsubscribe(c.env, c.get('config'), c.req.query('token'));
  if (!outcome.ok) return fail(c, 400, 'invalid_token', outcome.message, 'This link does not work');
  if (wantsJson(c)) return c.json({ status: 'unsubscribed' });
  return page(c, UnsubscribedPage({ site: site(c) }));
});
