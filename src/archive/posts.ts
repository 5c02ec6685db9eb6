// What a back issue in another service's export is, as plain functions of data: which posts become
// sent issues here and which are skipped (with the reason), their slug, title, date and summary, and
// their HTML turned into the project's Markdown.
//
// Substack (export zip): `posts.csv` (post_id, post_date, is_published, email_sent_at, type,
// audience, title, subtitle, podcast_url) and `posts/{post_id}.html`, the body. A newsletter post
// (or podcast episode) that was published to everyone is imported; drafts, pages, discussion
// threads and posts for paying subscribers only are skipped. TryGhost/migrate's mg-substack reads
// the same files.
// Ghost (JSON export, `db[0].data.posts`): a post published (or sent by email only: status `sent`)
// whose visibility is public or members is imported; drafts, scheduled posts, pages and posts for
// paid members or tiers are skipped. Internal links are written `__GHOST_URL__/…` there: they become
// absolute with the old site's address (`?site_url=`).
//
// Dated when first sent (Substack's email_sent_at, else post_date; Ghost's published_at). The
// Markdown keeps images and links as absolute http(s) URLs and drops scripts, forms, embeds and
// links of other schemes, so the archive renders nothing active.
import { parseHTML } from 'linkedom';
import TurndownService from 'turndown';

export interface ArchivePost {
  /** The post's id in its export (Substack's post_id, Ghost's id): named in every skip. */
  id: string;
  slug: string;
  title: string;
  /** `YYYY-MM-DD` (UTC) of `sentAt`. */
  date: string;
  sentAt: number;
  summary: string;
  markdown: string;
}

export type Skip = { id: string; reason: string };

/** A Substack post as posts.csv describes it, before its HTML is read. */
export interface SubstackMeta {
  id: string;
  slug: string;
  title: string;
  sentAt: number;
  subtitle: string;
  podcastUrl: string | null;
}

const TITLE_MAX = 300;
const SUMMARY_MAX = 300;

/** posts.csv row → a post to read, or why it is skipped. */
export function judgeSubstackRow(row: Readonly<Record<string, string | undefined>>, line: number): { kind: 'wanted'; meta: SubstackMeta } | ({ kind: 'skip' } & Skip) {
  const id = (row.post_id ?? '').trim();
  if (!id) return { kind: 'skip', id: `posts.csv line ${line}`, reason: 'This row has no post_id.' };
  const skip = (reason: string) => ({ kind: 'skip' as const, id, reason });
  if ((row.is_published ?? '').trim().toLowerCase() !== 'true') return skip('A draft: never published on Substack.');
  const type = (row.type ?? 'newsletter').trim().toLowerCase() || 'newsletter';
  if (type === 'page') return skip('A page, not a newsletter post.');
  if (type === 'thread') return skip('A discussion thread, not a newsletter post.');
  if (type !== 'newsletter' && type !== 'podcast') return skip(`A post of type "${type.slice(0, 40)}", not a newsletter post.`);
  const audience = (row.audience ?? 'everyone').trim().toLowerCase() || 'everyone';
  if (audience === 'only_paid' || audience === 'founding') return skip('For paying subscribers only: the archive here is public.');
  const title = decodeEntities(row.title ?? '').trim();
  if (!title) return skip('The post has no title.');
  const sentAt = isoTime(row.email_sent_at) ?? isoTime(row.post_date);
  if (sentAt === null) return skip('The post has no readable date (email_sent_at or post_date).');
  const podcast = (row.podcast_url ?? '').trim();
  return {
    kind: 'wanted',
    meta: {
      id,
      // post_id is `{number}.{slug}`.
      slug: toSlug(id.includes('.') ? id.slice(id.indexOf('.') + 1) : '', id),
      title: title.slice(0, TITLE_MAX),
      sentAt,
      subtitle: decodeEntities(row.subtitle ?? '').trim(),
      podcastUrl: /^https?:\/\//i.test(podcast) ? podcast : null,
    },
  };
}

/** A wanted Substack post with its HTML → the post, or why it cannot be read. */
export function substackPost(meta: SubstackMeta, html: string): ArchivePost | Skip {
  const markdown = htmlToMarkdown(html, null);
  if (markdown === null) return { id: meta.id, reason: `posts/${meta.id}.html could not be read as HTML.` };
  const body = meta.podcastUrl ? `[Listen to this episode](${meta.podcastUrl})\n\n${markdown}` : markdown;
  if (!body.trim()) return { id: meta.id, reason: `posts/${meta.id}.html has no text.` };
  return { id: meta.id, slug: meta.slug, title: meta.title, date: dayOf(meta.sentAt), sentAt: meta.sentAt, summary: summaryOf(meta.subtitle, markdown), markdown: body };
}

/** One element of a Ghost export's `posts` → the post, or why it is skipped. */
export function ghostPost(value: unknown, siteUrl: string | null): ArchivePost | Skip {
  const post = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const id = typeof post.id === 'string' || typeof post.id === 'number' ? String(post.id) : '(no id)';
  const skip = (reason: string): Skip => ({ id, reason });
  const type = typeof post.type === 'string' ? post.type : post.page === true || post.page === 1 ? 'page' : 'post';
  if (type === 'page') return skip('A page, not a newsletter post.');
  const status = typeof post.status === 'string' ? post.status : '';
  if (status === 'draft') return skip('A draft: never published on Ghost.');
  if (status === 'scheduled') return skip('Scheduled on Ghost, not yet published.');
  if (status !== 'published' && status !== 'sent') return skip(`Status "${status.slice(0, 40)}" is not published.`);
  const visibility = typeof post.visibility === 'string' ? post.visibility : 'public';
  if (visibility === 'paid' || visibility === 'tiers') return skip('For paying members only: the archive here is public.');
  const title = typeof post.title === 'string' ? post.title.trim() : '';
  if (!title) return skip('The post has no title.');
  const sentAt = isoTime(typeof post.published_at === 'string' ? post.published_at : undefined);
  if (sentAt === null) return skip('The post has no readable published_at.');
  const rawHtml = typeof post.html === 'string' ? post.html : '';
  if (!rawHtml.trim()) return skip('The post has no HTML in the export.');
  if (rawHtml.includes('__GHOST_URL__') && !siteUrl) {
    return skip('Its links and images are written as __GHOST_URL__/…: import again with ?site_url= set to the old site\'s address (https://…) to keep them as absolute links.');
  }
  const html = siteUrl ? rawHtml.replaceAll('__GHOST_URL__', siteUrl.replace(/\/+$/, '')) : rawHtml;
  const markdown = htmlToMarkdown(html, siteUrl);
  if (markdown === null || !markdown.trim()) return skip('Its HTML could not be read.');
  const excerpt = typeof post.custom_excerpt === 'string' ? post.custom_excerpt : '';
  return {
    id,
    slug: toSlug(typeof post.slug === 'string' ? post.slug : '', id),
    title: title.slice(0, TITLE_MAX),
    date: dayOf(sentAt),
    sentAt,
    summary: summaryOf(excerpt, markdown),
    markdown,
  };
}

// ---- HTML to Markdown ------------------------------------------------------------------------

const SAFE_URL = /^(https?:|mailto:)/i;
/** What the rules read of a node (the project compiles without the DOM lib; linkedom gives these). */
type DomNode = { nodeName: string; getAttribute(name: string): string | null };
/** Elements with nothing for a reader of the archive (or something active). */
const DROPPED = ['script', 'style', 'noscript', 'iframe', 'object', 'embed', 'form', 'input', 'button', 'select', 'textarea', 'svg', 'template', 'head', 'title', 'meta', 'link'];
/** Substack's and Ghost's calls to subscribe, share or comment: their buttons, not the post. */
const WIDGETS = '.subscription-widget-wrap, .subscription-widget, .subscribe-widget, .button-wrapper, .captioned-button-wrap, .share-dialog, .kg-signup-card, .kg-cta-card, .footnote-anchor-tooltip';

/** One service per base address (the rules hold it), made once per isolate. */
const services = new Map<string | null, TurndownService>();

function turndownService(base: string | null): TurndownService {
  let service = services.get(base);
  if (!service) {
    service = makeTurndownService(base);
    if (services.size > 16) services.clear();
    services.set(base, service);
  }
  return service;
}

function makeTurndownService(base: string | null): TurndownService {
  const service = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*' });
  service.remove(DROPPED as TurndownService.Filter);
  const absolute = (url: string | null): string | null => {
    if (!url) return null;
    try {
      const resolved = base ? new URL(url, base).href : new URL(url).href;
      return SAFE_URL.test(resolved) ? resolved : null;
    } catch {
      return null;
    }
  };
  service.addRule('safeImages', {
    filter: 'img',
    replacement: (_content, node) => {
      const element = node as unknown as DomNode;
      const src = absolute(element.getAttribute('src'));
      if (!src || !/^https?:/i.test(src)) return '';
      const alt = (element.getAttribute('alt') ?? '').replace(/[\[\]\\\n]/g, ' ').trim();
      return `![${alt}](${src.replace(/\)/g, '%29')})`;
    },
  });
  service.addRule('safeLinks', {
    filter: (node) => (node as unknown as DomNode).nodeName === 'A' && (node as unknown as DomNode).getAttribute('href') !== null,
    replacement: (content, node) => {
      const href = absolute((node as unknown as DomNode).getAttribute('href'));
      if (!href || !content.trim()) return content;
      return `[${content}](${href.replace(/\)/g, '%29')})`;
    },
  });
  return service;
}

/**
 * HTML (a whole page or a fragment) → Markdown, or null when it cannot be read. Runs in workerd:
 * turndown's browser build parses nothing itself when handed a node, and linkedom gives it one.
 */
export function htmlToMarkdown(html: string, base: string | null): string | null {
  if (html.includes('\uFFFD\uFFFD\uFFFD')) return null; // bytes that were not text
  try {
    const { document } = parseHTML(`<!doctype html><html><body><div id="archive-root">${stripDocument(html)}</div></body></html>`);
    const root = document.getElementById('archive-root');
    if (!root) return null;
    for (const widget of root.querySelectorAll(WIDGETS)) widget.remove();
    return turndownService(base).turndown(root as unknown as HTMLElement).replace(/\n{3,}/g, '\n\n').trim();
  } catch {
    return null;
  }
}

/** The body of a whole HTML document (Substack's post files are fragments, but a file may not be). */
function stripDocument(html: string): string {
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html);
  return body ? body[1] : html;
}

// ---- small helpers ---------------------------------------------------------------------------

/** A slug the archive serves (`[a-z0-9-]`, at most 200): from the source's, else from the id. */
export function toSlug(source: string, id: string): string {
  const clean = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 200)
      .replace(/-+$/, '');
  return clean(source) || `post-${clean(id) || 'untitled'}`;
}

function isoTime(cell: string | undefined): number | null {
  const text = (cell ?? '').trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return null;
  const time = Date.parse(text);
  return Number.isFinite(time) ? time : null;
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The source's own summary (subtitle, excerpt), else the start of the first paragraph of text. */
function summaryOf(given: string, markdown: string): string {
  const own = given.replace(/\s+/g, ' ').trim();
  if (own) return own.slice(0, SUMMARY_MAX);
  const paragraph = markdown
    .split(/\n\s*\n/)
    .map((p) => p.replace(/!\[[^\]]*\]\([^)]*\)/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[#>*_`~-]/g, '').replace(/\s+/g, ' ').trim())
    .find((p) => p.length > 0);
  if (!paragraph) return '';
  return paragraph.length <= SUMMARY_MAX ? paragraph : `${paragraph.slice(0, SUMMARY_MAX - 1).replace(/\s+\S*$/, '')}…`;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', hellip: '…', mdash: '—', ndash: '–', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“' };

/** Substack writes titles and subtitles with HTML entities (`&#x201C;`). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === '#') {
      const n = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : whole;
    }
    return NAMED[code.toLowerCase()] ?? whole;
  });
}
