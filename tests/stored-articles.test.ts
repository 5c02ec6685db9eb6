// The editor's articles in D1 and the catalogue that merges them with content/*.md: one slug space,
// the version guard, "never change what started sending", and issues imported as sent-never-mailed.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getDb } from '../src/db/client';
import { articleDocument, parseArticleDocument } from '../src/issues/article';
import { allArticles, catalogue, findArticle } from '../src/issues/catalog';
import { deleteStoredArticle, getStoredArticle, recordImportedIssue, saveStoredArticle, slugTaken } from '../src/issues/stored-articles';
import { adminJson, importCsv } from './support/admin';
import { call, weekly } from './support/helpers';

const db = getDb(env.DB);
const [bundled] = allArticles();
const article = (slug: string, date = '2026-11-30', markdown = 'Hello **readers**.') => ({ slug, title: `Title of ${slug}`, date, summary: `About ${slug}`, markdown });

describe('saving an editor article', () => {
  it('creates version 1, replaces with the version it names, and refuses a stale version', async () => {
    expect(await saveStoredArticle(db, article('first'), { expectedVersion: null })).toEqual({ ok: true, created: true, version: 1 });
    expect(await saveStoredArticle(db, { ...article('first'), title: 'Second take' }, { expectedVersion: 1 })).toEqual({ ok: true, created: false, version: 2 });
    const stale = await saveStoredArticle(db, { ...article('first'), title: 'Lost update' }, { expectedVersion: 1 });
    expect(stale).toMatchObject({ ok: false, reason: 'version_conflict', currentVersion: 2 });
    expect((await getStoredArticle(db, 'first'))?.title).toBe('Second take');
    // "must not exist yet" on an existing slug is a conflict too.
    expect(await saveStoredArticle(db, article('first'), { expectedVersion: null })).toMatchObject({ ok: false, reason: 'version_conflict' });
  });

  it('of two saves racing from the same version, exactly one wins', async () => {
    await saveStoredArticle(db, article('race'));
    const results = await Promise.all([saveStoredArticle(db, { ...article('race'), title: 'A' }), saveStoredArticle(db, { ...article('race'), title: 'B' })]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)[0]).toMatchObject({ reason: 'version_conflict' });
    expect((await getStoredArticle(db, 'race'))?.version).toBe(2);
  });

  it('refuses a bundled slug (one slug space)', async () => {
    expect(await saveStoredArticle(db, article(bundled.slug))).toMatchObject({ ok: false, reason: 'slug_taken' });
    expect(await slugTaken(db, bundled.slug)).toBe(true);
  });

  it('never changes or deletes an article whose send started', async () => {
    await importCsv('email\nstore-reader@articles.example\n', 'confirmed');
    await saveStoredArticle(db, article('goes-out', '2020-01-01'));
    const run = await weekly(Date.now());
    expect(run.started).toMatchObject({ started: true, slug: 'goes-out' });
    expect(await saveStoredArticle(db, { ...article('goes-out'), title: 'Too late' })).toMatchObject({ ok: false, reason: 'send_started' });
    expect(await deleteStoredArticle(db, 'goes-out')).toMatchObject({ ok: false, reason: 'send_started' });
    const sent = await env.DB.prepare('SELECT title, markdown FROM sends WHERE slug = ?').bind('goes-out').first<{ title: string; markdown: string }>();
    expect(sent).toEqual({ title: 'Title of goes-out', markdown: 'Hello **readers**.' });
  });

  it('deletes a draft and its schedule; an unknown or bundled slug is refused', async () => {
    await saveStoredArticle(db, article('to-delete'), { sendAt: Date.now() + 86_400_000 });
    expect((await env.DB.prepare('SELECT count(*) AS n FROM schedules WHERE slug = ?').bind('to-delete').first<{ n: number }>())!.n).toBe(1);
    expect(await deleteStoredArticle(db, 'to-delete')).toEqual({ ok: true });
    expect(await getStoredArticle(db, 'to-delete')).toBeUndefined();
    expect((await env.DB.prepare('SELECT count(*) AS n FROM schedules WHERE slug = ?').bind('to-delete').first<{ n: number }>())!.n).toBe(0);
    expect(await deleteStoredArticle(db, 'to-delete')).toMatchObject({ ok: false, reason: 'not_found' });
    expect(await deleteStoredArticle(db, bundled.slug)).toMatchObject({ ok: false, reason: 'bundled' });
  });
});

describe('the catalogue', () => {
  it('holds both sources, oldest first, and finds a stored article as the same Article the send path knows', async () => {
    await saveStoredArticle(db, article('from-the-editor', '2000-01-02', 'Body from **D1**.'));
    const entries = await catalogue(db);
    expect(entries.map((e) => e.slug)).toContain(bundled.slug);
    const mine = entries.find((e) => e.slug === 'from-the-editor');
    expect(mine).toMatchObject({ source: 'editor', version: 1, date: '2000-01-02' });
    expect(entries[0]!.slug).toBe('from-the-editor'); // the oldest date first
    expect(await findArticle(db, 'from-the-editor')).toMatchObject({ slug: 'from-the-editor', markdown: 'Body from **D1**.', source: 'editor' });
    expect(await findArticle(db, bundled.slug)).toMatchObject({ ...bundled, source: 'content', version: null });
    expect(await findArticle(db, 'nobody-has-this')).toBeUndefined();
  });
});

describe('an imported issue (sent elsewhere, never mailed here)', () => {
  it('is sent in the archive, the feed and the API, takes its slug, and the weekly send never picks it', async () => {
    const sentAt = Date.parse('2019-05-01T10:00:00Z');
    const outboxBefore = ((await (await call('/dev/outbox.json')).json()) as unknown[]).length;
    expect(await recordImportedIssue(db, { slug: 'old-substack-post', title: 'From Substack', date: '2019-05-01', summary: 'An old one', sentAt, from: 'substack', body: { html: '<p>Imported <em>body</em></p>' } })).toBe('recorded');
    expect(await recordImportedIssue(db, { slug: 'old-substack-post', title: 'Again', date: '2019-05-01', summary: 'x', sentAt, from: 'substack', body: { html: '<p>x</p>' } })).toBe('slug_taken');
    expect(await recordImportedIssue(db, { slug: bundled.slug, title: 'Clash', date: '2019-05-01', summary: 'x', sentAt, from: 'ghost', body: { markdown: 'x' } })).toBe('slug_taken');
    await saveStoredArticle(db, article('editor-owned'));
    expect(await recordImportedIssue(db, { slug: 'editor-owned', title: 'Clash', date: '2019-05-01', summary: 'x', sentAt, from: 'ghost', body: { markdown: 'x' } })).toBe('slug_taken');
    expect(await recordImportedIssue(db, { slug: 'old-ghost-post', title: 'From Ghost', date: '2019-04-01', summary: 'Markdown body', sentAt, from: 'ghost', body: { markdown: '## A heading' } })).toBe('recorded');

    const page = await call('/archive/old-substack-post', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<p>Imported <em>body</em></p>');
    expect(await (await call('/archive/old-ghost-post', { headers: { accept: 'text/html' } })).text()).toContain('A heading</h2>');
    expect(await (await call('/feed.xml')).text()).toContain('/archive/old-substack-post');
    const { issues } = await adminJson<{ issues: { slug: string; status: string }[] }>('/api/issues');
    expect(issues.find((i) => i.slug === 'old-substack-post')).toMatchObject({ status: 'sent' });
    expect(await adminJson('/api/issues/old-substack-post/stats')).toMatchObject({ status: 'sent', recipients: 0, sent: 0 });
    expect(await saveStoredArticle(db, article('old-substack-post'))).toMatchObject({ ok: false, reason: 'slug_taken' });

    // Nobody is mailed, whatever the weekly slot does.
    await importCsv('email\nimport-reader@articles.example\n', 'confirmed');
    const run = await weekly(Date.now(), [{ slug: 'old-substack-post', title: 'From Substack', date: '2019-05-01', summary: 'x', markdown: 'x' }]);
    expect(run.started).toBeNull();
    const outboxAfter = ((await (await call('/dev/outbox.json')).json()) as { subject: string }[]).filter((m) => m.subject === 'From Substack');
    expect(outboxAfter).toHaveLength(0);
    expect(outboxBefore).toBeGreaterThanOrEqual(0);
  });
});

describe('the article document', () => {
  it('round-trips through articleDocument and reports each problem with its line', () => {
    const doc = articleDocument(article('round-trip'), Date.parse('2026-12-10T14:00:00Z'));
    expect(parseArticleDocument('round-trip', doc)).toEqual({ ok: true, article: article('round-trip'), sendAt: Date.parse('2026-12-10T14:00:00Z') });
    const bad = parseArticleDocument('bad', '---\ntitle: "Fine"\ndate: 2026-02-30\nsummary: 42\nsend_at: tomorrow\n---\n');
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => p.line)).toEqual([3, 4, 5, 7]);
    expect(bad.problems[0]!.message).toContain('2026-02-30 is not a real day');
    expect(parseArticleDocument('x', 'no front matter')).toMatchObject({ ok: false, problems: [{ line: 1 }] });
    expect(parseArticleDocument('x', '---\ntitle: [unclosed\n---\nbody')).toMatchObject({ ok: false, problems: [{ line: 2 }] });
    expect(parseArticleDocument('x', '---\ntitle: "T"\ndate: 2026-01-01\nsummary: "S"\nsend_at: 2026-12-10T09:00:00-05:00\n---\nBody')).toMatchObject({ ok: true, sendAt: Date.parse('2026-12-10T14:00:00Z') });
  });
});
