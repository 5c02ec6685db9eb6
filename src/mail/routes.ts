// The local outbox (EMAIL_TRANSPORT=outbox only): what would have been sent, for people and tests.
import { Hono } from 'hono';
import { fail, page, site } from '../http/respond';
import type { AppEnv } from '../http/types';
import { OutboxPage } from '../web/pages';
import { listOutbox } from './outbox';

export const outboxRoutes = new Hono<AppEnv>();

outboxRoutes.use('/dev/*', async (c, next) => {
  if (c.get('config').transport !== 'outbox') return fail(c, 404, 'not_found', 'The outbox exists only when EMAIL_TRANSPORT=outbox.', 'Not found');
  await next();
});

outboxRoutes.get('/dev/outbox.json', async (c) => c.json(await listOutbox(c.env.DB)));
outboxRoutes.get('/dev/outbox', async (c) => page(c, OutboxPage({ site: site(c), mails: await listOutbox(c.env.DB) })));
