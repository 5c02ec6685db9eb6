/**
 * Self-check of the fake Resend server.
 *
 *   npx tsx tests/support/node/fake-resend.selftest.ts
 *
 * Starts the server, drives it with the real `resend` SDK and with plain fetch,
 * asserts each documented behaviour, prints `N passed, M failed` and exits non-zero
 * on failure.
 */
import assert from 'node:assert/strict';
import { Resend } from 'resend';
import { startFakeResend, type FakeResend, type FakeResendOptions, type FakeResendState } from './fake-resend.ts';

const KEY = 're_test_key';
/** Options every test starts from (the server is reset and reconfigured before each test). */
const BASE: FakeResendOptions = {
  ratePerSecond: 0,
  latencyMs: 0,
  faults: { rateLimited: 0, serverError: 0, lostAnswer: 0 },
  seed: 1,
  invalidRecipients: [],
  apiKey: KEY,
  keepBodies: true,
  limiter: 'token',
  jitterMs: 0,
  foreignLoad: null,
  suppressed: [],
  suppressedComplaints: [],
  failAccepted: null,
  webhooks: null,
};

/** An SDK email (camelCase) with both bodies, so it satisfies the SDK's CreateEmailOptions. */
interface Email {
  from: string;
  to: string | string[];
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
  replyTo?: string | string[];
  tags?: { name: string; value: string }[];
}

const email = (i: number, extra: Partial<Email> = {}): Email => ({
  from: 'Weekly <news@example.com>',
  to: `reader${i}@example.org`,
  subject: `Issue ${i}`,
  html: `<p>Hello ${i}</p>`,
  text: `Hello ${i}`,
  ...extra,
});

/** The API body shape (snake_case), for plain-fetch requests. */
const apiEmail = (i: number): Record<string, unknown> => ({
  from: 'news@example.com',
  to: [`reader${i}@example.org`],
  subject: `Issue ${i}`,
  html: `<p>${i}</p>`,
});

interface RawAnswer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function post(fake: FakeResend, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function control(fake: FakeResend, what: 'config' | 'reset' | 'script', body: unknown = {}): Promise<RawAnswer> {
  const res = await fetch(`${fake.url}/__control/${what}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function remoteState(fake: FakeResend, summary = false): Promise<FakeResendState> {
  const res = await fetch(`${fake.url}/__control/state${summary ? '?summary=1' : ''}`);
  assert.equal(res.status, 200);
  return (await res.json()) as FakeResendState;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------

const tests: { name: string; fn: (fake: FakeResend, resend: Resend) => Promise<void> }[] = [];
const test = (name: string, fn: (fake: FakeResend, resend: Resend) => Promise<void>): void => {
  tests.push({ name, fn });
};

test('POST /emails via SDK stores the email with headers, reply_to and tags', async (fake, resend) => {
  const { data, error, headers } = await resend.emails.send(
    email(1, {
      to: ['a@example.org', 'B <b@example.org>'],
      headers: { 'List-Unsubscribe': '<https://x.test/u>' },
      replyTo: 'reply@example.com',
      tags: [{ name: 'issue', value: '42' }],
    }),
  );
  assert.equal(error, null);
  assert.match(data!.id, /^[0-9a-f-]{36}$/);
  assert.ok(headers?.['ratelimit-limit'] && headers['ratelimit-remaining'] && headers['ratelimit-reset'] !== undefined);
  const s = await remoteState(fake);
  assert.equal(s.emails!.length, 1);
  const e = s.emails![0]!;
  assert.equal(e.id, data!.id);
  assert.deepEqual(e.to, ['a@example.org', 'B <b@example.org>']);
  assert.equal(e.from, 'Weekly <news@example.com>');
  assert.equal(e.subject, 'Issue 1');
  assert.equal(e.html, '<p>Hello 1</p>');
  assert.equal(e.text, 'Hello 1');
  assert.deepEqual(e.headers, { 'List-Unsubscribe': '<https://x.test/u>' });
  assert.deepEqual(e.replyTo, ['reply@example.com']);
  assert.deepEqual(e.tags, [{ name: 'issue', value: '42' }]);
  assert.equal(e.batchIndex, null);
  assert.equal(e.idempotencyKey, null);
  assert.ok(!Number.isNaN(Date.parse(e.acceptedAt)));
});

test('GET /emails/:id via SDK returns Resend shape; unknown id → 404 not_found', async (fake, resend) => {
  const sent = await resend.emails.send(email(2));
  const got = await resend.emails.get(sent.data!.id);
  assert.equal(got.error, null);
  assert.equal(got.data!.object, 'email');
  assert.equal(got.data!.id, sent.data!.id);
  assert.deepEqual(got.data!.to, ['reader2@example.org']);
  assert.equal(got.data!.last_event, 'delivered');
  assert.equal(got.data!.html, '<p>Hello 2</p>');
  assert.ok(got.data!.created_at);
  const missing = await resend.emails.get('00000000-0000-0000-0000-000000000000');
  assert.equal(missing.error?.name, 'not_found');
  assert.equal(missing.error?.statusCode, 404);
});

test('POST /emails/batch via SDK → data ids in order, batchIndex stored', async (fake, resend) => {
  const { data, error } = await resend.batch.send([email(0), email(1), email(2)]);
  assert.equal(error, null);
  assert.equal(data!.data.length, 3);
  const s = fake.state();
  assert.deepEqual(
    s.emails!.map((e) => [e.id, e.batchIndex, e.to[0]]),
    data!.data.map((d, i) => [d.id, i, `reader${i}@example.org`]),
  );
  assert.equal(s.counters.accepted, 3);
  assert.equal(s.counters.acceptedRequests, 1);
});

test('auth: missing key → 401 missing_api_key, wrong key → 403 invalid_api_key (SDK parses it)', async (fake) => {
  const res = await fetch(`${fake.url}/emails`, { method: 'POST', body: JSON.stringify(apiEmail(1)) });
  assert.equal(res.status, 401);
  const body = (await res.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['message', 'name', 'statusCode']);
  assert.equal(body.name, 'missing_api_key');
  assert.equal(body.statusCode, 401);
  const wrong = new Resend('re_wrong', { baseUrl: fake.url });
  const { error } = await wrong.emails.send(email(1));
  assert.equal(error?.name, 'invalid_api_key');
  assert.equal(error?.statusCode, 403);
  assert.equal(fake.state().emails!.length, 0);
  assert.equal(fake.state().counters.authErrors, 2);
});

test('validation: missing/bad fields → 422 naming field and index; nothing sent (strict)', async (fake, resend) => {
  const noSubject = await resend.batch.send([email(0), { ...email(1), subject: '' }]);
  assert.equal(noSubject.error?.name, 'validation_error');
  assert.equal(noSubject.error?.statusCode, 422);
  assert.match(noSubject.error!.message, /subject/);
  assert.match(noSubject.error!.message, /index 1/);
  const noBody = await resend.emails.send({ from: 'a@example.com', to: 'b@example.com', subject: 's' } as unknown as Email);
  assert.equal(noBody.error?.name, 'validation_error');
  assert.match(noBody.error!.message, /html|text/);
  const noTo = await post(fake, '/emails', { from: 'a@example.com', subject: 's', text: 't' });
  assert.equal(noTo.status, 422);
  assert.match(String(noTo.json.message), /`to`/);
  const badFrom = await post(fake, '/emails/batch', [apiEmail(0), apiEmail(1), { ...apiEmail(2), from: 'not an address' }]);
  assert.equal(badFrom.status, 422);
  assert.match(String(badFrom.json.message), /`from`.*|index 2/);
  assert.match(String(badFrom.json.message), /index 2/);
  const badTags = await post(fake, '/emails', { ...apiEmail(0), tags: [{ name: 'bad tag', value: 'x' }] });
  assert.equal(badTags.status, 422);
  const badHeaders = await post(fake, '/emails', { ...apiEmail(0), headers: { 'X-N': 1 } });
  assert.equal(badHeaders.status, 422);
  const badJson = await post(fake, '/emails', '{not json');
  assert.equal(badJson.status, 422);
  assert.equal(fake.state().emails!.length, 0);
  assert.equal(fake.state().counters.validationErrors, 7);
});

test('batch size: 0 and 101 emails → 422 validation_error; 100 → 200', async (fake) => {
  const empty = await post(fake, '/emails/batch', []);
  assert.equal(empty.status, 422);
  assert.equal(empty.json.name, 'validation_error');
  const tooMany = await post(fake, '/emails/batch', Array.from({ length: 101 }, (_, i) => apiEmail(i)), { 'x-batch-validation': 'permissive' });
  assert.equal(tooMany.status, 422);
  assert.equal(tooMany.json.name, 'validation_error');
  const full = await post(fake, '/emails/batch', Array.from({ length: 100 }, (_, i) => apiEmail(i)));
  assert.equal(full.status, 200);
  assert.equal((full.json.data as unknown[]).length, 100);
  assert.equal(fake.state().emails!.length, 100);
});

test('strict batch with an invalidRecipients address or bad syntax → 422, nothing sent', async (fake, resend) => {
  fake.configure({ invalidRecipients: ['Bounce@Example.org'] });
  const r1 = await resend.batch.send([email(0), email(1, { to: 'bounce@example.org' })]);
  assert.equal(r1.error?.statusCode, 422);
  assert.match(r1.error!.message, /index 1/);
  const r2 = await resend.batch.send([email(0), email(1, { to: 'no-at-sign' })], { batchValidation: 'strict' });
  assert.equal(r2.error?.statusCode, 422);
  const r3 = await resend.emails.send(email(0, { to: 'bounce@example.org' }));
  assert.equal(r3.error?.statusCode, 422);
  assert.equal(fake.state().emails!.length, 0);
});

test('permissive batch: valid ones accepted, errors per index, data only accepted in order', async (fake, resend) => {
  await control(fake, 'config', { invalidRecipients: ['bounce@example.org'] });
  const { data, error } = await resend.batch.send(
    [email(0), email(1, { to: 'bounce@example.org' }), email(2), email(3, { to: 'broken@' }), email(4)],
    { batchValidation: 'permissive' },
  );
  assert.equal(error, null);
  assert.equal(data!.data.length, 3);
  assert.deepEqual(data!.errors.map((e) => e.index), [1, 3]);
  for (const e of data!.errors) assert.equal(typeof e.message, 'string');
  const s = fake.state();
  assert.deepEqual(s.emails!.map((e) => e.id), data!.data.map((d) => d.id));
  assert.deepEqual(s.emails!.map((e) => e.batchIndex), [0, 2, 4]);
  assert.equal(s.counters.rejectedEmails, 2);
});

test('idempotency: same key+body replays without sending; other body → 409 invalid_idempotent_request', async (fake, resend) => {
  const batch = [email(0), email(1)];
  const first = await resend.batch.send(batch, { idempotencyKey: 'issue-1/chunk-0' });
  const again = await resend.batch.send(batch, { idempotencyKey: 'issue-1/chunk-0' });
  assert.equal(first.error, null);
  assert.deepEqual(again.data, first.data);
  assert.equal(fake.state().emails!.length, 2);
  assert.equal(fake.state().counters.idempotentReplays, 1);
  assert.ok(fake.state().emails!.every((e) => e.idempotencyKey === 'issue-1/chunk-0'));
  const other = await resend.batch.send([email(0), email(9)], { idempotencyKey: 'issue-1/chunk-0' });
  assert.equal(other.error?.name, 'invalid_idempotent_request');
  assert.equal(other.error?.statusCode, 409);
  const single = await resend.emails.send(email(5), { idempotencyKey: 'single-5' });
  const singleAgain = await resend.emails.send(email(5), { idempotencyKey: 'single-5' });
  assert.equal(singleAgain.data!.id, single.data!.id);
  assert.equal(fake.state().emails!.length, 3);
  assert.equal(fake.state().counters.conflicts409, 1);
});

test('idempotency: key > 256 chars → 400 invalid_idempotency_key; 256 ok', async (fake, resend) => {
  const bad = await resend.emails.send(email(0), { idempotencyKey: 'k'.repeat(257) });
  assert.equal(bad.error?.name, 'invalid_idempotency_key');
  assert.equal(bad.error?.statusCode, 400);
  const ok = await resend.emails.send(email(0), { idempotencyKey: 'k'.repeat(256) });
  assert.equal(ok.error, null);
});

test('idempotency: same key while first in flight → 409 concurrent_idempotent_requests', async (fake, resend) => {
  fake.configure({ latencyMs: 300 });
  const batch = [email(0)];
  const a = resend.batch.send(batch, { idempotencyKey: 'slow' });
  await sleep(50);
  const b = await resend.batch.send(batch, { idempotencyKey: 'slow' });
  assert.equal(b.error?.name, 'concurrent_idempotent_requests');
  assert.equal(b.error?.statusCode, 409);
  const first = await a;
  assert.equal(first.error, null);
  const replay = await resend.batch.send(batch, { idempotencyKey: 'slow' });
  assert.deepEqual(replay.data, first.data);
  assert.equal(fake.state().emails!.length, 1);
});

test('rate limit: bucket of 5 → 5 ok then 429 rate_limit_exceeded with retry-after; headers on every answer; refills', async (fake) => {
  fake.configure({ ratePerSecond: 5 });
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(fake, '/emails', apiEmail(i))));
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
  for (const a of answers) {
    assert.equal(a.headers.get('ratelimit-limit'), '5');
    assert.ok(a.headers.get('ratelimit-remaining') !== null);
    assert.ok(a.headers.get('ratelimit-reset') !== null);
    if (a.status === 429) {
      assert.equal(a.json.name, 'rate_limit_exceeded');
      assert.equal(a.json.statusCode, 429);
      assert.equal(a.headers.get('ratelimit-remaining'), '0');
      assert.ok(Number(a.headers.get('retry-after')) >= 1);
      assert.ok(Number.isInteger(Number(a.headers.get('retry-after'))));
    }
  }
  const s = fake.state();
  assert.equal(s.counters.paceLimited429, 3);
  assert.equal(s.counters.injected429, 0);
  assert.equal(s.emails!.length, 5);
  await sleep(250); // 5 tokens/s → at least one token back
  assert.equal((await post(fake, '/emails', apiEmail(9))).status, 200);
});

test('rate limit: idempotent replays consume a token (SDK sees 429 with headers)', async (fake, resend) => {
  fake.configure({ ratePerSecond: 2 });
  const first = await resend.emails.send(email(0), { idempotencyKey: 'r' });
  const replay = await resend.emails.send(email(0), { idempotencyKey: 'r' });
  const limited = await resend.emails.send(email(0), { idempotencyKey: 'r' });
  assert.equal(first.error, null);
  assert.equal(replay.data!.id, first.data!.id);
  assert.equal(limited.error?.name, 'rate_limit_exceeded');
  assert.equal(limited.error?.statusCode, 429);
  assert.ok(Number(limited.headers?.['retry-after']) >= 1);
  assert.equal(fake.state().counters.paceLimited429, 1);
});

test('script: rateLimited/serverError do not bind the key; lostAnswer records and binds; replay skips the script', async (fake, resend) => {
  const script = await control(fake, 'script', { next: ['rateLimited', 'serverError', 'lostAnswer', 'invalid', 'ok'] });
  assert.equal(script.status, 200);
  const batch = [email(0), email(1)];
  const opts = { idempotencyKey: 'faulty' };

  const r429 = await post(fake, '/emails/batch', batch.map((_, i) => apiEmail(i)), { 'idempotency-key': 'faulty-raw' });
  assert.equal(r429.status, 429);
  assert.equal(r429.json.name, 'rate_limit_exceeded');
  assert.equal(r429.headers.get('retry-after'), '1');

  const r500 = await resend.batch.send(batch, opts);
  assert.equal(r500.error?.name, 'internal_server_error');
  assert.equal(r500.error?.statusCode, 500);
  assert.equal(fake.state().emails!.length, 0);

  const lost = await resend.batch.send(batch, opts); // the key was not bound by the 500: processed
  assert.equal(lost.error?.name, 'internal_server_error');
  assert.equal(lost.error?.statusCode, 500);
  const afterLost = fake.state();
  assert.equal(afterLost.emails!.length, 2, 'lostAnswer accepted the emails');

  const replay = await resend.batch.send(batch, opts); // replay: 'invalid' stays queued
  assert.equal(replay.error, null);
  assert.deepEqual(replay.data!.data.map((d) => d.id), afterLost.emails!.map((e) => e.id));
  assert.deepEqual(fake.state().script, ['invalid', 'ok']);

  const invalid = await resend.emails.send(email(3));
  assert.equal(invalid.error?.name, 'validation_error');
  assert.equal(invalid.error?.statusCode, 422);
  const ok = await resend.emails.send(email(4));
  assert.equal(ok.error, null);

  const c = fake.state().counters;
  assert.deepEqual(
    [c.injected429, c.serverErrors, c.lostAnswers, c.idempotentReplays, c.validationErrors, c.accepted, c.paceLimited429],
    [1, 1, 1, 1, 1, 3, 0],
  );
  const badScript = await control(fake, 'script', { next: ['explode'] });
  assert.equal(badScript.status, 400);
});

test('faults: seeded random draws are reproducible across reset; rates roughly as configured', async (fake) => {
  const run = async (): Promise<string> => {
    const out: number[] = [];
    for (let i = 0; i < 300; i++) out.push((await post(fake, '/emails', apiEmail(i))).status);
    return out.join(',');
  };
  await control(fake, 'config', { seed: 42, faults: { rateLimited: 0.1, serverError: 0.1, lostAnswer: 0.1 } });
  const a = await run();
  const countersA = (await remoteState(fake, true)).counters;
  await control(fake, 'reset');
  const b = await run();
  const countersB = (await remoteState(fake, true)).counters;
  assert.equal(a, b);
  assert.deepEqual(countersA, countersB);
  assert.ok(countersA.injected429 > 10 && countersA.injected429 < 60, `injected429=${countersA.injected429}`);
  assert.ok(countersA.serverErrors > 10 && countersA.lostAnswers > 10);
  // lost answers are accepted: accepted = 200s + lost answers
  const ok200 = a.split(',').filter((s) => s === '200').length;
  assert.equal(countersA.accepted, ok200 + countersA.lostAnswers);
  await control(fake, 'config', { seed: 7 });
  await control(fake, 'reset');
  assert.notEqual(await run(), a);
});

test('faults never apply to replays', async (fake, resend) => {
  const first = await resend.emails.send(email(0), { idempotencyKey: 'stable' });
  fake.configure({ faults: { rateLimited: 1, serverError: 1, lostAnswer: 1 } });
  for (let i = 0; i < 5; i++) {
    const r = await resend.emails.send(email(0), { idempotencyKey: 'stable' });
    assert.equal(r.data?.id, first.data!.id);
  }
  const fresh = await resend.emails.send(email(1));
  assert.equal(fresh.error?.name, 'rate_limit_exceeded');
  assert.equal(fake.state().counters.injected429, 1);
});

test('state summary: recipients counts without emails; keepBodies=false drops html/text', async (fake) => {
  await control(fake, 'config', { keepBodies: false });
  await post(fake, '/emails/batch', [apiEmail(1), apiEmail(1), apiEmail(2)]);
  await post(fake, '/emails', { ...apiEmail(3), to: ['Reader3 <READER3@example.org>'], cc: ['reader1@example.org'] });
  const s = await remoteState(fake, true);
  assert.equal(s.emails, undefined);
  assert.deepEqual(s.recipients, { 'reader1@example.org': 3, 'reader2@example.org': 1, 'reader3@example.org': 1 });
  assert.equal(s.emailCount, 4);
  assert.equal(s.counters.accepted, 4);
  assert.equal(s.options.keepBodies, false);
  const full = await remoteState(fake);
  assert.equal(full.emails![0]!.html, null);
  assert.equal(full.emails![0]!.subject, 'Issue 1');
});

test('reset forgets emails, keys, counters and script; keeps options', async (fake, resend) => {
  fake.configure({ latencyMs: 1 });
  await resend.emails.send(email(0), { idempotencyKey: 'k1' });
  await control(fake, 'script', { next: ['serverError'] });
  const res = await control(fake, 'reset');
  assert.equal(res.status, 200);
  const s = fake.state();
  assert.equal(s.emails!.length, 0);
  assert.equal(s.counters.requests, 0);
  assert.deepEqual(s.script, []);
  assert.equal(s.options.latencyMs, 1);
  const again = await resend.emails.send(email(1), { idempotencyKey: 'k1' }); // other body, key forgotten
  assert.equal(again.error, null);
});

test('misc: 405 on GET /emails/batch, 404 on unknown routes, 413 over 50 MB', async (fake) => {
  assert.equal((await fetch(`${fake.url}/emails/batch`)).status, 405);
  const nf = await fetch(`${fake.url}/nope`);
  assert.equal(nf.status, 404);
  assert.equal(((await nf.json()) as { name: string }).name, 'not_found');
  const big = await post(fake, '/emails', 'x'.repeat(50 * 1024 * 1024 + 1));
  assert.equal(big.status, 413);
});

test('the rate limit is the team’s: another app’s requests (foreignLoad) spend the same window', async (fake, resend) => {
  fake.configure({ ratePerSecond: 10, limiter: 'sliding', foreignLoad: { share: 0.5 } });
  await new Promise((r) => setTimeout(r, 1100)); // the other app fills half the window
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => resend.emails.send(email(i))));
  const refused = answers.filter((a) => a.error?.name === 'rate_limit_exceeded').length;
  fake.configure({ foreignLoad: null });
  const c = fake.state().counters;
  assert.ok(c.foreignRequests >= 4, `foreign requests: ${c.foreignRequests}`);
  assert.ok(refused >= 3, `only ${refused} of 10 refused although the other app used about half the window`);
});

test('another app’s requests come evenly spaced, or in bursts (pattern: bursty, a Poisson process of the same rate)', async (fake) => {
  // Its requests in each of 20 spans of 100 ms at 100/s: about 10 in every span when even; when
  // bursty, a Poisson count's spread (variance about its mean, 10).
  const spreadOf = async (pattern: 'even' | 'bursty'): Promise<{ mean: number; variance: number }> => {
    fake.reset();
    fake.configure({ ratePerSecond: 100, limiter: 'sliding', foreignLoad: { share: 1, pattern } });
    const counts: number[] = [];
    let before = fake.state().counters.foreignRequests;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = fake.state().counters.foreignRequests;
      counts.push(now - before);
      before = now;
    }
    fake.configure({ foreignLoad: null });
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    return { mean, variance: counts.reduce((a, b) => a + (b - mean) ** 2, 0) / counts.length };
  };
  const even = await spreadOf('even');
  const bursty = await spreadOf('bursty');
  for (const s of [even, bursty]) assert.ok(s.mean > 7 && s.mean < 13, `mean per 100 ms: ${s.mean}`);
  assert.ok(bursty.variance > 4, `bursty: variance ${bursty.variance} per 100 ms, not a Poisson count's`);
  assert.ok(bursty.variance > 3 * even.variance, `bursty ${bursty.variance} against even ${even.variance}`);
});

test('jitter: a request is stamped by the limiter after its body and a random delay, not on arrival', async (fake, resend) => {
  fake.configure({ ratePerSecond: 0, jitterMs: 80 });
  const started = performance.now();
  const times = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
    await resend.emails.send(email(i));
    return performance.now() - started;
  }));
  assert.ok(Math.max(...times) - Math.min(...times) > 10, `no spread: ${times.map((t) => t.toFixed(0)).join(', ')}`);
});

test('suppression list: accepted, then email.suppressed by reason; DELETE /suppressions/:email removes it', async (fake, resend) => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  fake.configure({ webhooks: { secret }, suppressed: ['reader1@example.org'], suppressedComplaints: ['reader2@example.org'] });
  for (const i of [1, 2, 3]) assert.equal((await resend.emails.send(email(i))).error, null);
  const events = fake.takeWebhooks().map((w) => JSON.parse(w.body) as { type: string; data: { to: string[]; suppressed?: { reason: string } } });
  assert.deepEqual(events.map((e) => [e.type, e.data.to[0], e.data.suppressed?.reason]), [
    ['email.suppressed', 'reader1@example.org', 'previous_bounce'],
    ['email.suppressed', 'reader2@example.org', 'previous_complaint'],
  ]);
  const removed = await resend.suppressions.remove('reader1@example.org');
  assert.equal(removed.error, null);
  assert.equal((await resend.suppressions.remove('reader1@example.org')).error?.name, 'not_found');
  assert.equal(fake.state().counters.suppressionsRemoved, 1);
});

test('late failures: failAccepted reports every accepted email as email.failed with that reason', async (fake, resend) => {
  fake.configure({ webhooks: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, failAccepted: 'reached_daily_quota' });
  assert.equal((await resend.emails.send(email(1))).error, null);
  const [event] = fake.takeWebhooks().map((w) => JSON.parse(w.body) as { type: string; data: { failed: { reason: string } } });
  assert.equal(event!.type, 'email.failed');
  assert.equal(event!.data.failed.reason, 'reached_daily_quota');
});

test('scripted intermediaries: a 413 HTML page, a 429 whose JSON has no statusCode, a 409 concurrent', async (fake) => {
  fake.configure({ ratePerSecond: 0 });
  const post = () => fetch(`${fake.url}/emails`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(apiEmail(1)) });
  await fetch(`${fake.url}/__control/script`, { method: 'POST', body: JSON.stringify({ next: ['tooLarge', 'proxy429', 'concurrent'] }) });
  const html = await post();
  assert.equal(html.status, 413);
  assert.match(html.headers.get('content-type') ?? '', /text\/html/);
  const proxy = await post();
  assert.equal(proxy.status, 429);
  assert.deepEqual(await proxy.json(), { message: 'Too Many Requests' });
  const concurrent = await post();
  assert.equal(concurrent.status, 409);
  assert.equal(((await concurrent.json()) as { name: string }).name, 'concurrent_idempotent_requests');
});

test('performance: 100 batches × 100 emails × 20 KB html, 10 in parallel', async (fake) => {
  await control(fake, 'config', { keepBodies: false, ratePerSecond: 0 });
  const html = `<html><body>${'<p>Lorem ipsum dolor sit amet.</p>'.repeat(600)}</body></html>`; // ≈ 20 KB
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < 100) {
      const b = next++;
      const emails = Array.from({ length: 100 }, (_, i) => ({ ...apiEmail(b * 100 + i), html }));
      const r = await post(fake, '/emails/batch', emails, { 'idempotency-key': `bench-${b}` });
      assert.equal(r.status, 200);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  const ms = performance.now() - t0;
  const s = await remoteState(fake, true);
  assert.equal(s.emailCount, 10_000);
  assert.equal(Object.keys(s.recipients!).length, 10_000);
  console.log(`    (10,000 emails / ${(100 * 100 * html.length / 1e6).toFixed(0)} MB in ${ms.toFixed(0)} ms = ${(100 / (ms / 1000)).toFixed(0)} batches/s)`);
  assert.ok(ms < 30_000);
});

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const fake = await startFakeResend({ ...BASE, port: 0 });
  const resend = new Resend(KEY, { baseUrl: fake.url });
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    fake.reset();
    fake.configure(BASE);
    fake.reset();
    try {
      await t.fn(fake, resend);
      passed++;
      console.log(`  ok   ${t.name}`);
    } catch (err) {
      failed++;
      console.log(`  FAIL ${t.name}\n       ${err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 4).join('\n       ') : String(err)}`);
    }
  }
  await fake.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
