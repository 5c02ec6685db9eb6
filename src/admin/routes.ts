// The dashboard (/admin): its own session cookie and CSRF tokens, see dashboard.ts. The admin API
// (/api/*) is composed in src/api/routes.ts.
import { Hono } from 'hono';
import type { AppEnv } from '../http/types';
import { dashboardRoutes } from './dashboard';
import { integrationRoutes } from './integrations';

export const adminRoutes = new Hono<AppEnv>();

adminRoutes.route('/', dashboardRoutes);
adminRoutes.route('/', integrationRoutes);
