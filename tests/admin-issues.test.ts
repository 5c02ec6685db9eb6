// The operator's issue API through the real Worker, D1 and queue (outbox transport): the list of
// bundled articles, a test copy, "send now", stats.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { isReady } from '../src/issues/article';
import { allArticles } from '../src/issues/catalog';
import { admin, adminJson, importCsv } from './support/admin';
import { call, linkIn, mailsTo, outbox, subscriberStatus, waitFor, waitForMail } from './support/helpers';

const [bundled] = allArticles();
type Issue = { slug: string; title: string; date: string; status: string };

async function statusOf(slug: string): Promise<string | undefined> {
  const { issues } = await adminJson<{ issues: Issue[] }>('/api/issues');
  return issues.find((i) => i.slug === slug)?.status;
}

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

const post = (path: string, body?: unknown) =>
  admin(path, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });

describe('the issue list', () => {
  it('lists every bundled article with its title, date and status', async () => {
    const { issues } = await adminJson<{ issues: Issue[] }>('/api/issues');
    expect(issues).toHaveLength(allArticles().length);
    for (const article of allArticles()) {
      expect(issues).toContainEqual({ slug: article.slug, title: article.title, date: article.date, status: isReady(article, Date.now()) ? 'ready' : 'draft', sendAt: expect.any(String), reason: null });
    }
  });
});

describe('a test copy', () => {
  it('goes to that one address, marked [TEST], and is never recorded as a delivery', async () => {
    await importCsv('email\nreader-a@issues.example\nreader-b@issues.example\n', 'confirmed');
    const before = await statusOf(bundled.slug);
    const response = await post(`/api/issues/${bundled.slug}/test`, { to: ' Editor@Issues.Example ' });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'sent', to: 'editor@issues.example' });

    const [copy] = await waitForMail('editor@issues.example', bundled.title);
    expect(copy.subject).toBe(`[TEST] ${bundled.title}`);
    expect(copy.html).toContain(`/archive/${bundled.slug}`);
    expect(copy.headers['List-Unsubscribe']).toMatch(/^<http:\/\/localhost:8787\/unsubscribe\?token=/);
    // Nobody else got anything, and no send or delivery exists.
    expect((await outbox()).filter((m) => m.subject.includes(bundled.title))).toHaveLength(1);
    expect((await env.DB.prepare('SELECT count(*) AS n FROM sends').first<{ n: number }>())!.n).toBe(0);
    expect((await env.DB.prepare('SELECT count(*) AS n FROM deliveries').first<{ n: number }>())!.n).toBe(0);
    expect(await statusOf(bundled.slug)).toBe(before);
    expect(await adminJson(`/api/issues/${bundled.slug}/stats`)).toEqual({
      status: before,
      reason: null,
      recipients: 0,
      sent: 0,
      failed: 0,
      unknown: 0,
      skipped: 0,
      paused: 0,
      suppressed: 0,
      pending: 0,
      delivered: 0,
      bounced: 0,
      complained: 0,
      opened: 0,
      clicked: 0,
    });

    // Its unsubscribe link works as a preview and unsubscribes nobody.
    const unsubscribed = await call(linkIn(copy, '/unsubscribe?token='), { method: 'POST', headers: { accept: 'application/json' } });
    expect(unsubscribed.status).toBe(200);
    expect(await subscriberStatus('reader-a@issues.example')).toBe('confirmed');
    expect(await subscriberStatus('reader-b@issues.example')).toBe('confirmed');

    // Another request is another copy.
    expect((await post(`/api/issues/${bundled.slug}/test`, { to: 'editor@issues.example' })).status).toBe(202);
    await waitForMail('editor@issues.example', bundled.title, 2);
  });

  it('refuses a bad address, a bad body and an unknown article, and sends nothing', async () => {
    const before = (await outbox()).length;
    const cases: [Promise<Response>, number, string][] = [
      [post(`/api/issues/${bundled.slug}/test`, { to: 'not-an-address' }), 400, 'invalid_email'],
      [post(`/api/issues/${bundled.slug}/test`, { to: 'a@b.example\r\nBcc: all@example.com' }), 400, 'invalid_email'],
      [post(`/api/issues/${bundled.slug}/test`, { to: ['x@issues.example'] }), 400, 'invalid_email'],
      [post(`/api/issues/${bundled.slug}/test`, {}), 400, 'invalid_email'],
      [post(`/api/issues/${bundled.slug}/test`, ['x@issues.example']), 400, 'invalid_json'],
      [admin(`/api/issues/${bundled.slug}/test`, { method: 'POST', body: '{"to":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json'],
      [admin(`/api/issues/${bundled.slug}/test`, { method: 'POST', body: 'x@issues.example', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
      [post('/api/issues/no-such-article/test', { to: 'x@issues.example' }), 404, 'not_found'],
      [post('/api/issues/..%2F..%2Fetc/test', { to: 'x@issues.example' }), 404, 'not_found'],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect(response.status, code).toBe(status);
      expect(await errorCode(response)).toBe(code);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect((await outbox()).length).toBe(before);
  });
});

describe('send now', () => {
  it('refuses an unknown article with 404', async () => {
    for (const slug of ['no-such-article', 'UPPER', '%00', 'a'.repeat(300)]) {
      const response = await post(`/api/issues/${slug}/send`);
      expect(response.status, slug).toBe(404);
      expect(await errorCode(response)).toBe('not_found');
    }
    expect((await env.DB.prepare('SELECT count(*) AS n FROM sends').first<{ n: number }>())!.n).toBe(0);
  });

  it('sends the article to every confirmed reader once, answers 409 to a second send, and reports stats', async () => {
    await importCsv('email\npending-only@issues.example\n', 'pending');
    const response = await post(`/api/issues/${bundled.slug}/send`);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ slug: bundled.slug, status: 'sending', recipients: 2, chunks: 1 });

    const again = await post(`/api/issues/${bundled.slug}/send`);
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toMatch(/^already_(sending|sent)$/);

    await waitFor(async () => (await statusOf(bundled.slug)) === 'sent', 'the send to finish');
    const afterDone = await post(`/api/issues/${bundled.slug}/send`);
    expect(afterDone.status).toBe(409);
    expect(await errorCode(afterDone)).toBe('already_sent');

    for (const reader of ['reader-a@issues.example', 'reader-b@issues.example']) {
      const mails = (await mailsTo(reader)).filter((m) => m.subject === bundled.title);
      expect(mails, reader).toHaveLength(1);
    }
    expect((await mailsTo('pending-only@issues.example')).some((m) => m.subject === bundled.title)).toBe(false);
    // The test copies before it did not count, and were not a send.
    expect(await adminJson(`/api/issues/${bundled.slug}/stats`)).toEqual({
      status: 'sent',
      reason: null,
      recipients: 2,
      sent: 2,
      failed: 0,
      unknown: 0,
      skipped: 0,
      paused: 0,
      suppressed: 0,
      pending: 0,
      delivered: 0,
      bounced: 0,
      complained: 0,
      opened: 0,
      clicked: 0,
    });
    // A test copy of a sent article still works, and still is not recorded.
    expect((await post(`/api/issues/${bundled.slug}/test`, { to: 'late-editor@issues.example' })).status).toBe(202);
    expect((await env.DB.prepare('SELECT count(*) AS n FROM deliveries').first<{ n: number }>())!.n).toBe(2);
  });

  it('answers stats 404 for an unknown article', async () => {
    for (const slug of ['no-such-article', 'Bad%20Slug']) {
      const response = await admin(`/api/issues/${slug}/stats`);
      expect(response.status, slug).toBe(404);
      expect(await errorCode(response)).toBe('not_found');
    }
  });
});
