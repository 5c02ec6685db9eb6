// API keys over the API: create (the key is in this answer only), list (no secrets), delete (401 from
// then on). The dashboard's Integrations page does the same through src/admin/integrations.ts.
import { apiRoute, createApiRouter, error, json, problem, z } from '../api/openapi';
import { SCOPES } from '../api/scopes';
import { Timestamp } from '../api/schemas';
import { createKey, deleteKey, listKeys } from './store';

export const keyRoutes = createApiRouter();

const ScopeName = z.enum(SCOPES, { error: `each scope must be one of ${SCOPES.join(', ')}.` });
export const KeyName = z
  .string({ error: 'name must be a string: what the key is for, e.g. "CRM sync".' })
  .trim()
  .min(1, 'name must not be empty: say what the key is for, e.g. "CRM sync".')
  .max(100, 'name must be at most 100 characters.')
  .regex(/^[^\p{Cc}]*$/u, 'name must not contain control characters.');

const Key = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(ScopeName),
    prefix: z.string().openapi({ description: 'The first characters of the key, to tell keys apart.' }),
    createdAt: Timestamp,
    lastUsedAt: Timestamp.nullable(),
  })
  .openapi('ApiKey');

keyRoutes.openapi(
  apiRoute({
    method: 'post',
    path: '/api/keys',
    scope: 'keys:manage',
    tags: ['Keys'],
    summary: 'Create an API key (the key is shown in this answer only)',
    request: {
      body: {
        content: {
          'application/json': {
            schema: z.object({
              name: KeyName,
              scopes: z.array(ScopeName, { error: `scopes must be a list of ${SCOPES.join(', ')}.` }).min(1, 'scopes must name at least one scope.'),
            }),
          },
        },
        required: true,
      },
    },
    responses: { 201: json(Key.extend({ key: z.string().openapi({ description: 'Send as `Authorization: Bearer <key>`. Shown once: only its hash is kept.' }) }).openapi('NewApiKey'), 'Created') },
  }),
  async (c) => {
    const { name, scopes } = c.req.valid('json');
    c.header('Cache-Control', 'no-store');
    return c.json(await createKey(c.get('db'), name, scopes), 201);
  },
);

keyRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/keys',
    scope: 'keys:manage',
    tags: ['Keys'],
    summary: 'Every API key (never the key itself)',
    responses: { 200: json(z.object({ keys: z.array(Key) }), 'The keys, newest first') },
  }),
  async (c) => c.json({ keys: await listKeys(c.get('db')) }, 200),
);

keyRoutes.openapi(
  apiRoute({
    method: 'delete',
    path: '/api/keys/{id}',
    scope: 'keys:manage',
    tags: ['Keys'],
    summary: 'Delete an API key: it answers 401 from now on',
    request: { params: z.object({ id: z.string().max(100).openapi({ param: { name: 'id', in: 'path' }, example: 'key_AbCdEfGhIjKl' }) }) },
    responses: { 204: { description: 'Deleted' }, 404: error('No such key', ['not_found']) },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deleteKey(c.get('db'), id))) return problem(c, 404, 'not_found', `There is no API key "${id}". GET /api/keys lists them.`);
    return c.body(null, 204);
  },
);
