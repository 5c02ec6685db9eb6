// The reader's own page, reached from the "Manage your subscription" link in every email:
//   GET  /preferences?token=T                 the page (JSON with Accept: application/json)
//   POST /preferences?token=T                 one action, field `action` (form or JSON body)
//   GET  /preferences/link?token=L            a one-time emailed link (export, erase, move, resubscribe,
//   POST /preferences/link?token=L            the undo of a move): one button; the POST acts, once
//   GET  /preferences/confirm-email?token=E   a new address's link: one button that POSTs
//   POST /preferences/confirm-email?token=E   moves the subscription (works once); the old address
//                                             gets a notice with an undo link
//   GET  /preferences/not-me?token=E          "I did not ask for this" in that email: one button; the
//   POST /preferences/not-me?token=E          POST (also RFC 8058 one-click) blocks further requests
// The token is the only authority (signed, purpose `preferences`, of the reader's current generation;
// an altered one is a 400, one from before a move a 410, and neither changes anything). Form posts
// from another site are refused app-wide (src/app.ts), this page included.
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subscribers } from '../db/schema';
import { readFields } from '../http/body';
import { fail, page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { normalizeEmail } from '../subscribers/address';
import { eraseSubscriber } from '../subscribers/erase';
import { CONFIRMATION_INTERVAL_MS, tokenProblem, unsubscribeSubscriber } from '../subscribers/lifecycle';
import { verifyToken } from '../subscribers/tokens';
import { formatDateTime } from '../web/pages';
import { blockChangeEmailOf, changeOwner } from '../subscribers/mailbox';
import { confirmEmailChange, loadReader, pause, requestEmailChange, resubscribe, resume, undoMove } from './actions';
import { exportDocument, readerDeliveries } from './export';
import { issueLink, type OpenedLink, openLink, spendLink } from './links';
import { DonePage, EmailChangeConfirmPage, EmailChangedPage, ErasedPage, LinkPage, NotMePage, PreferencesPage } from './pages';
import { ACTIONS, type EmailedAction, isEmailed, parseAction, parseWeeks, pauseEnd, preferencesView, type Reader, refusal } from './reader';

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
  if (verified.generation !== reader.tokenGeneration) {
    const message =
      'This link is from before your subscription moved to another address, so it no longer opens your page. Use the "Manage your subscription" link in the newest email we sent you. To stop the emails, the unsubscribe link in any of our emails still works.';
    return { ok: false, response: fail(c, 410, 'link_replaced', message, 'This link was replaced') };
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
      return emailLink('change_email', email.value);
    }
    case 'export':
    case 'erase':
      return emailLink(action, null);
    case 'unsubscribe':
      await unsubscribeSubscriber(db, reader.id, now);
      if (reader.status !== 'confirmed' && reader.status !== 'pending') return done('You get no emails from us already.');
      return done('You are unsubscribed: no more weekly emails. Changed your mind? For 30 days you can resubscribe right here.');
    case 'resubscribe':
      if (reader.status === 'confirmed') return done('You are subscribed already.');
      return emailLink('resubscribe', null);
  }

  /** 202 `link_sent`: the action waits for the press of the link emailed to the reader's current address. */
  async function emailLink(emailed: EmailedAction, email: string | null): Promise<Response> {
    const sent = await issueLink(c.env, db, reader.id, reader.tokenGeneration, emailed, email, now);
    if (sent === 'too_many') {
      c.header('Retry-After', '3600');
      return problem(429, 'too_many_links', 'We have emailed you several links in the last hour already. Use one of those, or ask again in an hour.');
    }
    if (sent === 'queue_unavailable') {
      c.header('Retry-After', '60');
      return problem(503, 'try_again', 'The link could not be sent right now. Nothing changed; please try again in a minute.');
    }
    const what = LINK_SENT[emailed];
    const message = `We emailed a link to ${reader.email} ${what}. It works once, for an hour. Nothing happens until it is pressed there, so a forwarded email cannot do it for you.`;
    if (wantsJson(c)) return c.json({ status: 'link_sent', message }, 202);
    return done(message, 202);
  }
});

const LINK_SENT: Record<EmailedAction, string> = {
  export: 'to download your data',
  erase: 'to erase your data',
  change_email: 'to confirm the move to the new address (we then ask the new address to confirm too)',
  resubscribe: 'to resubscribe',
};

// ---- one-time emailed links ---------------------------------------------------------------------

const linkAnswer = (c: C, opened: Exclude<OpenedLink, { ok: true }>) => fail(c, opened.status, opened.code, opened.message, 'This link does not work');

preferencesRoutes.get('/preferences/link', async (c) => {
  const opened = await openLink(c.get('db'), c.get('config'), c.req.query('token'), Date.now());
  if (!opened.ok) return linkAnswer(c, opened);
  const url = `/preferences/link?token=${encodeURIComponent(c.req.query('token')!)}`;
  if (wantsJson(c)) return c.json({ status: 'confirmation_required', action: opened.action, method: 'POST', url });
  return page(c, LinkPage({ site: site(c), url, action: opened.action, email: opened.email }));
});

preferencesRoutes.post('/preferences/link', async (c) => {
  const db = c.get('db');
  const now = Date.now();
  const opened = await openLink(db, c.get('config'), c.req.query('token'), now);
  if (!opened.ok) return linkAnswer(c, opened);
  if (!(await spendLink(db, opened.id, now))) return fail(c, 410, 'link_used', 'This link was used already: each works once.', 'This link does not work');
  const reader = await loadReader(db, opened.subscriberId);
  if (!reader) return fail(c, 404, 'not_found', 'There is no subscription behind this link any more.', 'Nothing here any more');
  const finished = (status: string, title: string, message: string, code = 200 as ContentfulStatusCode) =>
    wantsJson(c) ? c.json({ status, message }, code) : page(c, DonePage({ site: site(c), title, message }), code);
  const refused = (status: ContentfulStatusCode, code: string, message: string) => fail(c, status, code, message, 'Nothing changed');
  switch (opened.action) {
    case 'export': {
      const document = exportDocument(c.get('config'), reader, await readerDeliveries(db, reader.id), now);
      const file = `${c.get('config').newsletterName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'newsletter'}-my-data.json`;
      return c.json(document, 200, { 'Content-Disposition': `attachment; filename="${file}"` });
    }
    case 'erase':
      await eraseSubscriber(db, reader.email, now);
      if (wantsJson(c)) return c.json({ status: 'erased' });
      return page(c, ErasedPage({ site: site(c) }));
    case 'resubscribe': {
      const why = refusal('resubscribe', reader, now);
      if (why) return refused(409, 'not_available', why);
      if (reader.status !== 'confirmed' && !(await resubscribe(db, reader.id, now))) return refused(409, 'not_available', 'Your subscription changed in the meantime, so nothing was changed.');
      return finished('resubscribed', 'Welcome back', 'You are subscribed again, from the next weekly email on.');
    }
    case 'change_email': {
      const email = opened.email!;
      const outcome = await requestEmailChange(c.env, db, reader.id, email, now);
      if (outcome === 'not_active') return refused(409, 'not_subscribed', 'This subscription is not active any more, so it cannot move.');
      if (outcome === 'too_soon') {
        c.header('Retry-After', String(CONFIRMATION_INTERVAL_MS / 1000));
        return refused(429, 'too_soon', 'A confirmation link went out to a new address less than 15 minutes ago. Open that one, or ask again later.');
      }
      if (outcome === 'queue_unavailable') {
        c.header('Retry-After', '60');
        return refused(503, 'try_again', 'The confirmation link could not be sent right now. Nothing changed; ask for a new link in a minute.');
      }
      // The same answer whether or not the new address can take it (then it gets nothing).
      return finished(
        'confirmation_sent',
        'Now confirm at the new address',
        `If ${email} can take this subscription, a confirmation link is on its way there. Your subscription moves once it is opened; until then, issues keep coming to ${reader.email}.`,
        202,
      );
    }
    case 'undo_move': {
      const undone = await undoMove(db, reader.id, opened.email!);
      if (undone === 'taken') return refused(409, 'address_taken', 'This address is on the list again under another subscription, so the move cannot be undone. Nothing changed.');
      if (undone === 'gone') return fail(c, 404, 'not_found', 'There is no subscription behind this link any more.', 'Nothing here any more');
      return finished(
        'move_undone',
        'Your subscription is back',
        `${c.get('config').newsletterName} comes to ${opened.email} again. Every preferences link sent to the other address stops working; if you did not ask for the move, nothing else is needed.`,
      );
    }
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
  const db = c.get('db');
  const outcome = await confirmEmailChange(db, verified.subscriberId, verified.issuedAt!);
  if (!outcome.ok) {
    const [status, code, message] = EMAIL_CHANGE_OUTCOMES[outcome.reason];
    return fail(c, status, code, message, 'This link does not work');
  }
  // The old address is told, with an undo (7 days): a move made with a forwarded link is not silent.
  const notice = await issueLink(c.env, db, verified.subscriberId, outcome.generation, 'undo_move', outcome.oldEmail, Date.now());
  if (notice !== 'queued') console.error(`preferences: the move of subscriber ${verified.subscriberId} happened, but its notice to the old address could not be queued (${notice})`);
  if (wantsJson(c)) return c.json({ status: 'moved', email: outcome.email });
  return page(c, EmailChangedPage({ site: site(c), email: outcome.email }));
});

// "I did not ask for this", from the new address's email: no more change-of-address emails to this
// inbox, whoever asks. Works for as long as the email's link would (7 days), superseded or not: the
// request is found by its name in the mailbox's row. Like /unsubscribe, a mail client's one-click POST
// (List-Unsubscribe=One-Click) does it too, and may come from another origin (src/http/middleware.ts).
preferencesRoutes.get('/preferences/not-me', async (c) => {
  const verified = await verifiedEmailChange(c);
  if (!verified.ok) return verified.response;
  const url = `/preferences/not-me?token=${encodeURIComponent(c.req.query('token')!)}`;
  if (wantsJson(c)) return c.json({ status: 'confirmation_required', method: 'POST', url });
  return page(c, NotMePage({ site: site(c), url }));
});

preferencesRoutes.post('/preferences/not-me', async (c) => {
  const verified = await verifiedEmailChange(c);
  if (!verified.ok) return verified.response;
  const db = c.get('db');
  const now = Date.now();
  await blockChangeEmailOf(db, changeOwner(verified.subscriberId, verified.issuedAt!), now);
  // The request itself goes too, if it is still the latest: its link can no longer move anyone here.
  await db
    .update(subscribers)
    .set({ pendingEmail: null })
    .where(and(eq(subscribers.id, verified.subscriberId), sql`${subscribers.emailChangeSentAt} / 1000 = ${verified.issuedAt! / 1000}`));
  const message = 'Thank you. This address gets no more requests to move a subscription here, whoever asks. Nothing was moved.';
  if (wantsJson(c)) return c.json({ status: 'blocked', message });
  return page(c, DonePage({ site: site(c), title: 'No more of these', message }));
});
