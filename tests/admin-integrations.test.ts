// The dashboard's Integrations page: create a key (shown once) and delete it, register a webhook
// endpoint (secret shown once) and read its delivery log; CSRF and the session as on every page.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call } from './support/helpers';
import { browser, signedInBrowser } from './support/dashboard';

describe('/admin/integrations', () => {
  it('needs a session', async () => {
    const response = await browser().get('/admin/integrations');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin?next=%2Fadmin%2Fintegrations');
  });

  it('creates a key shown once, lists it without the secret, deletes it (then 401)', async () => {
    const b = await signedInBrowser();
    const created = await b.post('/admin/integrations/keys', { _csrf: b.csrf, name: 'Zapier', 'scope:subscribers:read': 'on', 'scope:issues:read': 'on' });
    expect(created.status).toBe(201);
    const page = await created.text();
    const key = /nlk_[A-Za-z0-9_-]{43}/.exec(page)?.[0];
    expect(key).toBeDefined();
    expect((await call('/api/subscribers', { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await call('/api/keys', { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
    const listing = await (await b.get('/admin/integrations')).text();
    expect(listing).toContain('Zapier');
    expect(listing).toContain('subscribers:read, issues:read');
    expect(listing).not.toContain(key!);
    const id = (await env.DB.prepare("SELECT id FROM api_keys WHERE name = 'Zapier'").first<{ id: string }>())!.id;
    expect((await b.post(`/admin/integrations/keys/${id}/delete`, { _csrf: 'forged' })).status).toBe(403);
    const deleted = await b.post(`/admin/integrations/keys/${id}/delete`, { _csrf: b.csrf });
    expect([deleted.status, deleted.headers.get('location')]).toEqual([303, '/admin/integrations?done=key-deleted']);
    expect((await call('/api/subscribers', { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });

  it('refuses a key without a name or scope, and an endpoint with a bad URL, saying why', async () => {
    const b = await signedInBrowser();
    const noScope = await b.post('/admin/integrations/keys', { _csrf: b.csrf, name: 'nothing' });
    expect(noScope.status).toBe(400);
    expect(await noScope.text()).toContain('Tick at least one scope.');
    const badUrl = await b.post('/admin/integrations/webhooks', { _csrf: b.csrf, url: 'http://example.com/x', 'event:issue.sent': 'on' });
    expect(badUrl.status).toBe(400);
    expect(await badUrl.text()).toContain('https://');
  });

  it('registers an endpoint (secret shown once) and shows its state and delivery log', async () => {
    const b = await signedInBrowser();
    const created = await b.post('/admin/integrations/webhooks', { _csrf: b.csrf, url: 'https://hooks.example.com/dash', 'event:issue.sent': 'on', 'event:subscriber.created': 'on' });
    expect(created.status).toBe(201);
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec(await created.text())?.[0];
    expect(secret).toBeDefined();
    const row = (await env.DB.prepare("SELECT id FROM webhook_endpoints WHERE url = 'https://hooks.example.com/dash'").first<{ id: string }>())!;
    await env.DB.prepare('UPDATE webhook_endpoints SET disabled_at = ?1, last_error = ?2 WHERE id = ?3').bind(Date.now(), 'HTTP 500: down', row.id).run();
    const listing = await (await b.get('/admin/integrations')).text();
    expect(listing).toContain('https://hooks.example.com/dash');
    expect(listing).toContain('badge--disabled');
    expect(listing).toContain('HTTP 500: down');
    expect(listing).not.toContain(secret!);
    const log = await b.get(`/admin/integrations/webhooks/${row.id}`);
    expect(log.status).toBe(200);
    expect(await log.text()).toContain('Nothing sent yet.');
    expect((await b.get('/admin/integrations/webhooks/whe_nope')).status).toBe(404);
  });
});
