// The Hono app: cross-cutting middleware in one place, then each capability's routes.
import { Hono } from 'hono';
import { adminRoutes } from './admin/routes';
import { apiRoutes } from './api/routes';
import { DOCS_PATH } from './api/docs';
import { docsSecurityHeaders, handleError, limitPublicBodies, notFound, refuseCrossSitePosts, securityHeaders, signupCors, withConfig } from './http/middleware';
import { embedRoutes } from './embed/routes';
import { getDb } from './db/client';
import type { AppEnv } from './http/types';
import { outboxRoutes } from './mail/routes';
import { mediaRoutes } from './media/routes';
import { preferencesRoutes } from './preferences/routes';
import { subscriberRoutes } from './subscribers/routes';
import { webRoutes } from './web/routes';
import { webhookRoutes } from './webhooks/resend';

export const app = new Hono<AppEnv>();

// Order matters: headers wrap everything (errors and 404s included); then the configuration; then
// bodies are capped and cross-site form posts refused before any handler reads a byte.
// The API reference page (Scalar) needs inline styles and its own script; it gets its own, still
// same-origin-only, policy.
app.use('*', (c, next) => (c.req.path === DOCS_PATH ? docsSecurityHeaders(c, next) : securityHeaders(c, next)));
// One Drizzle client per request, made here and passed down from each handler.
app.use('*', async (c, next) => {
  c.set('db', getDb(c.env.DB));
  await next();
});
// /health answers even when a secret is missing; every other route needs a valid configuration.
app.use('*', async (c, next) => (c.req.path === '/health' ? next() : withConfig(c, next)));
app.use('*', limitPublicBodies);
app.use('*', refuseCrossSitePosts);
// CORS for sign-up forms on the SIGNUP_ORIGINS (the script, or any fetch there); no other route has any.
app.use('/subscribe', signupCors);

app.route('/', webRoutes);
app.route('/', mediaRoutes);
app.route('/', subscriberRoutes);
app.route('/', embedRoutes);
app.route('/', preferencesRoutes);
app.route('/', outboxRoutes);
app.route('/', apiRoutes);
app.route('/', adminRoutes);
app.route('/', webhookRoutes);

app.notFound(notFound(app));
app.onError(handleError);
