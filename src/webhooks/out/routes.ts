// Outgoing webhooks over the API: register an endpoint (its whsec_ secret is in this answer only),
// list them (with failing/disabled state), delete one, read its delivery log.
import { apiRoute, createApiRouter, error, json, problem, z } from '../../api/openapi';
import { Cursor, NextCursor, PageLimit, Timestamp } from '../../api/schemas';
import { createEndpoint, deleteEndpoint, deliveryLog, endpointExists, listEndpoints, urlProblem } from './endpoints';
import { WEBHOOK_EVENTS } from './events';

export const outgoingWebhookRoutes = createApiRouter();

const EventType = z.enum(WEBHOOK_EVENTS, { error: `each event must be one of ${WEBHOOK_EVENTS.join(', ')}.` });

const Endpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(EventType),
    createdAt: Timestamp,
    failingSince: Timestamp.nullable().openapi({ description: 'Every attempt has failed since then.' }),
    disabledAt: Timestamp.nullable().openapi({ description: 'Failed for 24 hours: nothing more is sent. Register it again once it works.' }),
    lastError: z.string().nullable(),
  })
  .openapi('WebhookEndpoint');

const IdParam = z.object({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' }, example: 'whe_0123456789abcdef' }) });
const NOT_FOUND = error('No such endpoint', ['not_found']);
const notFound = (id: string) => `There is no webhook endpoint "${id}". GET /api/webhooks lists them.`;

outgoingWebhookRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/webhooks',
    scope: 'webhooks:manage',
    tags: ['Webhooks'],
    summary: 'Register an endpoint for some events (its signing secret is shown in this answer only)',
    request: {
      body: {
        content: {
          'application/json': {
            schema: z.object({
              url: z.string({ error: 'url must be a string.' }).openapi({ format: 'uri', example: 'https://crm.example.com/hooks/newsletter', description: 'https:// (in local dev, also http:// to localhost).' }),
              events: z.array(EventType, { error: 'events must be a list of event types.' }).min(1, 'events must name at least one event.'),
            }),
          },
        },
        required: true,
      },
    },
    responses: { 201: json(Endpoint.extend({ secret: z.string().openapi({ description: 'whsec_…: verify `webhook-signature` with it (Standard Webhooks).' }) }).openapi('NewWebhookEndpoint'), 'Registered') },
  }),
  async (c) => {
    const { url, events } = c.req.valid('json');
    const problemText = urlProblem(url, c.get('config'));
    if (problemText) return problem(c, 400, 'invalid_url', problemText);
    c.header('Cache-Control', 'no-store');
    return c.json(await createEndpoint(c.get('db'), url, events), 201);
  },
);

outgoingWebhookRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/webhooks',
    scope: 'webhooks:manage',
    tags: ['Webhooks'],
    summary: 'Every endpoint, with whether it is failing or disabled (never the secret)',
    responses: { 200: json(z.object({ webhooks: z.array(Endpoint) }), 'The endpoints, newest first') },
  }),
  async (c) => c.json({ webhooks: await listEndpoints(c.get('db')) }, 200),
);

outgoingWebhookRoutes.openapi(
  apiRoute({
    method: 'delete',
    path: '/api/webhooks/{id}',
    scope: 'webhooks:manage',
    tags: ['Webhooks'],
    summary: 'Delete an endpoint and its delivery log',
    request: { params: IdParam },
    responses: { 204: { description: 'Deleted' }, 404: NOT_FOUND },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deleteEndpoint(c.get('db'), id))) return problem(c, 404, 'not_found', notFound(id));
    return c.body(null, 204);
  },
);

const Delivery = z
  .object({
    id: z.number().int(),
    webhookId: z.string().openapi({ description: 'The `webhook-id` header: the same on every attempt.' }),
    type: EventType,
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    createdAt: Timestamp,
    lastAttemptAt: Timestamp.nullable(),
    nextAttemptAt: Timestamp.nullable(),
    lastStatus: z.number().int().nullable().openapi({ description: 'HTTP status of the last answer; null when none came.' }),
    lastError: z.string().nullable(),
    deliveredAt: Timestamp.nullable(),
  })
  .openapi('WebhookDelivery');

outgoingWebhookRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/webhooks/{id}/deliveries',
    scope: 'webhooks:manage',
    tags: ['Webhooks'],
    summary: "An endpoint's delivery log, newest first",
    request: { params: IdParam, query: z.object({ limit: PageLimit, cursor: Cursor }) },
    responses: { 200: json(z.object({ deliveries: z.array(Delivery), nextCursor: NextCursor }), 'A page of deliveries'), 404: NOT_FOUND },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const db = c.get('db');
    if (!(await endpointExists(db, id))) return problem(c, 404, 'not_found', notFound(id));
    const log = await deliveryLog(db, id, cursor, limit);
    return c.json({ deliveries: log.deliveries.map((d) => ({ ...d, type: d.type as (typeof WEBHOOK_EVENTS)[number] })), nextCursor: log.nextCursor }, 200);
  },
);
