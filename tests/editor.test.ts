// The dashboard's editor without JavaScript, through the real Worker, D1 and R2: write, check (with
// lines), upload an image, preview light and dark, save, a second tab's stale save, schedule in the
// newsletter's time zone, test copy, delete; read-only once sending started; the session and CSRF.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { allArticles } from '../src/issues/catalog';
import { adminJson, importCsv } from './support/admin';
import { browser, csrfOf, signedInBrowser } from './support/dashboard';
import { call, waitForMail } from './support/helpers';

const [bundled] = allArticles();
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 2, 0x80, 0, 0, 1, 0xe0, 8, 6, 0, 0, 0, 0, 0, 0, 0]);

function form(fields: Record<string, string>, image?: { bytes: Uint8Array; type: string; name: string }): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  if (image) data.append('image', new File([image.bytes], image.name, { type: image.type }));
  return data;
}

const article = (over: Record<string, string> = {}) => ({ slug: 'from-the-browser', title: 'Written in the browser', date: '2026-12-01', summary: 'No terminal needed', markdown: 'Hello **readers**.', ...over });

describe('the editor', () => {
  it('needs a session; a form without this session\'s CSRF token is refused', async () => {
    const stranger = browser();
    expect((await stranger.get('/admin/issues/new')).status).toBe(303);
    expect((await stranger.post('/admin/issues/new', form(article()))).status).toBe(401);
    const b = await signedInBrowser();
    expect((await b.post('/admin/issues/new', form({ ...article(), intent: 'save', _csrf: 'forged' }))).status).toBe(403);
    expect((await adminJson<{ issues: { slug: string }[] }>('/api/issues')).issues.map((i) => i.slug)).not.toContain('from-the-browser');
  });

  it('shows each problem beside its field or body line, keeps the text, and saves nothing', async () => {
    const b = await signedInBrowser();
    const page = await b.get('/admin/issues/new');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="markdown"');
    expect(html).not.toContain('Add a Markdown file there');
    const body = 'First line.\n\nSee [here](/relative).\n\n![](https://example.org/a.png)';
    const response = await b.post('/admin/issues/new', form({ ...article({ slug: 'Bad Slug', title: '', markdown: body }), intent: 'save', _csrf: b.csrf }));
    expect(response.status).toBe(422);
    const text = await response.text();
    expect(text).toMatch(/Address \(slug\)<\/a>: Use lower-case letters/);
    expect(text).toMatch(/Title<\/a>: &quot;title&quot; is empty/);
    expect(text).toMatch(/Body, line 3<\/a>: the link/);
    expect(text).toMatch(/Body, line 5<\/a>: the image/);
    expect(text).toContain('See [here](/relative).'); // the text is still there
    expect((await call('/api/issues/bad-slug', { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } })).status).toBe(404);
    const taken = await b.post('/admin/issues/new', form({ ...article({ slug: bundled.slug }), intent: 'save', _csrf: b.csrf }));
    expect(await taken.text()).toMatch(/already used by another issue/);
  });

  it('uploads an image into the body, previews light and dark, saves, and refuses a second tab\'s stale save', async () => {
    const b = await signedInBrowser();
    const uploaded = await b.post('/admin/issues/new', form({ ...article(), intent: 'upload', _csrf: b.csrf }, { bytes: PNG, type: 'image/png', name: 'photo.png' }));
    expect(uploaded.status).toBe(200);
    const withImage = await uploaded.text();
    const url = /!\[Describe this image\]\((http:\/\/localhost:8787\/media\/[0-9a-f]{64}\.png)\)/.exec(withImage)?.[1];
    expect(url).toBeTruthy();
    expect((await call(new URL(url!).pathname)).headers.get('content-type')).toBe('image/png');

    const markdown = `Hello **readers**.\n\n![A view of the sea](${url})\n`;
    const light = await b.post('/admin/issues/preview?scheme=light', form({ ...article({ markdown }), _csrf: b.csrf }));
    expect(light.status).toBe(200);
    expect(light.headers.get('content-security-policy')).toMatch(/frame-ancestors 'self'/);
    expect(light.headers.get('content-security-policy')).toMatch(/style-src 'unsafe-inline'/);
    expect(light.headers.get('content-security-policy')).not.toMatch(/script-src/);
    const lightHtml = await light.text();
    expect(lightHtml).toContain('Written in the browser');
    expect(lightHtml).toContain(url);
    expect(lightHtml).toContain('/unsubscribe?token=');
    expect(lightHtml).toContain('@media (prefers-color-scheme:dark)');
    const dark = await (await b.post('/admin/issues/preview?scheme=dark', form({ ...article({ markdown }), _csrf: b.csrf }))).text();
    expect(dark).toContain('@media all{');

    const saved = await b.post('/admin/issues/new', form({ ...article({ markdown }), intent: 'save', _csrf: b.csrf }));
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/admin/issues/from-the-browser/edit?done=saved');
    const edit = await (await b.get('/admin/issues/from-the-browser/edit?done=saved')).text();
    expect(edit).toContain('Saved.');
    expect(edit).toContain('name="version" value="1"');
    expect(edit).toContain('src="/admin/issues/from-the-browser/preview?scheme=dark"');
    expect(await adminJson('/api/issues/from-the-browser')).toMatchObject({ title: 'Written in the browser', source: 'editor', markdown: markdown.trim() });

    // Two tabs opened at version 1: the first save wins, the second is told, with its text kept.
    expect((await b.post('/admin/issues/from-the-browser/edit', form({ ...article({ title: 'Tab one', markdown }), version: '1', intent: 'save', _csrf: b.csrf }))).status).toBe(303);
    const stale = await b.post('/admin/issues/from-the-browser/edit', form({ ...article({ title: 'Tab two', markdown }), version: '1', intent: 'save', _csrf: b.csrf }));
    expect(stale.status).toBe(409);
    expect(await stale.text()).toMatch(/changed by someone else/);
    expect(await adminJson('/api/issues/from-the-browser')).toMatchObject({ title: 'Tab one' });
  });

  it('schedules on the newsletter\'s clock, reschedules, unschedules; a time in the past is refused', async () => {
    const b = await signedInBrowser();
    await b.post('/admin/issues/new', form({ ...article({ slug: 'to-schedule' }), intent: 'save', _csrf: b.csrf }));
    const scheduled = await b.post('/admin/issues/to-schedule/schedule', { send_at: '2031-06-05T09:30', _csrf: b.csrf });
    expect(scheduled.status).toBe(303);
    expect(await adminJson('/api/issues/to-schedule')).toMatchObject({ status: 'scheduled', sendAt: '2031-06-05T09:30:00.000Z' }); // TIMEZONE is UTC here
    const page = await (await b.get('/admin/issues/to-schedule/edit')).text();
    expect(page).toContain('value="2031-06-05T09:30"');
    expect(page).toContain('Reschedule');
    expect((await b.post('/admin/issues/to-schedule/schedule', { send_at: '2001-01-01T09:00', _csrf: b.csrf })).status).toBe(422);
    expect((await b.post('/admin/issues/to-schedule/schedule', { send_at: 'soon', _csrf: b.csrf })).status).toBe(422);
    expect((await b.post('/admin/issues/to-schedule/unschedule', { _csrf: b.csrf })).status).toBe(303);
    expect(await adminJson('/api/issues/to-schedule')).toMatchObject({ status: expect.stringMatching(/^(ready|draft)$/) });
    const list = await (await b.get('/admin/issues')).text();
    expect(list).toContain('New issue');
  });

  it('sends a test copy of the saved version, deletes a draft after asking, and is read-only once sending started', async () => {
    const b = await signedInBrowser();
    await b.post('/admin/issues/new', form({ ...article({ slug: 'short-lived', title: 'Short lived' }), intent: 'save', _csrf: b.csrf }));
    const test = await b.post('/admin/issues/short-lived/test', { to: 'editor@editor.example', back: 'edit', _csrf: b.csrf });
    expect(test.headers.get('location')).toBe('/admin/issues/short-lived/edit?done=test&to=editor%40editor.example');
    const [copy] = await waitForMail('editor@editor.example', 'Short lived');
    expect(copy.subject).toBe('[TEST] Short lived');
    expect((await b.get('/admin/issues/short-lived/delete')).status).toBe(200);
    expect((await b.post('/admin/issues/short-lived/delete', { _csrf: b.csrf })).headers.get('location')).toBe('/admin/issues?done=deleted');
    expect((await b.get('/admin/issues/short-lived/edit')).status).toBe(404);

    await importCsv('email\neditor-reader@editor.example\n', 'confirmed');
    await b.post('/admin/issues/new', form({ ...article({ slug: 'goes-out', title: 'Goes out' }), intent: 'save', _csrf: b.csrf }));
    expect((await b.post('/admin/issues/goes-out/send', { _csrf: b.csrf })).status).toBe(303);
    const frozen = await b.get('/admin/issues/goes-out/edit');
    const html = await frozen.text();
    expect(html).toContain('can no longer change');
    expect(html).not.toContain('id="editor-form"');
    const refused = await b.post('/admin/issues/goes-out/edit', form({ ...article({ slug: 'goes-out', title: 'Changed' }), version: '1', intent: 'save', _csrf: b.csrf }));
    expect(refused.status).toBe(409);
    expect((await b.post('/admin/issues/goes-out/delete', { _csrf: b.csrf })).status).toBe(409);
    expect(csrfOf(html)).toBe(b.csrf);
    // A content file opens read-only, with scheduling.
    const content = await (await b.get(`/admin/issues/${bundled.slug}/edit`)).text();
    expect(content).toContain('is a file in <code>content/</code>');
    expect(content).toContain('name="send_at"');
  });
});
