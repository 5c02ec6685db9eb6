// The admin API (`/api/*`): bearer auth first, then the body limit, then each part's routes. The CSV
// and archive imports are left out of this limit: Hono's buffers a body sent without a length, and
// the imports stream their own (up to IMPORT_BODY_LIMIT, counted as they read). No CSRF check: the credential is
// a header a browser never adds by itself.
import { Hono } from 'hono';
import { ADMIN_BODY_LIMIT, limitBody } from '../http/middleware';
import type { AppEnv } from '../http/types';
import { mediaUploadRoutes } from '../media/routes';
import { adminArticleRoutes } from './articles';
import { requireAdmin } from './auth';
import { dashboardRoutes } from './dashboard';
import { editorRoutes } from './editor';
import { adminIssueRoutes } from './issues';
import { adminArchiveRoutes, ARCHIVE_IMPORT_PATH } from './archive';
import { adminSubscriberRoutes, IMPORT_PATH } from './subscribers';

export const adminRoutes = new Hono<AppEnv>();

const adminBodyLimit = limitBody(ADMIN_BODY_LIMIT);
const STREAMED = new Set([IMPORT_PATH, ARCHIVE_IMPORT_PATH]);
adminRoutes.use('/api/*', requireAdmin, (c, next) => (STREAMED.has(c.req.path) ? next() : adminBodyLimit(c, next)));
adminRoutes.route('/', adminSubscriberRoutes);
adminRoutes.route('/', adminIssueRoutes);
adminRoutes.route('/', adminArticleRoutes);
adminRoutes.route('/', mediaUploadRoutes);
adminRoutes.route('/', adminArchiveRoutes);
// The dashboard (/admin): its own session cookie and CSRF tokens, see dashboard.ts.
// The editor first: the dashboard's /admin/issues/:slug would otherwise answer /admin/issues/new.
adminRoutes.route('/', editorRoutes);
adminRoutes.route('/', dashboardRoutes);
