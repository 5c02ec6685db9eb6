// The reader-facing pages, inside workerd: each page component rendered with sample (and hostile)
// data, then the archive, the web version of an issue and the RSS feed through the real Worker
// after real weekly sends. The feed is checked by parsing it (tests/e2e/feed-check.ts).
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config';
import type { Article } from '../src/issues/article';
import { rssFeed } from '../src/web/feed';
import {
  ArchivePage,
  ArticlePage,
  CheckInboxPage,
  ConfirmedPage,
  ConfirmPage,
  formatDate,
  formatDateTime,
  MessagePage,
  OutboxPage,
  type OutboxMail,
  SubscribePage,
  UnsubscribedPage,
  UnsubscribePage,
} from '../src/web/pages';
import { renderPage } from '../src/web/render';
import { stylesheet } from '../src/web/styles';
import { checkRss } from './e2e/feed-check';
import { seedConfirmed } from './support/d1';
import { BASE, call, waitFor, weekly } from './support/helpers';

const XSS = `<script>alert("x")</script>`;
const site = { name: 'The Weekly Clarity', tagline: 'Evidence-based notes on skin, gut and sleep.' };
const evilSite = { name: `Evil ${XSS}`, tagline: `Tag ${XSS}` };
const NONCE = 'n0nc3-AbC123==';

// ---- helpers ---------------------------------------------------------------------------------------

/** Opening tags only (escaped text contains &lt; not <, so it never matches). */
const tags = (html: string) => html.match(/<[a-zA-Z][^>]*>/g) ?? [];
const tagsNamed = (html: string, name: string) => tags(html).filter((t) => new RegExp(`^<${name}[\\s>/]`, 'i').test(t));
const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag)?.[1] ?? null;
const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const scripts = (html: string) => tagsNamed(html, 'script');
const rendered: Record<string, string> = {};

/** What every page promises: the shell, no inline style or handler, labelled inputs, unique ids. */
function expectCommon(name: string, html: string, title: string, s = site) {
  rendered[name] = html;
  expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
  expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1"\/>/);
  expect(html).toMatch(/<meta charSet="utf-8"\/>/i);
  expect(decode(/<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '')).toBe(`${title} · ${s.name}`);
  expect(html).toMatch(/<link rel="stylesheet" href="\/styles.css"\/>/);
  expect(html).toMatch(/<link rel="icon" href="data:image\/svg\+xml,[^"]+"\/>/);
  expect(html).toMatch(/<a class="skip-link" href="#main">/);
  expect(html).toMatch(/<main id="main"/);
  expect(html).toMatch(/<a class="brand" href="\/"/);
  expect(html).toMatch(/<a href="\/archive"[^>]*>Archive<\/a>/);
  expect(html).toMatch(/<a href="\/feed.xml">RSS<\/a>/);
  expect(html).toMatch(/<footer/);
  expect((html.match(/<h1[\s>]/g) ?? []).length, 'exactly one h1').toBe(1);
  // The CSP allows no inline style and no handler; only nonce'd scripts run.
  expect(html).not.toMatch(/<style[\s>]/i);
  for (const t of tags(html)) {
    expect(t, 'no style attribute').not.toMatch(/\sstyle=/i);
    expect(t, 'no event handler').not.toMatch(/\son[a-z]+=/i);
    expect(t, 'no javascript: URL').not.toMatch(/=\s*"\s*javascript:/i);
  }
  for (const input of tagsNamed(html, 'input')) {
    if (['hidden', 'submit'].includes(attr(input, 'type') ?? '')) continue;
    const id = attr(input, 'id');
    expect(id, `input without id: ${input}`).toBeTruthy();
    expect(html, `no <label for="${id}">`).toContain(`<label for="${id}"`);
  }
  const ids = tags(html).map((t) => attr(t, 'id')).filter(Boolean);
  expect(new Set(ids).size, `duplicate ids: ${ids}`).toBe(ids.length);
}

function expectHoneypotHidden(html: string) {
  const inputs = tagsNamed(html, 'input').filter((t) => attr(t, 'name') === 'website');
  expect(inputs).toHaveLength(1);
  const input = inputs[0]!;
  expect(attr(input, 'tabindex') ?? attr(input, 'tabIndex')).toBe('-1');
  expect(attr(input, 'autocomplete') ?? attr(input, 'autoComplete')).toBe('off');
  const at = html.indexOf(input);
  const start = html.lastIndexOf('<div', at);
  const container = html.slice(start, html.indexOf('>', start) + 1);
  expect(container).toMatch(/class="visually-hidden"/);
  expect(container).toMatch(/aria-hidden="true"/);
  const inside = html.slice(start, html.indexOf('</div>', at));
  expect(inside).toMatch(/Leave this field empty/);
  expect(inside).not.toMatch(/required/);
}

function expectSubscribeForm(html: string) {
  const form = tagsNamed(html, 'form').find((t) => attr(t, 'action') === '/subscribe');
  expect(form, 'a form posting to /subscribe').toBeTruthy();
  expect(attr(form!, 'method')).toBe('post');
  const email = tagsNamed(html, 'input').find((t) => attr(t, 'name') === 'email')!;
  expect(attr(email, 'type')).toBe('email');
  expect(email).toMatch(/\srequired=""/);
  expect(attr(email, 'autoComplete') ?? attr(email, 'autocomplete')).toBe('email');
  expect(attr(email, 'maxLength') ?? attr(email, 'maxlength')).toBe('254');
  expect(html).toMatch(/<button type="submit" class="button">Subscribe<\/button>/);
  expectHoneypotHidden(html);
}

// ---- the page components ------------------------------------------------------------------------------

describe('dates', () => {
  it('reads as people write them', () => {
    expect(formatDate('2026-11-24')).toBe('24 November 2026');
    expect(formatDate('2026-01-05T10:00:00Z')).toBe('5 January 2026');
    expect(formatDate('soon')).toBe('soon');
    expect(formatDateTime('2026-11-24T14:03:09.000Z')).toBe('24 November 2026, 14:03 UTC');
    expect(formatDateTime('2026-11-24 14:03:09')).toBe('24 November 2026, 14:03 UTC');
    expect(formatDateTime('1795529000000')).toBe(formatDateTime(new Date(1795529000000).toISOString()));
    expect(formatDateTime('garbage')).toBe('garbage');
  });
});

describe('the subscribe page', () => {
  it('has the name, the promise, the latest issue and the form, with labels, a hidden honeypot and no script', () => {
    const latest = { title: 'Gut Health and Skin Clarity: The Hidden Connection', url: '/archive/gut-health', date: '2026-11-24' };
    const html = renderPage(<SubscribePage site={site} latest={latest} />);
    expectCommon('subscribe', html, 'Subscribe');
    expectSubscribeForm(html);
    expect(html).toMatch(/<h1 id="page-title">The Weekly Clarity<\/h1>/);
    expect(html).toContain(site.tagline);
    expect(html).toContain('One article a week. Leave any time with one press of a button.');
    expect(html).toMatch(/<a class="latest__title" href="\/archive\/gut-health">Gut Health and Skin Clarity: The Hidden Connection<\/a>/);
    expect(html).toMatch(/<time class="latest__date" dateTime="2026-11-24">24 November 2026<\/time>/);
    expect(scripts(html)).toHaveLength(0);
    expect(html).not.toMatch(/role="alert"|aria-invalid|cf-turnstile/);
    const name = tagsNamed(html, 'input').find((t) => attr(t, 'name') === 'name')!;
    expect(attr(name, 'maxLength')).toBe('200');
    expect(name).not.toMatch(/required/);
    expect(html).toMatch(/<label for="subscribe-name">Name <span class="optional">\(optional\)<\/span><\/label>/);
    expect(html).toMatch(/<label for="subscribe-email">Email address<\/label>/);
  });

  it('escapes hostile input, ties the error to the field, and loads Turnstile with the nonce', () => {
    const html = renderPage(
      <SubscribePage
        site={evilSite}
        error={`That doesn't look like an email address: ${XSS}`}
        values={{ email: `x${XSS}@example.com`, name: `Mallory ${XSS}"'` }}
        turnstileSiteKey="1x00000000000000000000AA"
        nonce={NONCE}
        latest={null}
      />,
    );
    expectCommon('subscribe-error', html, 'Subscribe', evilSite);
    expectSubscribeForm(html);
    expect(html).not.toMatch(/<script>alert/);
    expect(html).toContain('&lt;script&gt;alert');
    const name = tagsNamed(html, 'input').find((t) => attr(t, 'name') === 'name')!;
    expect(decode(attr(name, 'value')!)).toBe(`Mallory ${XSS}"'`);
    const alert = tags(html).find((t) => /role="alert"/.test(t))!;
    const email = tagsNamed(html, 'input').find((t) => attr(t, 'name') === 'email')!;
    expect(attr(email, 'aria-describedby')).toBe(attr(alert, 'id'));
    expect(attr(email, 'aria-invalid')).toBe('true');
    expect(html.indexOf(alert)).toBeLessThan(html.indexOf(email));
    expect(html).toMatch(/<div class="cf-turnstile" data-sitekey="1x00000000000000000000AA"><\/div>/);
    const [script, ...more] = scripts(html);
    expect(more).toHaveLength(0);
    expect(attr(script!, 'src')).toBe('https://challenges.cloudflare.com/turnstile/v0/api.js');
    expect(script).toMatch(/\sasync=""/);
    expect(script).toMatch(/\sdefer=""/);
    expect(attr(script!, 'nonce')).toBe(NONCE);
  });
});

describe('the subscriber lifecycle pages', () => {
  it('check your inbox: what happens next, without telling whether the address was known', () => {
    const html = renderPage(<CheckInboxPage site={site} />);
    expectCommon('check-inbox', html, 'Check your inbox');
    expect(html).toMatch(/<h1>Check your inbox<\/h1>/);
    expect(html).toMatch(/7 days/);
    expect(html).toMatch(/spam/);
    expect(html).not.toMatch(/already|confirmed/i);
    expect(scripts(html)).toHaveLength(0);
  });

  it('confirm: one button that POSTs to the same URL, and no script (loading the page confirms nothing)', () => {
    const token = 'abc.DEF+/=?&<x>';
    const html = renderPage(<ConfirmPage site={site} token={token} />);
    expectCommon('confirm', html, 'Confirm your subscription');
    const forms = tagsNamed(html, 'form');
    expect(forms).toHaveLength(1);
    expect(attr(forms[0]!, 'method')).toBe('post');
    expect(decode(attr(forms[0]!, 'action')!)).toBe('/confirm?token=' + encodeURIComponent(token));
    expect(html).toMatch(/<button type="submit" class="button">Confirm my subscription<\/button>/);
    expect(html).toMatch(/press the button/);
    expect(html).not.toMatch(/automatically/);
    expect(scripts(html)).toHaveLength(0);
    expect(html).not.toMatch(/\son[a-z]+="/i);
    expect(html).not.toMatch(/http-equiv="refresh"/i);
    expect(html).toMatch(/<meta name="robots" content="noindex, nofollow"\/>/);
    expect(html).toMatch(/<meta name="referrer" content="no-referrer"\/>/);
  });

  it('confirmed: welcome and the way to the archive', () => {
    const html = renderPage(<ConfirmedPage site={site} archiveUrl="/archive" />);
    expectCommon('confirmed', html, "You're subscribed");
    expect(html).toMatch(/<h1>You&#x27;re subscribed<\/h1>/);
    expect(html).toMatch(/href="\/archive"[^>]*>Read the archive<\/a>/);
    expect(scripts(html)).toHaveLength(0);
  });

  it('unsubscribe: one button that POSTs to the same URL, no script', () => {
    const html = renderPage(<UnsubscribePage site={site} token="tok+en/1=" />);
    expectCommon('unsubscribe', html, 'Unsubscribe');
    const forms = tagsNamed(html, 'form');
    expect(forms).toHaveLength(1);
    expect(attr(forms[0]!, 'method')).toBe('post');
    expect(decode(attr(forms[0]!, 'action')!)).toBe('/unsubscribe?token=tok%2Ben%2F1%3D');
    expect(tagsNamed(html, 'button')).toHaveLength(1);
    expect(html).toMatch(/<button type="submit" class="button">Unsubscribe<\/button>/);
    expect(scripts(html)).toHaveLength(0);
  });

  it('unsubscribed: done, and the way back', () => {
    const html = renderPage(<UnsubscribedPage site={site} />);
    expectCommon('unsubscribed', html, "You're unsubscribed");
    expect(html).toMatch(/You will get no more emails/);
    expect(html).toMatch(/<a href="\/">subscribe again<\/a>/);
  });

  it.each([
    [400, "This link doesn't work", 'The link is invalid or has expired. Subscribe again to get a fresh one.'],
    [404, 'Page not found', 'There is nothing at this address.'],
    [429, 'Too many requests', 'Please wait a minute and try again.'],
    [500, 'Something went wrong', `Our fault, not yours. ${XSS}`],
  ] as const)('message page %i: the status, what happened, the way home', (status, title, message) => {
    const html = renderPage(<MessagePage site={site} status={status} title={title} message={message} />);
    expectCommon(`message-${status}`, html, title);
    expect(html).toMatch(new RegExp(`Error ${status}`));
    expect(html).toContain(`<h1>${title.replace("'", '&#x27;')}</h1>`);
    expect(html).toMatch(/<a href="\/">Go to the home page<\/a>/);
    expect(html).not.toMatch(/<script>alert/);
  });
});

const ISSUES = [
  { slug: 'gut-health', title: 'Gut Health and Skin Clarity: The Hidden Connection', date: '2026-11-24', summary: "What the microbiome research says, and what it doesn't, about your skin." },
  { slug: 'sleep-debt', title: 'Sleep Debt Is Real, and You Can Repay It', date: '2026-11-17', summary: "Weekend lie-ins help more than you'd think, within limits." },
  { slug: 'x', title: `Title with ${XSS}`, date: '2026-01-03', summary: `Summary ${XSS}` },
];

const ARTICLE_HTML = `<p>Most of what you read about the <a href="https://example.com/gut">gut–skin axis</a> is extrapolated from mouse studies.</p>
<h2>What we actually know</h2>
<ul><li>People with acne have a less diverse gut microbiome on average.</li><li>Oral probiotics showed modest improvements in two small trials.</li></ul>
<blockquote><p>Correlation in cohorts is a starting point, not a conclusion.</p></blockquote>
<pre><code>week 1: kefir
week 2: kimchi</code></pre>
<hr>
<p>That's all for this week.</p>`;

describe('the archive and article pages', () => {
  it('archive: the issues in the order given, each with its date, linked title and summary, escaped', () => {
    const html = renderPage(<ArchivePage site={site} issues={ISSUES} />);
    expectCommon('archive', html, 'Archive');
    expect(html).toMatch(/<time class="issue__date" dateTime="2026-11-24">24 November 2026<\/time>/);
    expect(html).toMatch(/<time class="issue__date" dateTime="2026-01-03">3 January 2026<\/time>/);
    expect(html.indexOf('/archive/gut-health')).toBeLessThan(html.indexOf('/archive/sleep-debt'));
    expect(html).toMatch(/<a href="\/archive\/sleep-debt">Sleep Debt Is Real, and You Can Repay It<\/a>/);
    expect(html).toContain('<p class="issue__summary">Weekend lie-ins help more than you&#x27;d think, within limits.</p>');
    expect(html).not.toMatch(/<script>alert/);
    expect(html).toMatch(/<a href="\/archive" aria-current="page">Archive<\/a>/);
  });

  it('archive, empty: says the first issue is coming and how to get it', () => {
    const html = renderPage(<ArchivePage site={site} issues={[]} />);
    expectCommon('archive-empty', html, 'Archive');
    expect(html).toMatch(/No issues yet/);
    expect(html).not.toMatch(/class="issues"/);
  });

  it('article: date, title, summary, the body as given, then a subscribe box and the way back', () => {
    const [issue] = ISSUES;
    const html = renderPage(<ArticlePage site={site} title={issue!.title} date={issue!.date} summary={issue!.summary} html={ARTICLE_HTML} />);
    expectCommon('article', html, issue!.title);
    expectSubscribeForm(html);
    expect(html).toMatch(/<article class="article">/);
    expect(html).toMatch(/<h1>Gut Health and Skin Clarity: The Hidden Connection<\/h1>/);
    expect(html).toMatch(/<time class="eyebrow" dateTime="2026-11-24">24 November 2026<\/time>/);
    expect(html).toContain(ARTICLE_HTML);
    expect(html.indexOf('</article>')).toBeLessThan(html.indexOf('action="/subscribe"'));
    expect(html).toMatch(/<aside class="card subscribe-box" aria-labelledby="subscribe-box-title">/);
    expect(html).toMatch(/<a href="\/archive">← All issues<\/a>/);
    expect(scripts(html)).toHaveLength(0);
    expect(html).toContain(`<meta name="description" content="${issue!.summary.replace("'", '&#x27;')}"/>`);
  });
});

describe('the dev outbox page', () => {
  const mails: OutboxMail[] = [
    {
      id: 'm2',
      to: 'reader+news@example.com',
      from: 'The Weekly Clarity <hello@example.com>',
      subject: 'Confirm your subscription to The Weekly Clarity',
      createdAt: '2026-11-24T14:03:09.000Z',
      html: `<!doctype html><html><body><p>Confirm: <a href="http://localhost:8787/confirm?token=abc.def">link</a></p></body></html>`,
      text: `Hi ${XSS},\n\nConfirm your subscription: http://localhost:8787/confirm?token=abc.def&x=1.\n(Or see <http://localhost:8787/archive>.) Ignore javascript:alert(1) and ftp://nope.example.\n`,
      headers: { 'List-Unsubscribe': '<http://localhost:8787/unsubscribe?token=u1>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'X-Evil': XSS },
    },
    { id: 'm1', to: 'a@example.com', from: 'The Weekly Clarity <hello@example.com>', subject: 'Earlier mail', createdAt: '2026-11-24 13:00:00', html: '<p>x</p>', text: 'No links here.', headers: {} },
  ];

  it('lists the mail in the given order, links URLs in the text, and shows the HTML only as escaped source', () => {
    const html = renderPage(<OutboxPage site={site} mails={mails} />);
    expectCommon('outbox', html, 'Outbox');
    expect(html).toContain('Local outbox: mail is captured here and never sent. Set EMAIL_TRANSPORT=resend to send for real.');
    expect(html.indexOf('Confirm your subscription to')).toBeLessThan(html.indexOf('Earlier mail'));
    expect(html).toMatch(/<a href="http:\/\/localhost:8787\/confirm\?token=abc.def&amp;x=1">http:\/\/localhost:8787\/confirm\?token=abc.def&amp;x=1<\/a>\./);
    expect(html).toMatch(/&lt;<a href="http:\/\/localhost:8787\/archive">http:\/\/localhost:8787\/archive<\/a>&gt;/);
    expect(html).toMatch(/&lt;<a href="http:\/\/localhost:8787\/unsubscribe\?token=u1">/);
    expect(html).not.toMatch(/href="javascript|href="ftp/);
    expect(html).not.toMatch(/<script>alert/);
    expect(html).toMatch(/<details class="mail__part"><summary>Headers \(3\)<\/summary>/);
    expect(html).toMatch(/<pre class="mail__text">Hi &lt;script&gt;/);
    expect(html).toMatch(/24 November 2026, 14:03 UTC/);
    expect(html).toMatch(/24 November 2026, 13:00 UTC/);
    expect(scripts(html)).toHaveLength(0);
    expect(html).toContain('&lt;!doctype html&gt;&lt;html&gt;');
  });

  it('says how to fill it when it is empty', () => {
    const html = renderPage(<OutboxPage site={site} mails={[]} />);
    expectCommon('outbox-empty', html, 'Outbox');
    expect(html).toMatch(/Nothing captured yet/);
  });
});

describe('the stylesheet', () => {
  it('has dark mode, focus styles, the visually-hidden helper, no external resources, and a rule for every class the pages use', () => {
    expect(stylesheet).toMatch(/prefers-color-scheme:\s*dark/);
    expect(stylesheet).toMatch(/:focus-visible/);
    expect(stylesheet).toMatch(/\.visually-hidden\s*\{/);
    expect(stylesheet).toMatch(/\.skip-link/);
    expect(stylesheet).not.toMatch(/@import|url\(/);
    expect((stylesheet.match(/\{/g) ?? []).length).toBe((stylesheet.match(/\}/g) ?? []).length);
    const used = new Set<string>();
    for (const html of Object.values(rendered)) for (const t of tags(html)) for (const c of (attr(t, 'class') ?? '').split(/\s+/).filter(Boolean)) used.add(c);
    expect(used.size).toBeGreaterThan(20);
    const allowed = new Set(['cf-turnstile', 'article', 'subscribe-form', 'subscribe-form--compact']);
    const missing = [...used].filter((c) => !allowed.has(c) && !new RegExp(`\\.${c.replace(/[-_]/g, '\\$&')}(?![\\w-])`).test(stylesheet));
    expect(missing, 'classes without CSS').toEqual([]);
  });
});

// ---- through the Worker, after real sends ------------------------------------------------------------

describe('the feed, on its own', () => {
  it('escapes every kind of text so that a strict XML parser reads back exactly what was written', () => {
    const config = { ...readConfig({} as never), publicUrl: 'https://news.example.com', newsletterName: `Salt & "Pepper" <weekly>`, tagline: `Fish 'n' chips & more ]]>` };
    const hostile = { slug: 'salt-pepper', title: `A & B < C > D "E" 'F'`, date: '2026-02-03', summary: `<b>bold</b> &amp; ]]> \u00e9\u6f22` };
    const feed = checkRss(rssFeed(config, [hostile, { ...hostile, slug: 'older', date: '2026-01-01' }]), config.publicUrl);
    expect(feed.title).toBe(config.newsletterName);
    expect(feed.description).toBe(config.tagline);
    expect(feed.link).toBe('https://news.example.com/');
    expect(feed.selfHref).toBe('https://news.example.com/feed.xml');
    expect(feed.items[0]).toEqual({
      title: hostile.title,
      link: 'https://news.example.com/archive/salt-pepper',
      guid: 'https://news.example.com/archive/salt-pepper',
      pubDate: 'Tue, 03 Feb 2026 00:00:00 GMT',
      description: hostile.summary,
    });
  });

  it('is still valid with no issue at all', () => {
    const config = readConfig({} as never);
    expect(checkRss(rssFeed(config, []), config.publicUrl).items).toEqual([]);
  });

  it('the strict check refuses what readers would choke on', () => {
    const good = rssFeed(readConfig({} as never), [{ slug: 'a', title: 'A', date: '2026-01-01', summary: 'S' }]);
    expect(() => checkRss(good.replace('<title>A</title>', '<title>A & B</title>'), BASE)).toThrow(/unescaped|well-formed/);
    expect(() => checkRss(good.replace('<title>A</title>', '<title>A &nbsp; B</title>'), BASE)).toThrow(/entity/);
    expect(() => checkRss(good.replace(`${BASE}/archive/a</link>`, '/archive/a</link>'), BASE)).toThrow(/absolute/);
    expect(() => checkRss(good.replace('</item>', ''), BASE)).toThrow(/well-formed/);
    expect(() => checkRss(good.replace(/<pubDate>[^<]*</, '<pubDate>2026-01-01<'), BASE)).toThrow(/RFC 822/);
  });
});

describe('archive, article and feed through the Worker', async () => {
  const ARTICLES: Article[] = [
    { slug: 'first-steps', title: 'First Steps', date: '2026-01-05', summary: 'The first one.', markdown: '# Start here\n\nA paragraph with a [link](https://example.org/a?b=1&c=2).\n\n## Then this\n\n- one\n- two\n' },
    { slug: 'salt-and-pepper', title: `Salt & "Pepper" <tips>`, date: '2026-02-02', summary: `A < B && C > D, "quoted" and 'single'.`, markdown: 'Some `<code>` & text.\n' },
    { slug: 'latest-news', title: 'The Latest News', date: '2026-03-02', summary: 'The newest one.', markdown: 'Newest.\n' },
  ];

  async function sendAll() {
    await seedConfirmed(env.DB, 'pages-reader', 2);
    for (let i = 0; i < ARTICLES.length; i++) {
      const { started } = await weekly(Date.now(), ARTICLES);
      expect(started?.started, `send ${i + 1} started`).toBe(true);
      await waitFor(async () => {
        const row = await env.DB.prepare('SELECT status FROM sends WHERE slug = ?1').bind(started!.slug).first<{ status: string }>();
        return row?.status === 'sent';
      }, `send of ${started!.slug}`);
    }
  }

  it('lists the sent issues newest first, each with its date and summary', async () => {
    const empty = await call('/archive');
    expect(await empty.text()).toMatch(/No issues yet/);
    await sendAll();

    const json = (await (await call('/archive', { headers: { accept: 'application/json' } })).json()) as { issues: { slug: string }[] };
    expect(json.issues.map((i) => i.slug)).toEqual(['latest-news', 'salt-and-pepper', 'first-steps']);

    const response = await call('/archive');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/img-src[^;]*data:/);
    const html = await response.text();
    const order = ['/archive/latest-news', '/archive/salt-and-pepper', '/archive/first-steps'].map((href) => html.indexOf(`href="${href}"`));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(html).toContain('<time class="issue__date" dateTime="2026-03-02">2 March 2026</time>');
    expect(html).toContain('Salt &amp; &quot;Pepper&quot; &lt;tips&gt;');
    expect(html).toContain('A &lt; B &amp;&amp; C &gt; D, &quot;quoted&quot; and &#x27;single&#x27;.');
    expect(html).not.toContain('<tips>');
  });

  it('serves each issue as a reading page with its headings under the title, and a subscribe box', async () => {
    const response = await call('/archive/first-steps');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/<h1>First Steps<\/h1>/);
    expect((html.match(/<h1[\s>]/g) ?? []).length).toBe(1);
    expect(html).toMatch(/<h2[^>]*>Start here<\/h2>[\s\S]*<h3[^>]*>Then this<\/h3>/);
    expect(html).toContain('<a href="https://example.org/a?b=1&amp;c=2">link</a>');
    expect(html).toMatch(/<aside class="card subscribe-box"/);
    const code = await (await call('/archive/salt-and-pepper')).text();
    expect(code).toContain('<code>&lt;code&gt;</code> &amp; text.');
    expect((await call('/archive/never-sent')).status).toBe(404);
    expect((await call('/archive/..%2Fetc')).status).toBe(404);
  });

  it('publishes the same issues as RSS 2.0, newest first, with absolute links, escaped so that a parser reads them back', async () => {
    const response = await call('/feed.xml');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const feed = checkRss(await response.text(), BASE);
    expect(feed.items.map((i) => i.link)).toEqual(['latest-news', 'salt-and-pepper', 'first-steps'].map((s) => `${BASE}/archive/${s}`));
    expect(feed.items[1]!.title).toBe(`Salt & "Pepper" <tips>`);
    expect(feed.items[1]!.description).toBe(`A < B && C > D, "quoted" and 'single'.`);
    expect(feed.items[1]!.pubDate).toBe('Mon, 02 Feb 2026 00:00:00 GMT');
  });

  it('points the home page at the latest issue', async () => {
    const html = await (await call('/')).text();
    expect(html).toMatch(/<a class="latest__title" href="\/archive\/latest-news">The Latest News<\/a>/);
  });
});
