// RSS 2.0 of published issues, with absolute links.
import type { Config } from '../config';
import type { Article } from '../issues/article';

export function rssFeed(config: Config, articles: Omit<Article, 'markdown'>[]): string {
  const items = articles
    .map((a) => {
      const link = `${config.publicUrl}/archive/${a.slug}`;
      return `    <item>
      <title>${xml(a.title)}</title>
      <link>${xml(link)}</link>
      <guid isPermaLink="true">${xml(link)}</guid>
      <pubDate>${new Date(`${a.date}T00:00:00Z`).toUTCString()}</pubDate>
      <description>${xml(a.summary)}</description>
    </item>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>${xml(config.newsletterName)}</title>
    <link>${xml(config.publicUrl)}/</link>
    <description>${xml(config.tagline)}</description>
    <language>en</language>
    <atom:link href="${xml(config.publicUrl)}/feed.xml" rel="self" type="application/rss+xml"/>
${items}
  </channel>
</rss>
`;
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch]!);
}
