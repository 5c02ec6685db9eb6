// The main flows through a typed client generated from the spec (openapi-typescript + openapi-fetch).
// Every call here is checked by the compiler against generated/api.d.ts: a path, parameter, body or
// field the spec does not declare is a type error (run.ts type-checks this file before running it).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import createClient from 'openapi-fetch';
import { Webhook } from 'standardwebhooks';
import type { paths } from './generated/api';

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export async function runFlows(base: string, token: string, log: (line: string) => void): Promise<void> {
  const owner = createClient<paths>({ baseUrl: base, headers: { authorization: `Bearer ${token}` } });
  const run = Date.now().toString(36);

  // An API key with two scopes, shown once.
  const made = await owner.POST('/api/keys', { body: { name: `typed client ${run}`, scopes: ['subscribers:read', 'subscribers:write', 'issues:read', 'webhooks:manage'] } });
  check(made.response.status === 201 && made.data, `POST /api/keys: ${made.response.status} ${JSON.stringify(made.error)}`);
  const key = made.data.key;
  check(key.startsWith('nlk_'), 'the key looks like a key');
  const client = createClient<paths>({ baseUrl: base, headers: { authorization: `Bearer ${key}` } });
  log(`flow: key ${made.data.prefix}… created with ${made.data.scopes.join(', ')}`);

  // Its scopes hold: managing keys is not one of them.
  const refused = await client.GET('/api/keys');
  check(refused.response.status === 403 && refused.error?.error.code === 'insufficient_scope', `GET /api/keys with the key: ${refused.response.status}`);

  // A webhook endpoint on a loopback receiver, then a sign-up through the public form API.
  const deliveries: { headers: Record<string, string>; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      deliveries.push({ headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const hook = await client.POST('/api/webhooks', { body: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['subscriber.created'] } });
    check(hook.response.status === 201 && hook.data, `POST /api/webhooks: ${hook.response.status} ${JSON.stringify(hook.error)}`);
    const email = `typed-${run}@client.example`;
    const signup = await fetch(`${base}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email }) });
    check(signup.status === 202, `POST /subscribe: ${signup.status}`);
    const deadline = Date.now() + 20_000;
    while (deliveries.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    check(deliveries.length > 0, 'no webhook arrived within 20 s');
    const event = new Webhook(hook.data.secret).verify(deliveries[0].body, deliveries[0].headers) as { type: string; data: { email: string } };
    check(event.type === 'subscriber.created' && event.data.email === email, `webhook: ${deliveries[0].body}`);
    log('flow: a sign-up reached the registered endpoint as subscriber.created, signature verified (standardwebhooks)');
    const log_ = await client.GET('/api/webhooks/{id}/deliveries', { params: { path: { id: hook.data.id } } });
    check(log_.data?.deliveries[0]?.webhookId === deliveries[0].headers['webhook-id'], 'the delivery log names the webhook-id that arrived');
    await client.DELETE('/api/webhooks/{id}', { params: { path: { id: hook.data.id } } });
  } finally {
    receiver.close();
  }

  // An import (CSV body) and the list, filtered and paged.
  const imported = await client.POST('/api/subscribers/import', {
    params: { query: { status: 'confirmed' } },
    body: `email,name\nimported-${run}@client.example,Typed Reader\n`,
    bodySerializer: (body) => body,
    headers: { 'content-type': 'text/csv' },
  });
  check(imported.data?.imported === 1, `import: ${imported.response.status} ${JSON.stringify(imported.data ?? imported.error)}`);
  let cursor: string | undefined;
  let found = false;
  do {
    const page = await client.GET('/api/subscribers', { params: { query: { status: 'confirmed', limit: 100, cursor } } });
    check(page.data, `GET /api/subscribers: ${page.response.status}`);
    found ||= page.data.subscribers.some((s) => s.email === `imported-${run}@client.example` && s.name === 'Typed Reader');
    cursor = page.data.nextCursor ?? undefined;
  } while (cursor && !found);
  check(found, 'the imported reader is listed as confirmed');
  log('flow: CSV import, then the reader found in the paged, filtered list');

  // A bad request gets the contract's error, typed.
  const bad = await client.GET('/api/subscribers', { params: { query: { limit: 0 } } });
  check(bad.response.status === 400 && bad.error?.error.code === 'invalid_limit', `limit=0: ${bad.response.status}`);

  // Issues and their stats.
  const issues = await client.GET('/api/issues');
  check(issues.data && issues.data.issues.length > 0, 'GET /api/issues lists the articles');
  const first = issues.data.issues[0];
  const stats = await client.GET('/api/issues/{slug}/stats', { params: { path: { slug: first.slug } } });
  check(stats.data && typeof stats.data.recipients === 'number', `stats of ${first.slug}: ${stats.response.status}`);
  log(`flow: ${issues.data.issues.length} issue(s); "${first.slug}" is ${stats.data.status}`);

  // @ts-expect-error: a path the spec does not have is a compile error, not a runtime surprise.
  void client.GET('/api/no-such-route');

  // The owner deletes the key: it stops working at once.
  const gone = await owner.DELETE('/api/keys/{id}', { params: { path: { id: made.data.id } } });
  check(gone.response.status === 204, `DELETE /api/keys/{id}: ${gone.response.status}`);
  const after = await client.GET('/api/issues');
  check(after.response.status === 401, `a deleted key: ${after.response.status}`);
  log('flow: a deleted key answers 401');
}
