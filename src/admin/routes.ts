// The dashboard (/admin): its own session cookie and CSRF tokens, see dashboard.ts. The admin API
// (/api/*) is composed in src/api/routes.ts.
import { Hono } from 'hono';
import type { AppEnv } from '../http/types';
import { dashboardRoutes } from './dashboard';
import { editorRoutes } from './editor';
import { integrationRoutes } from './integrations';

export const adminRoutes = new Hono<AppEnv>();

// The editor first: the dashboard's /admin/issues/:slug would otherwise answer /admin/issues/new.
adminRoutes.route('/', editorRoutes);
adminRoutes.route('/', dashboardRoutes);
adminRoutes.route('/', integrationRoutes);
