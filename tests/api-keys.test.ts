// API keys and scopes: a key is stored as a hash and shown once, lists without secrets, records when
// it was last used, answers 401 once deleted, and opens exactly the routes of its scopes. The scope
// table is read from GET /api/openapi.json, so every /api route (a late one included) is in it.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '../src/api/scopes';
import { admin, adminJson } from './support/admin';
import { call, waitFor } from './support/helpers';

type NewKey = { id: string; name: string; scopes: Scope[]; key: string; prefix: string; createdAt: string; lastUsedAt: string | null };

async function createKey(name: string, scopes: readonly Scope[]): Promise<NewKey> {
  const response = await admin('/api/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, scopes }) });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json();
}

const withKey = (key: string, path: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return call(path, { ...init, headers });
};

describe('API keys', () => {
  it('shows the key once, keeps only its SHA-256, and lists keys without secrets', async () => {
    const created = await createKey('CRM sync', ['subscribers:read']);
    expect(created.key).toMatch(/^nlk_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: 'CRM sync', scopes: ['subscribers:read'], lastUsedAt: null });
    const row = await env.DB.prepare('SELECT * FROM api_keys WHERE id = ?1').bind(created.id).first<Record<string, unknown>>();
    const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(created.key)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(row?.key_hash).toBe(digest);
    expect(Object.values(row!).some((v) => typeof v === 'string' && v.includes(created.key.slice(10)))).toBe(false);
    const { keys } = await adminJson<{ keys: Record<string, unknown>[] }>('/api/keys');
    const listed = keys.find((k) => k.id === created.id)!;
    expect(listed).toEqual({ id: created.id, name: 'CRM sync', scopes: ['subscribers:read'], prefix: created.prefix, createdAt: created.createdAt, lastUsedAt: null });
    expect(JSON.stringify(keys)).not.toContain(created.key);
  });

  it('records lastUsedAt, and a deleted key answers 401 at once', async () => {
    const { id, key } = await createKey('script', ['subscribers:read']);
    expect((await withKey(key, '/api/subscribers')).status).toBe(200);
    await waitFor(async () => (await adminJson<{ keys: NewKey[] }>('/api/keys')).keys.find((k) => k.id === id)?.lastUsedAt, 'lastUsedAt');
    expect((await admin(`/api/keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await withKey(key, '/api/subscribers');
    expect(after.status).toBe(401);
    expect((await after.json<any>()).error.code).toBe('unauthorized');
    expect((await admin(`/api/keys/${id}`, { method: 'DELETE' })).status).toBe(404);
    // Near misses of a real key are not keys.
    const other = await createKey('other', ['subscribers:read']);
    for (const wrong of [other.key.slice(0, -1), `${other.key}x`, other.key.toUpperCase(), other.prefix]) expect((await withKey(wrong, '/api/subscribers')).status).toBe(401);
  });

  it('refuses a bad name or scope list with 400 and stores nothing', async () => {
    const before = await env.DB.prepare('SELECT count(*) AS n FROM api_keys').first<{ n: number }>();
    const cases: [unknown, string][] = [
      [{ name: 'x', scopes: ['everything'] }, 'invalid_scopes'],
      [{ name: 'x', scopes: [] }, 'invalid_scopes'],
      [{ name: 'x' }, 'invalid_scopes'],
      [{ name: '', scopes: ['issues:read'] }, 'invalid_name'],
      [{ name: 'a\u0000b', scopes: ['issues:read'] }, 'invalid_name'],
      [{ name: 'x'.repeat(101), scopes: ['issues:read'] }, 'invalid_name'],
      [['issues:read'], 'invalid_json'],
    ];
    for (const [body, code] of cases) {
      const response = await admin('/api/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json<any>()).error.code, JSON.stringify(body)).toBe(code);
    }
    const malformed = await admin('/api/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect([malformed.status, (await malformed.json<any>()).error.code]).toEqual([400, 'invalid_json']);
    const wrongType = await admin('/api/keys', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect([wrongType.status, (await wrongType.json<any>()).error.code]).toEqual([415, 'unsupported_media_type']);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM api_keys').first<{ n: number }>()).toEqual(before);
  });
});

describe('scopes on every route (from the spec)', () => {
  type Operation = { method: string; path: string; scope: Scope };

  async function operations(): Promise<Operation[]> {
    const spec = await (await call('/api/openapi.json')).json<any>();
    const ops: Operation[] = [];
    for (const [path, item] of Object.entries<any>(spec.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const scopes: string[] = op.security?.[0]?.bearer ?? [];
        expect(scopes.length, `${method} ${path} declares no scope`).toBe(1);
        ops.push({ method: method.toUpperCase(), path, scope: scopes[0] as Scope });
      }
    }
    return ops;
  }

  /** A request to the route that changes nothing when allowed: unknown ids and slugs, empty bodies. */
  function request(op: Operation): [string, RequestInit] {
    const path = op.path.replace('{slug}', 'no-such-article').replace('{email}', 'nobody%40scopes.example').replace('{id}', 'no_such_id');
    const init: RequestInit = { method: op.method };
    if (op.method === 'POST' || op.method === 'PUT') init.headers = { 'content-type': 'application/json' };
    if (op.method === 'POST' || op.method === 'PUT') init.body = '{}';
    return [path, init];
  }

  it('every route names one scope; a key without it gets 403 insufficient_scope, with it gets in; the owner gets in everywhere', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThanOrEqual(15);
    const only = new Map<Scope, string>();
    const allBut = new Map<Scope, string>();
    for (const scope of SCOPES) {
      only.set(scope, (await createKey(`only ${scope}`, [scope])).key);
      allBut.set(scope, (await createKey(`all but ${scope}`, SCOPES.filter((s) => s !== scope))).key);
    }
    const table: string[] = [];
    for (const op of ops) {
      const [path, init] = request(op);
      const refused = await withKey(allBut.get(op.scope)!, path, init);
      expect(refused.status, `${op.method} ${op.path} without ${op.scope}`).toBe(403);
      expect((await refused.json<any>()).error.code).toBe('insufficient_scope');
      for (const [who, response] of [
        ['key', await withKey(only.get(op.scope)!, path, init)],
        ['owner', await admin(path, init)],
      ] as const) {
        expect([401, 403, 500], `${op.method} ${op.path} as ${who} with ${op.scope}: ${await response.clone().text()}`).not.toContain(response.status);
      }
      table.push(`${op.method} ${op.path}: ${op.scope}`);
    }
    // Anything without a token, or with one that is not a credential, is 401 whatever the scope.
    for (const op of ops) {
      const [path, init] = request(op);
      expect((await call(path, init)).status, `${op.method} ${op.path} with no token`).toBe(401);
    }
    // Deny by default: where no route declares a scope (an old-style route not yet converted, or
    // nothing at all), a key gets 403 even holding every scope; the owner gets the route's own answer.
    const everything = (await createKey('every scope', SCOPES)).key;
    const undeclared = await withKey(everything, '/api/no-such-route');
    expect([undeclared.status, (await undeclared.json<any>()).error.code]).toEqual([403, 'insufficient_scope']);
    expect((await admin('/api/no-such-route')).status).toBe(404);
    console.log(`scope table (${table.length} routes):\n${table.join('\n')}`);
  });
});
