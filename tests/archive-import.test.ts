// Back issues moved in from Substack (export zip) and Ghost (JSON export): which posts become sent
// issues, their Markdown, dates, the archive and the feed, never mailed, dry runs, re-imports and
// bad input. The exports are built here in each tool's layout (our own small content).
import { env } from 'cloudflare:test';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodeEntities, ghostPost, htmlToMarkdown, judgeSubstackRow, toSlug } from '../src/archive/posts';
import { admin } from './support/admin';
import { call, outbox, subscribeAndConfirm, weekly } from './support/helpers';

const POSTS_CSV = [
  'post_id,post_date,is_published,email_sent_at,type,audience,title,subtitle,podcast_url',
  '101.first-issue,2021-03-05T09:00:00.000Z,true,2021-03-04T10:00:00.000Z,newsletter,everyone,The First Issue,&#x201C;Where it all began&#x201D;,',
  '102.paid-notes,2021-04-01T09:00:00.000Z,true,2021-04-01T09:00:00.000Z,newsletter,only_paid,Paid Notes,For supporters,',
  '103.half-written,2021-05-01T09:00:00.000Z,false,,newsletter,everyone,Half Written,,',
  '104.about,2020-01-01T09:00:00.000Z,true,,page,everyone,About,,',
  '105.open-thread,2021-06-01T09:00:00.000Z,true,2021-06-01T09:00:00.000Z,thread,everyone,Open Thread,,',
  '106.second-issue,2022-01-02T08:30:00.000Z,true,,newsletter,everyone,Second Issue,,',
  '107.lost-post,2022-02-02T08:30:00.000Z,true,2022-02-02T08:30:00.000Z,newsletter,everyone,Lost Post,,',
  '108.episode-one,2022-03-03T08:30:00.000Z,true,2022-03-03T08:30:00.000Z,podcast,everyone,Episode One,Our first show,https://audio.example/ep1.mp3',
].join('\n');

const HTML: Record<string, string> = {
  '101.first-issue': '<div class="body markup"><h2>Hello, readers</h2><p>This is <strong>the first</strong> issue, with <a href="https://example.org/more">a link</a>.</p><div class="captioned-image-container"><figure><img src="https://substack-post-media.example/images/one.png" alt="A lake"></figure></div><div class="subscription-widget-wrap"><p>Subscribe now</p><button>Subscribe</button></div></div>',
  '102.paid-notes': '<p>Secret</p>',
  '104.about': '<p>About us</p>',
  '106.second-issue': '<p>Second, with <a href="javascript:alert(1)">a bad link</a> and a script.</p><script>alert(2)</script><ul><li>one</li><li>two</li></ul>',
  '108.episode-one': '<p>Show notes.</p>',
};

function substackZip(options: { csvLast?: boolean; withoutCsv?: boolean; html?: Record<string, string | Uint8Array> } = {}): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const html = options.html ?? HTML;
  const add = (name: string, content: string | Uint8Array) => (files[name] = typeof content === 'string' ? strToU8(content) : content);
  if (!options.csvLast && !options.withoutCsv) add('posts.csv', POSTS_CSV);
  for (const [id, body] of Object.entries(html)) add(`posts/${id}.html`, body);
  add('email_list.example.csv', 'email,active_subscription\nreader@ss.example,false\n');
  if (options.csvLast && !options.withoutCsv) add('posts.csv', POSTS_CSV);
  return zipSync(files);
}

function ghostExport(slugSuffix = ''): string {
  const post = (fields: Record<string, unknown>) => ({ uuid: 'u', mobiledoc: null, lexical: '{"root":{}}', feature_image: null, custom_excerpt: null, ...fields });
  return JSON.stringify({
    db: [
      {
        meta: { exported_on: 1700000000000, version: '5.80.0' },
        data: {
          posts: [
            post({ id: 'g1', title: 'Ghost Welcome', slug: `ghost-welcome${slugSuffix}`, html: '<p>Welcome to the <em>Ghost</em> side.</p><figure class="kg-card kg-image-card"><img src="__GHOST_URL__/content/images/2023/01/pic.jpg" alt="Pic"></figure>', status: 'published', type: 'post', visibility: 'public', published_at: '2023-01-10T12:00:00.000Z', custom_excerpt: 'The first one on Ghost' }),
            post({ id: 'g2', title: 'Draft', slug: `ghost-draft${slugSuffix}`, html: '<p>Not yet</p>', status: 'draft', type: 'post', visibility: 'public', published_at: null }),
            post({ id: 'g3', title: 'About', slug: `ghost-about${slugSuffix}`, html: '<p>Page</p>', status: 'published', type: 'page', visibility: 'public', published_at: '2022-01-01T00:00:00.000Z' }),
            post({ id: 'g4', title: 'For Paid Members', slug: `ghost-paid${slugSuffix}`, html: '<p>Paid</p>', status: 'published', type: 'post', visibility: 'paid', published_at: '2023-02-01T00:00:00.000Z' }),
            post({ id: 'g5', title: 'Members Letter', slug: `ghost-members${slugSuffix}`, html: '<p>For all members.</p>', status: 'published', type: 'post', visibility: 'members', published_at: '2023-03-01T00:00:00.000Z' }),
            post({ id: 'g6', title: 'Email Only', slug: `ghost-email-only${slugSuffix}`, html: '<p>Sent by email only.</p>', status: 'sent', type: 'post', visibility: 'public', published_at: '2023-04-01T00:00:00.000Z' }),
          ],
          tags: [{ id: 't1', name: 'News' }],
          posts_tags: [],
        },
      },
    ],
  });
}

interface Report {
  format: string;
  imported: number;
  skipped: { id: string; reason: string }[];
  issues: { slug: string; title: string; date: string }[];
  dryRun?: true;
}

async function importArchive(body: BodyInit, query = ''): Promise<Response> {
  return admin(`/api/archive/import${query}`, { method: 'POST', body, headers: { 'content-type': body instanceof Uint8Array ? 'application/zip' : 'application/json' } });
}

async function importOk(body: BodyInit, query = ''): Promise<Report> {
  const response = await importArchive(body, query);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json() as Promise<Report>;
}

const sendsCount = async () => (await env.DB.prepare('SELECT count(*) AS n FROM sends').first<number>('n')) ?? 0;

describe('what a post becomes (pure)', () => {
  it('keeps published newsletter posts to everyone and skips drafts, pages, threads and paid posts with reasons', () => {
    const rows = POSTS_CSV.split('\n').slice(1).map((line) => {
      const [post_id, post_date, is_published, email_sent_at, type, audience, title, subtitle, podcast_url] = line.split(',');
      return { post_id, post_date, is_published, email_sent_at, type, audience, title, subtitle, podcast_url };
    });
    const judged = rows.map((row, i) => judgeSubstackRow(row, i + 2));
    expect(judged.map((j) => (j.kind === 'wanted' ? j.meta.slug : j.reason))).toEqual([
      'first-issue',
      expect.stringMatching(/paying/),
      expect.stringMatching(/draft/i),
      expect.stringMatching(/page/),
      expect.stringMatching(/thread/),
      'second-issue',
      'lost-post',
      'episode-one',
    ]);
    const first = judged[0];
    expect(first.kind === 'wanted' && first.meta).toMatchObject({ title: 'The First Issue', subtitle: '“Where it all began”', sentAt: Date.parse('2021-03-04T10:00:00.000Z') });
    // Never sent by email: dated by its post date.
    const second = judged[5];
    expect(second.kind === 'wanted' && second.meta.sentAt).toBe(Date.parse('2022-01-02T08:30:00.000Z'));
  });

  it('turns HTML into Markdown with absolute images and links, and nothing active', () => {
    const markdown = htmlToMarkdown('<h2>Title</h2><p>A <a href="/relative">rel</a>, <a href="javascript:alert(1)">bad</a> and <a href="https://ok.example/x">ok</a>.</p><img src="/img/a.png" alt="A"><img src="data:image/png;base64,AAAA"><script>alert(1)</script><iframe src="https://evil.example"></iframe><form><input name="x"></form>', 'https://old.example');
    expect(markdown).toBe('## Title\n\nA [rel](https://old.example/relative), bad and [ok](https://ok.example/x).\n\n![A](https://old.example/img/a.png)');
    expect(htmlToMarkdown('<p>x</p>', null)).toBe('x');
    expect(toSlug('Ünïcode Title! 2024', '1')).toBe('unicode-title-2024');
    expect(toSlug('', '123.')).toBe('post-123');
    expect(decodeEntities('&#x201C;Hi&#x201D; &amp; &#39;you&#39; &bogus;')).toBe('“Hi” & \'you\' &bogus;');
  });

  it('Ghost: published, sent-by-email and members posts; drafts, pages, paid and unlinkable ones skipped', () => {
    const posts = (JSON.parse(ghostExport()) as { db: { data: { posts: unknown[] } }[] }).db[0].data.posts;
    const judged = posts.map((p) => ghostPost(p, 'https://old.example'));
    expect(judged.map((j) => ('slug' in j ? j.slug : j.reason))).toEqual([
      'ghost-welcome',
      expect.stringMatching(/draft/i),
      expect.stringMatching(/page/),
      expect.stringMatching(/paying/),
      'ghost-members',
      'ghost-email-only',
    ]);
    expect('slug' in judged[0] && judged[0]).toMatchObject({ date: '2023-01-10', summary: 'The first one on Ghost', markdown: 'Welcome to the *Ghost* side.\n\n![Pic](https://old.example/content/images/2023/01/pic.jpg)' });
    // Without the old site's address, __GHOST_URL__ links cannot be made absolute: said, not guessed.
    expect(ghostPost(posts[0], null)).toEqual({ id: 'g1', reason: expect.stringContaining('site_url') });
  });
});

describe('POST /api/archive/import: a Substack export zip', () => {
  it('a dry run answers what the import will do and stores nothing', async () => {
    const preview = await importOk(substackZip(), '?dry_run=1');
    expect(preview).toMatchObject({ format: 'substack', imported: 3, dryRun: true });
    expect(await sendsCount()).toBe(0);
  });

  it('imports each published newsletter post as a sent issue, in the archive and feed by date, and mails nobody', async () => {
    await subscribeAndConfirm('reader@archive.example');
    const mailsBefore = (await outbox()).length;
    const report = await importOk(substackZip());
    expect(report.format).toBe('substack');
    expect(report.imported).toBe(3);
    expect(report.issues).toEqual([
      { slug: 'first-issue', title: 'The First Issue', date: '2021-03-04' },
      { slug: 'second-issue', title: 'Second Issue', date: '2022-01-02' },
      { slug: 'episode-one', title: 'Episode One', date: '2022-03-03' },
    ]);
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.id, s.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['102.paid-notes', '103.half-written', '104.about', '105.open-thread', '107.lost-post']);
    expect(reasons['107.lost-post']).toMatch(/no posts\/107\.lost-post\.html/);

    // The archive, newest first, and each issue's web version from its Markdown.
    const archive = (await (await call('/archive', { headers: { accept: 'application/json' } })).json()) as { issues: { slug: string; date: string; summary: string }[] };
    const imported = archive.issues.filter((i) => ['first-issue', 'second-issue', 'episode-one'].includes(i.slug));
    expect(imported.map((i) => i.slug)).toEqual(['episode-one', 'second-issue', 'first-issue']);
    expect(imported.find((i) => i.slug === 'first-issue')?.summary).toBe('“Where it all began”');
    expect(imported.find((i) => i.slug === 'second-issue')?.summary).toBe('Second, with a bad link and a script.');
    const first = (await (await call('/archive/first-issue', { headers: { accept: 'application/json' } })).json()) as { html: string };
    expect(first.html).toContain('<h2>Hello, readers</h2>');
    expect(first.html).toContain('<img src="https://substack-post-media.example/images/one.png" alt="A lake">');
    expect(first.html).not.toContain('Subscribe');
    const second = (await (await call('/archive/second-issue', { headers: { accept: 'application/json' } })).json()) as { html: string };
    expect(second.html).not.toMatch(/javascript:|<script|alert/);
    const episode = (await (await call('/archive/episode-one', { headers: { accept: 'application/json' } })).json()) as { html: string };
    expect(episode.html).toContain('href="https://audio.example/ep1.mp3"');
    const feed = await (await call('/feed.xml')).text();
    expect(feed).toContain('The First Issue');
    expect(feed.indexOf('Episode One')).toBeLessThan(feed.indexOf('The First Issue'));

    // Sent with no readers, and never picked by the weekly send.
    const rows = await env.DB.prepare("SELECT slug, status, recipients, imported_from AS f FROM sends WHERE imported_from IS NOT NULL ORDER BY slug").all();
    expect(rows.results).toEqual([
      { slug: 'episode-one', status: 'sent', recipients: 0, f: 'substack' },
      { slug: 'first-issue', status: 'sent', recipients: 0, f: 'substack' },
      { slug: 'second-issue', status: 'sent', recipients: 0, f: 'substack' },
    ]);
    const result = await weekly(Date.now(), []);
    expect(JSON.stringify(result)).not.toMatch(/first-issue|second-issue|episode-one/);
    const issues = (await (await admin('/api/issues')).json()) as { issues: { slug: string; status: string }[] };
    expect(issues.issues.filter((i) => i.slug === 'first-issue')).toEqual([expect.objectContaining({ status: 'sent' })]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await outbox()).length).toBe(mailsBefore);
  });

  it('run again, changes nothing: every post is skipped as already there', async () => {
    const before = await sendsCount();
    const again = await importOk(substackZip());
    expect(again.imported).toBe(0);
    expect(again.skipped.filter((s) => /taken/.test(s.reason)).map((s) => s.id).sort()).toEqual(['101.first-issue', '106.second-issue', '108.episode-one']);
    expect(await sendsCount()).toBe(before);
    expect((await importOk(substackZip(), '?dry_run=1')).imported).toBe(0);
  });

  it('reads a zip whose posts.csv comes after the posts, and skips a post whose HTML cannot be read, by its id', async () => {
    const csv = POSTS_CSV.replaceAll('first-issue', 'first-issue-b').replaceAll('second-issue', 'second-issue-b').replaceAll('episode-one', 'episode-one-b');
    const html = Object.fromEntries(Object.entries(HTML).map(([id, body]) => [id.replace(/(first-issue|second-issue|episode-one)$/, '$1-b'), body]));
    html['106.second-issue-b'] = new Uint8Array([0x3c, 0x70, 0x3e, 0xff, 0xfe, 0xfd, 0xff, 0xfe, 0xfd, 0x3c, 0x2f, 0x70, 0x3e]) as unknown as string;
    const files: Record<string, Uint8Array> = {};
    for (const [id, body] of Object.entries(html)) files[`posts/${id}.html`] = typeof body === 'string' ? strToU8(body) : (body as unknown as Uint8Array);
    files['posts.csv'] = strToU8(csv);
    const report = await importOk(zipSync(files));
    expect(report.issues.map((i) => i.slug)).toEqual(['first-issue-b', 'episode-one-b']);
    expect(report.skipped).toContainEqual({ id: '106.second-issue-b', reason: expect.stringMatching(/could not be read/) });
  });
});

describe('POST /api/archive/import: a Ghost JSON export', () => {
  it('needs the old site\'s address for __GHOST_URL__ links, then imports published posts with absolute images', async () => {
    const without = await importOk(ghostExport());
    expect(without.skipped).toContainEqual({ id: 'g1', reason: expect.stringContaining('site_url') });
    expect(without.issues.map((i) => i.slug)).toEqual(['ghost-members', 'ghost-email-only']);

    const report = await importOk(ghostExport(), '?site_url=https://old-ghost.example/');
    expect(report).toMatchObject({ format: 'ghost', imported: 1, issues: [{ slug: 'ghost-welcome', title: 'Ghost Welcome', date: '2023-01-10' }] });
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.id, s.reason]));
    expect(reasons).toMatchObject({ g2: expect.stringMatching(/draft/i), g3: expect.stringMatching(/page/), g4: expect.stringMatching(/paying/), g5: expect.stringMatching(/taken/), g6: expect.stringMatching(/taken/) });
    const page = (await (await call('/archive/ghost-welcome', { headers: { accept: 'application/json' } })).json()) as { html: string; summary: string };
    expect(page.html).toContain('src="https://old-ghost.example/content/images/2023/01/pic.jpg"');
    expect(page.summary).toBe('The first one on Ghost');
  });
});

describe('bad input changes nothing', () => {
  it('a post that inflates past 8 MB (a zip bomb) is skipped by its id, the rest imported', async () => {
    const files = { 'posts.csv': strToU8(POSTS_CSV.replaceAll('first-issue', 'bomb-issue').replaceAll('second-issue', 'fine-issue').replaceAll('episode-one', 'episode-bomb')), 'posts/101.bomb-issue.html': new Uint8Array(9 * 1024 * 1024).fill(0x61), 'posts/106.fine-issue.html': strToU8('<p>Fine.</p>') };
    const zip = zipSync(files);
    expect(zip.length).toBeLessThan(100_000);
    const report = await importOk(zip, '?dry_run=1');
    expect(report.issues.map((i) => i.slug)).toEqual(['fine-issue']);
    expect(report.skipped).toContainEqual({ id: '101.bomb-issue', reason: expect.stringMatching(/larger than 8 MB/) });
  });

  it('a zip without posts.csv, a broken zip, broken JSON, JSON of something else, neither', async () => {
    const before = await sendsCount();
    const cases: [BodyInit, number, string][] = [
      [substackZip({ withoutCsv: true }), 400, 'missing_posts_csv'],
      [substackZip().slice(0, 400), 400, 'invalid_zip'],
      // The posts before the break were read; none is stored.
      [ghostExport('-broken').slice(0, -40), 400, 'invalid_json'],
      [JSON.stringify({ hello: 'world' }), 400, 'not_a_ghost_export'],
      ['post_id,title\n1,x\n', 415, 'unsupported_archive'],
      ['', 400, 'empty_body'],
    ];
    for (const [body, status, code] of cases) {
      const response = await importArchive(body);
      const text = await response.text();
      expect(response.status, text).toBe(status);
      expect(JSON.parse(text).error.code, text).toBe(code);
    }
    // Random bytes that look like a zip or JSON at first: a clear 4xx, never a 5xx, nothing stored.
    for (let i = 0; i < 30; i++) {
      const noise = crypto.getRandomValues(new Uint8Array(200 + i * 37));
      if (i % 2 === 0) noise.set([0x50, 0x4b, 0x03, 0x04]);
      else noise[0] = 0x7b;
      const response = await importArchive(noise);
      expect(response.status, `noise ${i}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `noise ${i}`).toBeLessThan(500);
    }
    expect(await sendsCount()).toBe(before);
    const bad = await admin('/api/archive/import?site_url=ftp://x', { method: 'POST', body: ghostExport(), headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    const huge = await admin('/api/archive/import', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'content-length': String(65 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect((await admin('/api/archive/import', { method: 'POST', body: '{}', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });
});
