// The reader's own page, reached from the "Manage your subscription" link in every email:
//   GET  /preferences?token=T                 the page (JSON with Accept: application/json)
//   POST /preferences?token=T                 one action, field `action` (form or JSON body)
//   GET  /preferences/confirm-email?token=E   a new address's link: one button that POSTs
//   POST /preferences/confirm-email?token=E   moves the subscription (works once)
// The token is the only authority (signed, purpose `preferences`; an altered one is a 400 and changes
// nothing). Form posts from another site are refused app-wide (src/app.ts), this page included.
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Db } from '../db/client';
import { readFields } from '../http/body';
import { fail, page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { normalizeEmail } from '../subscribers/address';
import { eraseSubscriber } from '../subscribers/erase';
import { CONFIRMATION_INTERVAL_MS, tokenProblem, unsubscribeSubscriber } from '../subscribers/lifecycle';
import { verifyToken } from '../subscribers/tokens';
import { formatDateTime } from '../web/pages';
import { confirmEmailChange, loadReader, pause, requestEmailChange, resubscribe, resume } from './actions';
import { exportDocument, readerDeliveries } from './export';
import { EmailChangeConfirmPage, EmailChangedPage, ErasedPage, EraseConfirmPage, PreferencesPage } from './pages';
import { ACTIONS, parseAction, parseWeeks, pauseEnd, preferencesView, type Reader, refusal } from './reader';

export const preferencesRoutes = new Hono<AppEnv>();

type C = Context<AppEnv>;

// The page shows an address and personal data: never kept by a cache along the way.
preferencesRoutes.use('/preferences', noStore);
preferencesRoutes.use('/preferences/*', noStore);
async function noStore(c: C, next: () => Promise<void>) {
  await next();
  c.header('Cache-Control', 'no-store');
}

/** The token's reader, or the answer that says why there is none. */
async function readerFor(c: C, db: Db): Promise<{ ok: true; token: string; reader: Reader } | { ok: false; response: Response }> {
  const token = c.req.query('token');
  const verified = await verifyToken(c.get('config').tokenSecrets, 'preferences', token, Date.now());
  if (!verified.ok) return { ok: false, response: fail(c, 400, 'invalid_token', tokenProblem(verified.reason), 'This link does not work') };
  const reader = await loadReader(db, verified.subscriberId);
  if (!reader) {
    const message = 'There is no subscription behind this link any more: its data was erased. You can subscribe again on the home page.';
    return { ok: false, response: fail(c, 404, 'not_found', message, 'Nothing here any more') };
  }
  return { ok: true, token: token!, reader };
}

type Shown = { notice?: string; error?: { code: string; message: string; field?: 'email' | 'weeks' }; values?: { email?: string } };

/** The page (or its JSON) as the reader's row is now; with what just happened, or what went wrong. */
async function show(c: C, db: Db, token: string, readerId: number, status: ContentfulStatusCode, shown: Shown = {}): Promise<Response> {
  const reader = await loadReader(db, readerId);
  if (!reader) return fail(c, 404, 'not_found', 'There is no subscription behind this link any more.', 'Nothing here any more');
  const view = preferencesView(reader, Date.now());
  if (wantsJson(c)) {
    if (shown.error) return c.json({ error: { code: shown.error.code, message: shown.error.message } }, status);
    return c.json(shown.notice ? { ...view, message: shown.notice } : view, status);
  }
  return page(c, PreferencesPage({ site: site(c), token, view, notice: shown.notice, error: shown.error, values: shown.values }), status);
}

preferencesRoutes.get('/preferences', async (c) => {
  const db = c.get('db');
  const found = await readerFor(c, db);
  if (!found.ok) return found.response;
  return show(c, db, found.token, found.reader.id, 200);
});

preferencesRoutes.post('/preferences', async (c) => {
  const db = c.get('db');
  const found = await readerFor(c, db);
  if (!found.ok) return found.response;
  const { token, reader } = found;
  const body = await readFields(c);
  if (!body.ok) return fail(c, body.status, body.code, body.message);
  const fields = body.fields;
  const problem = (status: ContentfulStatusCode, code: string, message: string, field?: 'email' | 'weeks', values?: Shown['values']) =>
    show(c, db, token, reader.id, status, { error: { code, message, field }, values });
  const done = (notice: string, status: ContentfulStatusCode = 200) => show(c, db, token, reader.id, status, { notice });
  const changedMeanwhile = () => problem(409, 'not_available', 'Your subscription changed in the meantime: this is how it stands now. Nothing else was changed.');

  const action = parseAction(fields.action);
  if (!action) return problem(400, 'invalid_action', `"action" must be one of ${ACTIONS.join(', ')}.`);
  const now = Date.now();
  const refused = refusal(action, reader, now);
  if (refused) return problem(409, 'not_available', refused);

  switch (action) {
    case 'pause': {
      const weeks = parseWeeks(fields.weeks);
      if (weeks === null) return problem(400, 'invalid_weeks', 'Choose how long to pause: "weeks" must be 2, 4 or 8.', 'weeks');
      const until = pauseEnd(weeks, now);
      if (!(await pause(db, reader.id, until))) return changedMeanwhile();
      return done(`Paused for ${weeks} weeks, until ${formatDateTime(new Date(until).toISOString())}. The weekly email starts again by itself after that.`);
    }
    case 'resume':
      if (!(await resume(db, reader.id))) return changedMeanwhile();
      return done('Resumed: the next weekly email comes to you.');
    case 'change_email': {
      const typed = typeof fields.email === 'string' ? fields.email : '';
      const email = normalizeEmail(fields.email);
      if (!email.ok) return problem(400, email.code, email.message, 'email', { email: typed });
      if (email.value === reader.email) return problem(400, 'same_email', 'That is the address this subscription already uses. Enter the new one.', 'email', { email: typed });
      const outcome = await requestEmailChange(c.env, db, reader.id, email.value, now);
      if (outcome === 'not_active') return changedMeanwhile();
      if (outcome === 'too_soon') {
        const minutes = Math.max(1, Math.ceil(((reader.emailChangeSentAt ?? now) + CONFIRMATION_INTERVAL_MS - now) / 60_000));
        c.header('Retry-After', String(minutes * 60));
        return problem(429, 'too_soon', `A confirmation link went out less than 15 minutes ago. Open that one, or ask again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, 'email', { email: typed });
      }
      if (outcome === 'queue_unavailable') {
        c.header('Retry-After', '60');
        return problem(503, 'try_again', 'The confirmation link could not be sent right now. Nothing changed; please try again in a minute.', 'email', { email: typed });
      }
      // The same answer whether or not the new address is on the list already (then it gets nothing).
      return done(
        `If ${email.value} can take this subscription, a confirmation link is on its way there. Your subscription moves once it is opened; until then, issues keep coming to ${reader.email}.`,
        202,
      );
    }
    case 'export': {
      const document = exportDocument(c.get('config'), reader, await readerDeliveries(db, reader.id), now);
      const file = `${c.get('config').newsletterName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'newsletter'}-my-data.json`;
      return c.json(document, 200, { 'Content-Disposition': `attachment; filename="${file}"` });
    }
    case 'erase': {
      if (fields.confirm !== 'yes' && fields.confirm !== true) {
        const message = 'Erasing deletes your address, name and delivery records at once, and cannot be undone. To go ahead, send "confirm": "yes" with "action": "erase".';
        if (wantsJson(c)) return c.json({ status: 'confirmation_required', message });
        return page(c, EraseConfirmPage({ site: site(c), token }));
      }
      await eraseSubscriber(db, reader.email, now);
      if (wantsJson(c)) return c.json({ status: 'erased' });
      return page(c, ErasedPage({ site: site(c) }));
    }
    case 'unsubscribe':
      await unsubscribeSubscriber(db, reader.id, now);
      if (reader.status !== 'confirmed' && reader.status !== 'pending') return done('You get no emails from us already.');
      return done('You are unsubscribed: no more weekly emails. Changed your mind? For 30 days you can resubscribe right here.');
    case 'resubscribe':
      if (reader.status === 'confirmed') return done('You are subscribed already.');
      if (!(await resubscribe(db, reader.id, now))) return changedMeanwhile();
      return done('Welcome back: you are subscribed again, from the next weekly email on.');
  }
});

const EMAIL_CHANGE_OUTCOMES = {
  gone: [400, 'invalid_token', 'This subscription no longer exists, so there is nothing to move.'],
  used: [400, 'invalid_token', 'This link was used already, or a newer request replaced it. Ask again on your preferences page if you still want to move.'],
  not_active: [409, 'not_subscribed', 'This subscription is not active any more, so it cannot move. Subscribe again with this address on the home page.'],
  taken: [409, 'address_taken', 'This address is on the list already, so another subscription cannot move here. Nothing changed.'],
} as const;

async function verifiedEmailChange(c: C) {
  const verified = await verifyToken(c.get('config').tokenSecrets, 'email_change', c.req.query('token'), Date.now());
  if (verified.ok) return verified;
  const message = verified.reason === 'expired' ? 'This link has expired (they last 7 days). Ask for a new one on your preferences page.' : tokenProblem(verified.reason);
  return { ok: false as const, response: fail(c, 400, 'invalid_token', message, 'This link does not work') };
}

preferencesRoutes.get('/preferences/confirm-email', async (c) => {
  const verified = await verifiedEmailChange(c);
  if (!verified.ok) return verified.response;
  const token = c.req.query('token')!;
  if (wantsJson(c)) return c.json({ status: 'confirmation_required', method: 'POST', url: `/preferences/confirm-email?token=${encodeURIComponent(token)}` });
  return page(c, EmailChangeConfirmPage({ site: site(c), token }));
});

preferencesRoutes.post('/preferences/confirm-email', async (c) => {
  const verified = await verifiedEmailChange(c);
  if (!verified.ok) return verified.response;
  const outcome = await confirmEmailChange(c.get('db'), verified.subscriberId, verified.issuedAt!);
  if (!outcome.ok) {
    const [status, code, message] = EMAIL_CHANGE_OUTCOMES[outcome.reason];
    return fail(c, status, code, message, 'This link does not work');
  }
  if (wantsJson(c)) return c.json({ status: 'moved', email: outcome.email });
  return page(c, EmailChangedPage({ site: site(c), email: outcome.email }));
});
