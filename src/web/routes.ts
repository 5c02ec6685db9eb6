// Reader-facing pages that are not part of the subscriber lifecycle: home, archive, feed, styles, health.
import { desc, eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { marked } from 'marked';
import { shiftHeadings } from '../../emails/components/ArticleMarkdown';
import type { Db } from '../db/client';
import { sends } from '../db/schema';
import { fail, page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import type { Article } from '../issues/article';
import { ArchivePage, ArticlePage, SubscribePage } from './pages';
import { rssFeed } from './feed';
import { stylesheet } from './styles';

export const webRoutes = new Hono<AppEnv>();

type Published = Omit<Article, 'markdown'>;

const published = { slug: sends.slug, title: sends.title, date: sends.articleDate, summary: sends.summary };

/**
 * Issues whose send has started, newest first, as they were sent (stored with the send): the
 * "view in browser" link works from the first email on, whatever later happens to content/.
 */
async function publishedIssues(db: Db, limit?: number): Promise<Published[]> {
  const newestFirst = db.select(published).from(sends).orderBy(desc(sends.articleDate), desc(sends.startedAt));
  return limit === undefined ? newestFirst : newestFirst.limit(limit);
}

webRoutes.get('/', async (c) => {
  if (wantsJson(c)) {
    return c.json({ name: c.get('config').newsletterName, subscribe: { method: 'POST', url: '/subscribe', fields: ['email', 'name'] } });
  }
  const [latest] = await publishedIssues(c.get('db'), 1);
  const turnstileSiteKey = c.get('config').turnstile?.siteKey ?? null;
  const nonce = c.get('secureHeadersNonce') ?? null;
  return page(c, SubscribePage({ site: site(c), turnstileSiteKey, nonce, latest: latest ? { title: latest.title, url: `/archive/${latest.slug}`, date: latest.date } : null }));
});

webRoutes.get('/archive', async (c) => {
  const issues = await publishedIssues(c.get('db'));
  if (wantsJson(c)) return c.json({ issues });
  return page(c, ArchivePage({ site: site(c), issues }));
});

webRoutes.get('/archive/:slug', async (c) => {
  const slug = c.req.param('slug');
  const article = /^[a-z0-9-]{1,200}$/.test(slug)
    ? await c.get('db').select({ ...published, markdown: sends.markdown, importedFrom: sends.importedFrom, importedHtml: sends.html }).from(sends).where(eq(sends.slug, slug)).get()
    : undefined;
  if (!article) return fail(c, 404, 'not_found', 'There is no published issue at this address. See the archive for every issue.', 'Not found');
  // Headings sit under the page's h1 as they do in the email (`# A` becomes an h2). An issue imported
  // with an HTML body (src/issues/stored-articles.ts) has no email: its HTML is its web version.
  const html = article.importedFrom !== null && !article.markdown ? article.importedHtml : await marked.parse(shiftHeadings(article.markdown));
  if (wantsJson(c)) {
    return c.json({ slug, title: article.title, date: article.date, summary: article.summary, html });
  }
  // The subscribe box at the end of the article needs Turnstile too when it is on.
  const turnstileSiteKey = c.get('config').turnstile?.siteKey ?? null;
  const nonce = c.get('secureHeadersNonce') ?? null;
  return page(c, ArticlePage({ site: site(c), title: article.title, date: article.date, summary: article.summary, html, turnstileSiteKey, nonce }));
});

webRoutes.get('/feed.xml', async (c) => {
  const config = c.get('config');
  const xml = rssFeed(config, await publishedIssues(c.get('db')));
  return c.body(xml, 200, { 'Content-Type': 'application/rss+xml; charset=utf-8' });
});

webRoutes.get('/styles.css', (c) => c.body(stylesheet, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' }));

webRoutes.get('/health', async (c) => {
  try {
    await c.get('db').get(sql`SELECT 1`);
    return c.json({ ok: true });
  } catch (error) {
    console.error(`health: D1 did not answer: ${(error as Error).message}`);
    return c.json({ ok: false, error: { code: 'database_unavailable', message: 'D1 did not answer.' } }, 503);
  }
});
