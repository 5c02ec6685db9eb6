// The local outbox: what would have been sent, for people and tests. Only in outbox mode and only
// in local dev: it lists addresses and live confirm/unsubscribe links, so a public site never shows it.
import { Hono } from 'hono';
import { fail, page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { OutboxPage } from '../web/pages';
import { listOutbox } from './outbox';

export const outboxRoutes = new Hono<AppEnv>();

outboxRoutes.use('/dev/*', async (c, next) => {
  const config = c.get('config');
  if (config.transport !== 'outbox' || !config.isLocalDev) {
    return fail(c, 404, 'not_found', 'The outbox exists only in local dev (PUBLIC_URL on localhost) with EMAIL_TRANSPORT=outbox.', 'Not found');
  }
  await next();
});

outboxRoutes.get('/dev/outbox.json', async (c) => c.json(await listOutbox(c.get('db'))));
outboxRoutes.get('/dev/outbox', async (c) => {
  const mails = await listOutbox(c.get('db'));
  return wantsJson(c) ? c.json(mails) : page(c, OutboxPage({ site: site(c), mails }));
});
