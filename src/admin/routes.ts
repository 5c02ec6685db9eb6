// The admin API (`/api/*`): bearer auth first, then the body limit (an import may be tens of MB),
// then each part's routes. No CSRF check: the credential is a header a browser never adds by itself.
import { Hono } from 'hono';
import { ADMIN_BODY_LIMIT, limitBody } from '../http/middleware';
import type { AppEnv } from '../http/types';
import { requireAdmin } from './auth';
import { dashboardRoutes } from './dashboard';
import { adminIssueRoutes } from './issues';
import { adminSubscriberRoutes } from './subscribers';

export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use('/api/*', requireAdmin, limitBody(ADMIN_BODY_LIMIT));
adminRoutes.route('/', adminSubscriberRoutes);
adminRoutes.route('/', adminIssueRoutes);
// The dashboard (/admin): its own session cookie and CSRF tokens, see dashboard.ts.
adminRoutes.route('/', dashboardRoutes);
