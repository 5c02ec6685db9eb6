// The API against its own description: GET /api/openapi.json is OpenAPI 3.1 with every /api route,
// and every answer a table of real calls gets (successes and errors, through the Worker with real D1)
// validates against the schema the spec declares for that route and status, checked by a JSON Schema
// validator nobody here wrote (@cfworker/json-schema: no code generation, so it runs in workerd).
// A route in the spec that no case calls fails the test, so a new route needs a case here.
// (The spec is also checked against the OpenAPI 3.1 meta-schema by @readme/openapi-parser in Node:
// tests/client/run.ts.)
import { Validator } from '@cfworker/json-schema';
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { allArticles } from '../src/issues/catalog';
import { admin, importCsv } from './support/admin';
import { call, subscribeAndConfirm } from './support/helpers';

type Spec = { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, any> } };

/** Inlines `#/components/schemas/X` references (the validator gets one self-contained schema). */
function deref(node: unknown, spec: Spec): unknown {
  if (Array.isArray(node)) return node.map((n) => deref(n, spec));
  if (node && typeof node === 'object') {
    const ref = (node as { $ref?: string }).$ref;
    if (ref) return deref(spec.components.schemas[ref.replace('#/components/schemas/', '')], spec);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(v, spec)]));
  }
  return node;
}

/** The spec path template a concrete path matches. */
function templateOf(spec: Spec, method: string, path: string): string | undefined {
  return Object.keys(spec.paths).find((t) => spec.paths[t][method] && new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
}

const ARTICLE = '---\ntitle: "Conformance"\ndate: 2026-12-01\nsummary: "An article written through the API"\n---\n\nA paragraph.\n';
/** A PNG's signature and IHDR chunk (1×1). */
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0, 0, 0, 0]);

const json = (body: unknown): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A Ghost JSON export of one published post and one draft (the archive import's layout). */
const GHOST_EXPORT = JSON.stringify({
  db: [
    {
      meta: { exported_on: 1700000000000, version: '5.80.0' },
      data: {
        posts: [
          { id: 'c1', uuid: 'u1', title: 'Back Issue', slug: 'conformance-back-issue', html: '<p>From before.</p>', status: 'published', type: 'post', visibility: 'public', published_at: '2023-01-10T12:00:00.000Z', custom_excerpt: 'Old news' },
          { id: 'c2', uuid: 'u2', title: 'Draft', slug: 'conformance-draft', html: '<p>Not yet</p>', status: 'draft', type: 'post', visibility: 'public', published_at: null },
        ],
      },
    },
  ],
});

describe('the API conforms to GET /api/openapi.json', () => {
  it('is OpenAPI 3.1 with bearer auth, public, and lists the contract routes', async () => {
    const response = await call('/api/openapi.json');
    expect(response.status).toBe(200);
    const spec = await response.json<Spec>();
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [method, path] of [
      ['get', '/api/subscribers'],
      ['get', '/api/subscribers/export'],
      ['post', '/api/subscribers/import'],
      ['delete', '/api/subscribers/{email}/suppression'],
      ['delete', '/api/subscribers/{email}'],
      ['get', '/api/issues'],
      ['post', '/api/issues/{slug}/send'],
      ['post', '/api/issues/{slug}/test'],
      ['get', '/api/issues/{slug}/stats'],
      ['post', '/api/issues/{slug}/retry-failed'],
      ['post', '/api/issues/{slug}/resume'],
      ['post', '/api/issues/{slug}/cancel'],
      ['post', '/api/keys'],
      ['get', '/api/keys'],
      ['delete', '/api/keys/{id}'],
      ['post', '/api/webhooks'],
      ['get', '/api/webhooks'],
      ['delete', '/api/webhooks/{id}'],
      ['get', '/api/webhooks/{id}/deliveries'],
      ['put', '/api/issues/{slug}'],
      ['get', '/api/issues/{slug}'],
      ['delete', '/api/issues/{slug}'],
      ['post', '/api/issues/{slug}/schedule'],
      ['delete', '/api/issues/{slug}/schedule'],
      ['post', '/api/media'],
      ['post', '/api/archive/import'],
    ]) {
      expect(spec.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      for (const status of ['401', '403']) expect(spec.paths[path][method].responses[status], `${method} ${path} ${status}`).toBeDefined();
    }
  });

  it('every answer of every route validates against its declared schema', async () => {
    const spec = await (await call('/api/openapi.json')).json<Spec>();
    const article = allArticles()[0];
    await subscribeAndConfirm('conform@conformance.example', 'Conform');
    await importCsv('email,name\nbounce@conformance.example,B\n', 'confirmed');
    await env.DB.prepare("UPDATE subscribers SET status = 'bounced' WHERE email = 'bounce@conformance.example'").run();
    const key = await (await admin('/api/keys', { method: 'POST', ...json({ name: 'conformance', scopes: ['issues:read'] }) })).json<{ id: string; key: string }>();
    const hook = await (await admin('/api/webhooks', { method: 'POST', ...json({ url: 'https://hooks.example.com/newsletter', events: ['issue.sent'] }) })).json<{ id: string }>();

    const asKey = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key.key}` } });
    const cases: [string, string, RequestInit?][] = [
      ['GET', '/api/subscribers'],
      ['GET', '/api/subscribers?status=confirmed&limit=1'],
      ['GET', '/api/subscribers?limit=0'],
      ['GET', '/api/subscribers?cursor=garbage'],
      ['GET', '/api/subscribers', asKey()],
      ['GET', '/api/subscribers/export'],
      ['GET', '/api/subscribers/export?status=nope'],
      ['POST', '/api/subscribers/import', { headers: { 'content-type': 'text/csv' }, body: 'email\nnew@conformance.example\nnot-an-address\n' }],
      ['POST', '/api/subscribers/import', { headers: { 'content-type': 'text/plain' }, body: 'x' }],
      ['POST', '/api/subscribers/import?status=bogus', { headers: { 'content-type': 'text/csv' }, body: 'email\n' }],
      ['POST', '/api/subscribers/import?dry_run=1', { headers: { 'content-type': 'text/csv' }, body: 'Email Address,First Name,Last Name,UNSUB_TIME\nleft@conformance.example,Le,Ft,2024-01-01 00:00:00\n' }],
      ['POST', '/api/subscribers/import?dry_run=maybe', { headers: { 'content-type': 'text/csv' }, body: 'email\n' }],
      ['POST', '/api/archive/import?dry_run=1&site_url=https://old.conformance.example', { headers: { 'content-type': 'application/json' }, body: GHOST_EXPORT }],
      ['POST', '/api/archive/import', { headers: { 'content-type': 'application/json' }, body: GHOST_EXPORT }],
      ['POST', '/api/archive/import?site_url=javascript:alert(1)', { headers: { 'content-type': 'application/json' }, body: GHOST_EXPORT }],
      ['POST', '/api/archive/import', { headers: { 'content-type': 'application/octet-stream' }, body: 'neither a zip nor JSON' }],
      ['DELETE', '/api/subscribers/bounce%40conformance.example/suppression'],
      ['DELETE', '/api/subscribers/conform%40conformance.example/suppression'],
      ['DELETE', '/api/subscribers/not-an-address/suppression'],
      ['DELETE', '/api/subscribers/new%40conformance.example'],
      ['GET', '/api/issues'],
      ['GET', '/api/issues', asKey()],
      ['GET', `/api/issues/${article.slug}/stats`],
      ['GET', '/api/issues/no-such-article/stats'],
      ['GET', `/api/issues/${article.slug}/recipients?status=failed`],
      ['GET', `/api/issues/${article.slug}/recipients?status=sent`],
      ['POST', `/api/issues/${article.slug}/test`, json({ to: 'editor@conformance.example' })],
      ['POST', `/api/issues/${article.slug}/test`, json({ to: 'nope' })],
      ['POST', `/api/issues/${article.slug}/test`, { headers: { 'content-type': 'application/json' }, body: '{' }],
      ['POST', `/api/issues/${article.slug}/resume`],
      ['POST', `/api/issues/${article.slug}/cancel`],
      ['POST', `/api/issues/${article.slug}/retry-failed`],
      ['POST', `/api/issues/${article.slug}/send`, asKey()],
      ['POST', `/api/issues/${article.slug}/send`],
      ['POST', `/api/issues/${article.slug}/send`],
      ['POST', '/api/issues/no-such-article/send'],
      ['POST', `/api/issues/${article.slug}/retry-failed`],
      ['PUT', '/api/issues/conformance-issue', { headers: { 'content-type': 'text/markdown' }, body: ARTICLE }],
      ['PUT', '/api/issues/conformance-issue', { headers: { 'content-type': 'text/markdown' }, body: ARTICLE }],
      ['PUT', '/api/issues/conformance-issue', { headers: { 'content-type': 'text/markdown' }, body: '---\ntitle: ""\n---\nno date' }],
      ['PUT', '/api/issues/conformance-issue', { headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['PUT', `/api/issues/${article.slug}`, { headers: { 'content-type': 'text/markdown' }, body: ARTICLE }],
      ['GET', '/api/issues/conformance-issue'],
      ['GET', '/api/issues/no-such-article'],
      ['GET', '/api/issues/Not_A_Slug'],
      ['POST', '/api/issues/conformance-issue/schedule', json({ sendAt: new Date(Date.now() + 86_400_000).toISOString() })],
      ['POST', '/api/issues/conformance-issue/schedule', json({ sendAt: '2020-01-01T00:00:00Z' })],
      ['DELETE', '/api/issues/conformance-issue/schedule'],
      ['DELETE', '/api/issues/no-such-article/schedule'],
      ['DELETE', '/api/issues/conformance-issue'],
      ['DELETE', '/api/issues/conformance-issue'],
      ['POST', '/api/media', { headers: { 'content-type': 'image/png' }, body: PNG }],
      ['POST', '/api/media', { headers: { 'content-type': 'image/png' }, body: 'not an image' }],
      ['POST', '/api/media', { headers: { 'content-type': 'text/html' }, body: PNG }],
      ['GET', '/api/keys'],
      ['POST', '/api/keys', json({ name: 'second', scopes: ['subscribers:read', 'webhooks:manage'] })],
      ['POST', '/api/keys', json({ name: 'bad', scopes: ['root'] })],
      ['DELETE', `/api/keys/${key.id}`],
      ['DELETE', '/api/keys/key_nope'],
      ['GET', '/api/webhooks'],
      ['POST', '/api/webhooks', json({ url: 'https://hooks.example.com/second', events: ['subscriber.created'] })],
      ['POST', '/api/webhooks', json({ url: 'http://hooks.example.com/x', events: ['subscriber.created'] })],
      ['GET', `/api/webhooks/${hook.id}/deliveries`],
      ['GET', `/api/webhooks/${hook.id}/deliveries?limit=x`],
      ['GET', '/api/webhooks/whe_nope/deliveries'],
      ['DELETE', `/api/webhooks/${hook.id}`],
      ['DELETE', `/api/webhooks/${hook.id}`],
      ['GET', '/api/issues', { headers: { authorization: 'Bearer wrong' } }],
    ];
    // The validator does refuse a wrong answer (so a pass below means something).
    const listSchema = deref(spec.paths['/api/subscribers'].get.responses['200'].content['application/json'].schema, spec) as object;
    expect(new Validator(listSchema, '2020-12', false).validate({ subscribers: [{ email: 'a@b.example' }], nextCursor: null }).valid).toBe(false);
    expect(new Validator(listSchema, '2020-12', false).validate({ subscribers: [], nextCursor: null }).valid).toBe(true);
    const covered = new Set<string>();
    const seen: string[] = [];
    for (const [method, path, init = {}] of cases) {
      const response = init.headers && 'authorization' in (init.headers as object) ? await call(path, { method, ...init }) : await admin(path, { method, ...init });
      const m = method.toLowerCase();
      const template = templateOf(spec, m, new URL(path, 'http://x').pathname);
      expect(template, `${method} ${path} is not in the spec`).toBeDefined();
      covered.add(`${m} ${template}`);
      const declared = spec.paths[template!][m].responses[String(response.status)];
      const body = await response.text();
      expect(declared, `${method} ${path} answered ${response.status}, which the spec does not declare: ${body}`).toBeDefined();
      const type = (response.headers.get('content-type') ?? '').split(';')[0];
      if (!declared.content) {
        expect(body, `${method} ${path} ${response.status} declares no body`).toBe('');
        continue;
      }
      expect(Object.keys(declared.content), `${method} ${path} ${response.status} content type`).toContain(type);
      if (type !== 'application/json') continue;
      const result = new Validator(deref(declared.content[type].schema, spec) as object, '2020-12', false).validate(JSON.parse(body));
      expect(result.valid, `${method} ${path} ${response.status}: ${JSON.stringify(result.errors.slice(0, 3))}\n${body}`).toBe(true);
      seen.push(`${method} ${path} → ${response.status}`);
    }
    const operations = Object.entries(spec.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    expect(operations.filter((op) => !covered.has(op)), 'routes of the spec no case calls').toEqual([]);
    console.log(`conformance: ${seen.length} answers over ${operations.length} routes validated`);
  });

  it('GET /api/docs is public and loads nothing from another host', async () => {
    const page = await call('/api/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:\/\//);
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).every((url) => url.startsWith('/'))).toBe(true);
    const bundle = await call('/api/docs/scalar.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect((await bundle.text()).length).toBeGreaterThan(1_000_000);
    const init = await (await call('/api/docs/init.js')).text();
    expect(init).toContain('/api/openapi.json');
    expect(init).toContain('"withDefaultFonts":false');
  });
});
