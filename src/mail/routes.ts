// The local outbox: what would have been sent, for people and tests. It lists addresses and live
// confirm/unsubscribe links, so it answers only when all three say "this machine": the transport is
// the outbox, PUBLIC_URL is local, and the request itself came to a local host name. The last one is
// what keeps a Worker deployed with wrangler.toml's localhost PUBLIC_URL (and no Resend key) from
// serving it at its public address.
import { Hono } from 'hono';
import { isLoopbackHost } from '../config';
import { fail, page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { OutboxPage } from '../web/pages';
import { listOutbox } from './outbox';

export const outboxRoutes = new Hono<AppEnv>();

outboxRoutes.use('/dev/*', async (c, next) => {
  const config = c.get('config');
  if (config.transport !== 'outbox' || !config.isLocalDev || !isLoopbackHost(new URL(c.req.url).hostname)) {
    return fail(c, 404, 'not_found', 'The outbox exists only in local dev: EMAIL_TRANSPORT=outbox, PUBLIC_URL on localhost, and opened at localhost.', 'Not found');
  }
  await next();
});

outboxRoutes.get('/dev/outbox.json', async (c) => c.json(await listOutbox(c.get('db'))));
outboxRoutes.get('/dev/outbox', async (c) => {
  const mails = await listOutbox(c.get('db'));
  return wantsJson(c) ? c.json(mails) : page(c, OutboxPage({ site: site(c), mails }));
});
