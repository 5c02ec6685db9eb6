// Writing, scheduling and deleting articles through the admin API (CONTRACT "Publishing from the
// browser"), through the real Worker and D1: status codes, the ETag/If-Match guard, the build's
// checks with their lines, and what a started send freezes.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { articleDocument } from '../src/issues/article';
import { allArticles } from '../src/issues/catalog';
import { admin, adminJson, importCsv } from './support/admin';
import { call, waitForMail, weekly } from './support/helpers';

const [bundled] = allArticles();
const MD = { 'content-type': 'text/markdown; charset=utf-8' };
const doc = (title = 'A new issue', body = 'Hello **readers**, see [the site](https://example.org/page).', extra = '') =>
  `---\ntitle: "${title}"\ndate: 2026-12-01\nsummary: "What this issue is about"\n${extra}---\n\n${body}\n`;
const put = (slug: string, body: string, headers: Record<string, string> = {}) => admin(`/api/issues/${slug}`, { method: 'PUT', body, headers: { ...MD, ...headers } });
const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
type ErrorBody = { error: { code: string; message: string; problems?: { line: number; message: string }[] } };

describe('PUT /api/issues/:slug', () => {
  it('creates (201, ETag "1"), reads back, replaces with If-Match (200, ETag "2"), and refuses a stale If-Match (409)', async () => {
    const created = await put('first-issue', doc());
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(await created.json()).toMatchObject({ slug: 'first-issue', title: 'A new issue', date: '2026-12-01', source: 'editor', sendAt: null });

    const read = await admin('/api/issues/first-issue');
    expect(read.headers.get('etag')).toBe('"1"');
    expect(await read.json()).toEqual({
      slug: 'first-issue',
      title: 'A new issue',
      date: '2026-12-01',
      summary: 'What this issue is about',
      status: expect.stringMatching(/^(ready|draft)$/),
      sendAt: null, // the older bundled article takes the next weekly slot; this one waits its turn
      source: 'editor',
      markdown: 'Hello **readers**, see [the site](https://example.org/page).',
    } as never);

    const replaced = await put('first-issue', doc('Second title'), { 'if-match': '"1"' });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).toBe('"2"');
    const stale = await put('first-issue', doc('Lost'), { 'if-match': '"1"' });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as ErrorBody).error.code).toBe('version_conflict');
    expect(((await adminJson('/api/issues/first-issue')) as { title: string }).title).toBe('Second title');
    // If-None-Match: * creates only.
    expect((await put('first-issue', doc(), { 'if-none-match': '*' })).status).toBe(409);
  });

  it('answers 422 invalid_article with each problem and its line, and stores nothing', async () => {
    const body = ['Fine paragraph.', '', 'A [relative link](/archive) here.', '', '![](https://example.org/a.png)', '', '<img src="https://example.org/b.png">'].join('\n');
    const response = await put('broken-issue', doc('Broken', body));
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe('invalid_article');
    // The front matter is lines 1-5, a blank line 6, the body starts at line 7.
    expect(error.problems!.map((p) => p.line)).toEqual([9, 11, 13]);
    expect(error.problems![0]!.message).toMatch(/relative address/);
    expect(error.problems![1]!.message).toMatch(/alt text/);
    expect(error.problems![2]!.message).toMatch(/HTML image/);
    expect((await admin('/api/issues/broken-issue')).status).toBe(404);

    const frontMatter = await put('broken-issue', '---\ntitle: ""\ndate: 2026-13-01\nsummary: "ok"\n---\nBody');
    expect(((await frontMatter.json()) as ErrorBody).error.problems).toEqual([
      { line: 2, message: expect.stringMatching(/"title" is empty/) },
      { line: 3, message: expect.stringMatching(/not a real day/) },
    ]);
    const past = await put('broken-issue', doc('Past', 'Body', 'send_at: 2020-01-01T09:00:00Z\n'));
    expect(((await past.json()) as ErrorBody).error.problems).toEqual([{ line: 5, message: expect.stringMatching(/in the past/) }]);
  });

  it('refuses a bad slug (400), a bundled slug (409), another content type (415), a huge body (413) and anyone without the token (401)', async () => {
    expect((await put('Not_A_Slug', doc())).status).toBe(400);
    expect(((await (await put('Not_A_Slug', doc())).json()) as ErrorBody).error.code).toBe('invalid_slug');
    expect((await put(`${'a'.repeat(201)}`, doc())).status).toBe(400);
    const taken = await put(bundled.slug, doc());
    expect(taken.status).toBe(409);
    expect(((await taken.json()) as ErrorBody).error.code).toBe('slug_taken');
    expect((await put('as-json', JSON.stringify({ title: 'x' }), { 'content-type': 'application/json' })).status).toBe(415);
    const huge = await put('huge-issue', doc('Huge', 'x'.repeat(600 * 1024)));
    expect(huge.status).toBe(413);
    expect((await call('/api/issues/anyone', { method: 'PUT', body: doc(), headers: MD })).status).toBe(401);
    expect((await call('/api/issues/anyone', { method: 'PUT', body: doc(), headers: { ...MD, authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await admin('/api/issues/huge-issue')).status).toBe(404);
  });

  it('sets the schedule from send_at, and keeps it when a later save leaves send_at out', async () => {
    const sendAt = '2031-03-04T09:30:00-05:00';
    const created = await put('with-send-at', doc('Scheduled', 'Body', `send_at: ${sendAt}\n`));
    expect(await created.json()).toMatchObject({ status: 'scheduled', sendAt: '2031-03-04T14:30:00.000Z' });
    await put('with-send-at', doc('Scheduled, fixed'));
    expect(await adminJson('/api/issues/with-send-at')).toMatchObject({ status: 'scheduled', sendAt: '2031-03-04T14:30:00.000Z', title: 'Scheduled, fixed' });
    const { issues } = await adminJson<{ issues: { slug: string; status: string; sendAt: string | null }[] }>('/api/issues');
    expect(issues.find((i) => i.slug === 'with-send-at')).toMatchObject({ status: 'scheduled', sendAt: '2031-03-04T14:30:00.000Z' });
  });
});

describe('the schedule routes', () => {
  it('schedule (200), reschedule, refuse the past or nonsense (422), unschedule back to the weekly slot', async () => {
    await put('to-schedule', doc('To schedule'));
    const scheduled = await admin('/api/issues/to-schedule/schedule', { method: 'POST', ...json({ sendAt: '2030-01-01T08:00:00+01:00' }) });
    expect(scheduled.status).toBe(200);
    expect(await scheduled.json()).toMatchObject({ slug: 'to-schedule', status: 'scheduled', sendAt: '2030-01-01T07:00:00.000Z' });
    expect(await (await admin('/api/issues/to-schedule/schedule', { method: 'POST', ...json({ sendAt: '2030-02-01T08:00:00Z' }) })).json()).toMatchObject({ sendAt: '2030-02-01T08:00:00.000Z' });
    for (const sendAt of ['2001-01-01T00:00:00Z', 'tomorrow', '2030-01-01 08:00', 42, null]) {
      const refused = await admin('/api/issues/to-schedule/schedule', { method: 'POST', ...json({ sendAt }) });
      expect(refused.status).toBe(422);
      expect(((await refused.json()) as ErrorBody).error.code).toBe('invalid_send_at');
    }
    const back = await admin('/api/issues/to-schedule/schedule', { method: 'DELETE' });
    expect(back.status).toBe(200);
    expect((await back.json()) as { status: string }).toMatchObject({ status: expect.stringMatching(/^(ready|draft)$/) });
    expect((await admin('/api/issues/nobody-wrote-this/schedule', { method: 'POST', ...json({ sendAt: '2030-01-01T08:00:00Z' }) })).status).toBe(404);
    // A content file can be scheduled too.
    expect(await (await admin(`/api/issues/${bundled.slug}/schedule`, { method: 'POST', ...json({ sendAt: '2030-01-01T08:00:00Z' }) })).json()).toMatchObject({ status: 'scheduled', source: 'content' });
    expect((await admin(`/api/issues/${bundled.slug}/schedule`, { method: 'DELETE' })).status).toBe(200);
  });
});

describe('DELETE /api/issues/:slug and what a started send freezes', () => {
  it('deletes a draft (204), not a content file (409), and nothing once its send started (409); the article goes to readers as saved', async () => {
    await put('short-lived', doc('Short lived'));
    expect((await admin('/api/issues/short-lived', { method: 'DELETE' })).status).toBe(204);
    expect((await admin('/api/issues/short-lived')).status).toBe(404);
    expect((await admin('/api/issues/short-lived', { method: 'DELETE' })).status).toBe(404);
    expect((await admin(`/api/issues/${bundled.slug}`, { method: 'DELETE' })).status).toBe(409);

    await importCsv('email\npublish-reader@api.example\n', 'confirmed');
    await put('goes-out-now', doc('Goes out now', 'Written in the **browser**.'));
    const sent = await admin('/api/issues/goes-out-now/send', { method: 'POST' });
    expect(sent.status).toBe(202);
    const [mail] = await waitForMail('publish-reader@api.example', 'Goes out now');
    expect(mail.html).toMatch(/<strong[^>]*>browser<\/strong>/);
    expect(mail.html).toContain('/archive/goes-out-now');

    const edit = await put('goes-out-now', doc('Changed after'));
    expect(edit.status).toBe(409);
    expect(((await edit.json()) as ErrorBody).error.code).toBe('already_sent');
    expect((await admin('/api/issues/goes-out-now', { method: 'DELETE' })).status).toBe(409);
    expect((await admin('/api/issues/goes-out-now/schedule', { method: 'POST', ...json({ sendAt: '2030-01-01T08:00:00Z' }) })).status).toBe(409);
    expect(await adminJson('/api/issues/goes-out-now')).toMatchObject({ status: expect.stringMatching(/^(sending|sent)$/), title: 'Goes out now' });
    const archived = await call('/archive/goes-out-now', { headers: { accept: 'application/json' } });
    expect(await archived.json()).toMatchObject({ title: 'Goes out now' });
    // The weekly slot never sends it again.
    await weekly(Date.now(), []);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM sends WHERE slug = 'goes-out-now'").first<{ n: number }>())!.n).toBe(1);
  });

  it('round-trips: what GET shows, written back as a document, saves unchanged', async () => {
    await put('round-trip', doc('Round trip'));
    const view = await adminJson<{ title: string; date: string; summary: string; markdown: string }>('/api/issues/round-trip');
    const again = await put('round-trip', articleDocument(view), { 'if-match': '"1"' });
    expect(again.status).toBe(200);
    expect(await adminJson('/api/issues/round-trip')).toMatchObject({ title: view.title, markdown: view.markdown });
  });
});

describe('hostile input to the publishing routes is a 4xx, never a 5xx, and changes nothing', () => {
  it.each([
    ['PUT with bytes that are not UTF-8', () => put('not-utf8', new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a]) as unknown as string), [422]],
    ['PUT with a garbage If-Match', () => put('garbage-if-match', doc(), { 'if-match': 'W/nonsense' }), [400]],
    ['PUT with If-Match on an article that does not exist', () => put('never-was', doc(), { 'if-match': '"7"' }), [409]],
    ['PUT with YAML that builds a bomb of aliases', () => put('yaml-bomb', `---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ntitle: "t"\ndate: 2026-01-01\nsummary: "s"\n---\nbody`), [200, 201, 422]],
    ['PUT of a title with a line break smuggled in', () => put('smuggled', doc('Line one\\nBcc: all@example.com')), [422]],
    ['GET of an encoded path', () => admin('/api/issues/%ZZ'), [400, 404]],
    ['schedule with broken JSON', () => admin('/api/issues/x/schedule', { method: 'POST', body: '{"sendAt":', headers: { 'content-type': 'application/json' } }), [400]],
    ['schedule as XML', () => admin('/api/issues/x/schedule', { method: 'POST', body: '<sendAt/>', headers: { 'content-type': 'text/xml' } }), [415]],
    ['media with a lying length', () => admin('/api/media', { method: 'POST', body: new Uint8Array(10), headers: { 'content-type': 'image/png' } }), [422]],
  ] as const)('%s', async (_name, request, statuses) => {
    const response = await request();
    expect(statuses as readonly number[]).toContain(response.status);
    expect(response.status).toBeLessThan(500);
  });
});
