// The Hono app: cross-cutting middleware in one place, then each capability's routes.
import { Hono } from 'hono';
import { adminRoutes } from './admin/routes';
import { handleError, securityHeaders, withConfig } from './http/middleware';
import { fail } from './http/respond';
import type { AppEnv } from './http/types';
import { outboxRoutes } from './mail/routes';
import { subscriberRoutes } from './subscribers/routes';
import { webRoutes } from './web/routes';
import { webhookRoutes } from './webhooks/resend';

export const app = new Hono<AppEnv>();

app.use('*', securityHeaders);
// /health answers even when a secret is missing; every other route needs a valid configuration.
app.use('*', async (c, next) => (c.req.path === '/health' ? next() : withConfig(c, next)));

app.route('/', webRoutes);
app.route('/', subscriberRoutes);
app.route('/', outboxRoutes);
app.route('/', adminRoutes);
app.route('/', webhookRoutes);

app.notFound((c) => fail(c, 404, 'not_found', 'There is nothing at this address. Start from the home page.', 'Not found'));
app.onError(handleError);
