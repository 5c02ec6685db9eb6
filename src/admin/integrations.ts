// The dashboard's Integrations page (/admin/integrations): API keys and webhook endpoints, over the
// same logic as /api/keys and /api/webhooks (src/keys/store.ts, src/webhooks/out/endpoints.ts) and
// the same input rules (the API's schemas). Session and CSRF as every dashboard form (dashboard.ts).
import { Hono } from 'hono';
import { SCOPES } from '../api/scopes';
import type { Fields } from '../http/body';
import { site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { createKey, deleteKey, listKeys } from '../keys/store';
import { KeyName } from '../keys/routes';
import { Cursor } from '../api/schemas';
import { createEndpoint, deleteEndpoint, deliveryLog, listEndpoints, urlProblem } from '../webhooks/out/endpoints';
import { WEBHOOK_EVENTS } from '../webhooks/out/events';
import { action, adminFail, guarded, html } from './dashboard';
import { DeliveriesPage, IntegrationsPage, type IntegrationsPageProps } from './pages/integrations';

export const integrationRoutes = new Hono<AppEnv>();

const NOTICES: Record<string, string> = {
  'key-deleted': 'The key is deleted: it answers 401 from now on.',
  'webhook-deleted': 'The endpoint and its delivery log are deleted.',
};

type Ctx = Parameters<Parameters<typeof guarded>[0]>[0];
type Signed = Parameters<Parameters<typeof guarded>[0]>[1];

async function render(c: Ctx, s: Signed, extra: Partial<IntegrationsPageProps> = {}, status: 200 | 400 | 201 = 200) {
  const [keys, endpoints] = await Promise.all([listKeys(s.db), listEndpoints(s.db)]);
  const notice = NOTICES[c.req.query('done') ?? ''] ?? null;
  return html(c, IntegrationsPage({ site: site(c), csrf: s.csrf, keys, endpoints, notice, localDev: c.get('config').isLocalDev, ...extra }), status);
}

/** The boxes ticked among `prefix:<value>` checkboxes. */
function ticked<T extends string>(fields: Fields, prefix: string, values: readonly T[]): T[] {
  return values.filter((v) => fields[`${prefix}:${v}`] !== undefined);
}

integrationRoutes.get('/admin/integrations', guarded((c, s) => render(c, s)));

integrationRoutes.post(
  '/admin/integrations/keys',
  action(async (c, s, fields) => {
    const name = KeyName.safeParse(fields.name);
    const scopes = ticked(fields, 'scope', SCOPES);
    const problem = !name.success ? name.error.issues[0].message : scopes.length === 0 ? 'Tick at least one scope.' : null;
    if (problem) {
      if (wantsJson(c)) return adminFail(c, 400, name.success ? 'invalid_scopes' : 'invalid_name', problem, 'Not created', s.csrf);
      return render(c, s, { error: `The key was not created: ${problem}` }, 400);
    }
    const created = await createKey(s.db, name.data!, scopes);
    c.header('Cache-Control', 'no-store');
    if (wantsJson(c)) return c.json(created, 201);
    return render(c, s, { created: { kind: 'key', name: created.name, secret: created.key } }, 201);
  }),
);

integrationRoutes.post(
  '/admin/integrations/keys/:id/delete',
  action(async (c, s) => {
    const deleted = await deleteKey(s.db, c.req.param('id') ?? '');
    if (!deleted) return adminFail(c, 404, 'not_found', 'There is no such key (deleted already?).', 'Not found', s.csrf);
    return wantsJson(c) ? c.body(null, 204) : c.redirect('/admin/integrations?done=key-deleted', 303);
  }),
);

integrationRoutes.post(
  '/admin/integrations/webhooks',
  action(async (c, s, fields) => {
    const url = typeof fields.url === 'string' ? fields.url.trim() : '';
    const events = ticked(fields, 'event', WEBHOOK_EVENTS);
    const problem = urlProblem(url, c.get('config')) ?? (events.length === 0 ? 'Tick at least one event.' : null);
    if (problem) {
      if (wantsJson(c)) return adminFail(c, 400, events.length === 0 ? 'invalid_events' : 'invalid_url', problem, 'Not added', s.csrf);
      return render(c, s, { error: `The endpoint was not added: ${problem}` }, 400);
    }
    const created = await createEndpoint(s.db, url, events);
    c.header('Cache-Control', 'no-store');
    if (wantsJson(c)) return c.json(created, 201);
    return render(c, s, { created: { kind: 'webhook', name: created.url, secret: created.secret } }, 201);
  }),
);

integrationRoutes.post(
  '/admin/integrations/webhooks/:id/delete',
  action(async (c, s) => {
    const deleted = await deleteEndpoint(s.db, c.req.param('id') ?? '');
    if (!deleted) return adminFail(c, 404, 'not_found', 'There is no such endpoint (deleted already?).', 'Not found', s.csrf);
    return wantsJson(c) ? c.body(null, 204) : c.redirect('/admin/integrations?done=webhook-deleted', 303);
  }),
);

integrationRoutes.get(
  '/admin/integrations/webhooks/:id',
  guarded(async (c, s) => {
    const id = c.req.param('id') ?? '';
    const endpoint = (await listEndpoints(s.db)).find((e) => e.id === id);
    if (!endpoint) return adminFail(c, 404, 'not_found', 'There is no such endpoint. The Integrations page lists them.', 'Not found', s.csrf);
    const cursor = Cursor.safeParse(c.req.query('cursor'));
    if (!cursor.success) return adminFail(c, 400, 'invalid_cursor', 'That page link is broken: start from the first page.', 'Not found', s.csrf);
    const log = await deliveryLog(s.db, id, cursor.data, 50);
    if (wantsJson(c)) return c.json(log);
    const nextHref = log.nextCursor ? `/admin/integrations/webhooks/${encodeURIComponent(id)}?cursor=${log.nextCursor}` : null;
    return html(c, DeliveriesPage({ site: site(c), csrf: s.csrf, endpoint, deliveries: log.deliveries, nextHref }));
  }),
);
