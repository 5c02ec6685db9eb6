/// <reference types="vite/client" />
// The three emails, rendered inside workerd exactly as the Worker renders them (emails/render.tsx):
// what each promises in its HTML and its plain-text part, escaping, size, placeholders, colours,
// Outlook for Windows, the dark design, the postal address.
import { describe, expect, it } from 'vitest';
import { IMAGE_MAX_WIDTH, prepareMarkdown, shiftHeadings } from '../emails/components/ArticleMarkdown';
import { darkModeCss } from '../emails/components/dark-mode';
import { cls, colors, contrastPairs, darkContrastPairs } from '../emails/components/theme';
import { renderConfirmationEmail, renderConfirmLinkEmail, renderEmailChangeEmail, renderIssueEmail, renderWelcomeEmail, type IssueEmailProps } from '../emails/render';
import { articles } from '../src/generated/articles';

const SITE = 'https://newsletter.example.com';
const UNSUB = 'https://example.com/unsubscribe?token=__UNSUB_TOKEN__';
const CONFIRM = 'https://example.com/confirm?token=__CONFIRM_TOKEN__';
const EVIL_NAME = '<script>alert(1)</script>';
const NEWSLETTER = 'The Weekly Letter';
// With characters HTML must escape, to prove it is text everywhere.
const POSTAL = 'Salt & Co, 1 <Main> Street, Springfield, USA';
const POSTAL_HTML = 'Salt &amp; Co, 1 &lt;Main&gt; Street, Springfield, USA';

// The first real article in content/ (bundled by `npm run build:content`, which `npm test` runs first).
const article = articles[0]!;
const issueProps: IssueEmailProps = {
  newsletterName: NEWSLETTER,
  siteUrl: SITE,
  title: article.title,
  summary: article.summary,
  date: article.date,
  markdown: article.markdown,
  archiveUrl: `${SITE}/archive/${article.slug}`,
  unsubscribeUrl: UNSUB,
  postalAddress: POSTAL,
};

const featureMarkdown = `Intro with *emphasis*, **strong** words and \`inline code\` and \`<b>not bold</b>\`.

# A top heading

A paragraph with [a link to the study](https://example.org/study?a=1&b=2).

## A sub heading

- first item
- second item with _emphasis_

1. one
2. two

> A quoted line
> that goes on.

\`\`\`html
<div class="x">1 < 2 && 3 > 2</div>
\`\`\`

---

Last paragraph.
`;

// ---- helpers -------------------------------------------------------------------------------------

const bytes = (s: string) => new TextEncoder().encode(s).length;
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** React puts `<!-- -->` between adjacent text pieces; people and tests read past it. */
/** The HTML as a reader sees its text: React's empty comments gone, numeric references (non-ASCII is sent as those) decoded. */
const visible = (html: string) => html.replace(/<!-- -->/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));

function headingLevels(html: string): number[] {
  return [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
}

function expectHeadingsInOrder(html: string) {
  const levels = headingLevels(html);
  expect(levels[0], `first heading is h1 (${levels})`).toBe(1);
  expect(levels.filter((l) => l === 1), `exactly one h1 (${levels})`).toHaveLength(1);
  for (let i = 1; i < levels.length; i++) expect(levels[i]!, `no skipped heading level: ${levels}`).toBeLessThanOrEqual(levels[i - 1]! + 1);
}

function expectCommonHtml(html: string) {
  expect(html).toMatch(/<html[^>]*\blang="en"/);
  expect(html).toContain('<meta name="color-scheme" content="light dark"');
  expect(html).toContain('<meta name="supported-color-schemes" content="light dark"');
  // Layout in inline styles; one <style> block, the dark design, which only recolours; classes
  // only for it to hook onto; no scripts (code in <pre> may show such words).
  expect(count(html, '<style'), 'one <style> block').toBe(1);
  expect(/<style>([\s\S]*?)<\/style>/.exec(html)?.[1]).toBe(darkModeCss);
  for (const m of html.replace(/<pre[\s\S]*?<\/pre>/g, '').matchAll(/\sclass(?:Name)?="([^"]*)"/g)) {
    for (const name of m[1]!.split(/\s+/)) expect(Object.values(cls), `class "${name}"`).toContain(name);
  }
  expect(html).not.toMatch(/<script/i);
  expectOutlook(html);
  expectDarkDesign(html);
  expect(html).toContain('max-width:600px');
  // Dark mode: the page and the column each set their background and text colour together, and so
  // does every other element that paints a background (clients that invert, invert both).
  expect(html).toMatch(new RegExp(`background-color:${colors.page};color:${colors.text}`));
  expect(html).toMatch(new RegExp(`background-color:${colors.card};color:${colors.text}`));
  for (const m of html.matchAll(/<(?!body)([a-z0-9]+)\s[^>]*style="([^"]*background-color:[^"]*)"/g)) {
    expect(m[2], `<${m[1]}> sets a background without a text colour`).toMatch(/(^|;)color:/);
  }
  // Every link has a target and text that makes sense on its own.
  for (const m of html.matchAll(/<a\s([^>]*)>([\s\S]*?)<\/a>/g)) {
    // A linked image is named by its alt text.
    const label = m[2]!.replace(/<!--[\s\S]*?-->/g, '').replace(/<img\s[^>]*alt="([^"]*)"[^>]*>/g, '$1').replace(/<[^>]+>/g, '').trim();
    expect(m[1]).toMatch(/href="[^"]+"/);
    expect(label.length, `link without text: ${m[1]}`).toBeGreaterThan(0);
    expect(label).not.toMatch(/^(here|click here|link|more|read more)$/i);
  }
}

const OUTLOOK_SETTINGS =
  '<!--[if mso]><xml><o:OfficeDocumentSettings><o:AllowPNG/><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml><![endif]-->';
const OUTLOOK_OPEN =
  '<!--[if mso]><table role="presentation" align="center" width="600" cellpadding="0" cellspacing="0" border="0" style="width:600px"><tr><td><![endif]-->';
const OUTLOOK_CLOSE = '<!--[if mso]></td></tr></table><![endif]-->';

/** Outlook for Windows: Office namespaces, 96 DPI, one fixed 600 px wrapper around the whole column. */
function expectOutlook(html: string) {
  expect(html).toMatch(/<html[^>]*\sxmlns:v="urn:schemas-microsoft-com:vml"/);
  expect(html).toMatch(/<html[^>]*\sxmlns:o="urn:schemas-microsoft-com:office:office"/);
  expect(count(html, OUTLOOK_SETTINGS)).toBe(1);
  expect(html.indexOf(OUTLOOK_SETTINGS)).toBeLessThan(html.indexOf('</head>'));
  expect(count(html, OUTLOOK_OPEN)).toBe(1);
  expect(count(html, OUTLOOK_CLOSE)).toBe(1);
  const open = html.indexOf(OUTLOOK_OPEN);
  const close = html.indexOf(OUTLOOK_CLOSE);
  expect(open, 'the wrapper opens before the column').toBeLessThan(html.indexOf(`class="${cls.card}"`));
  expect(close, 'and closes after the footer').toBeGreaterThan(html.lastIndexOf('data-text-footer'));
  expect(close).toBeGreaterThan(html.lastIndexOf(POSTAL_HTML));
  expect(html, 'every Outlook marker was turned into its conditional comment').not.toContain('data-outlook-only');
  // The preheader: hidden in every client, Outlook included, and from screen readers.
  const preheader = /<div style="([^"]*)"([^>]*)>/.exec(html.slice(html.indexOf('<body')))!;
  expect(preheader[1]).toMatch(/^display:none;/);
  expect(preheader[1]).toContain('mso-hide:all');
  expect(preheader[1]).toContain('max-height:0');
  expect(preheader[2]).toContain('aria-hidden="true"');
  expect(preheader[2]).toContain('data-skip-in-text="true"');
}

/**
 * The dark design: the media query and the Outlook.com attribute rules are there, and every element
 * that sets a colour inline carries a class whose dark rule resets that colour (inside the article,
 * the element's tag has a rule instead). Otherwise that element would keep its light colour on a
 * dark background.
 */
function expectDarkDesign(html: string) {
  expect(darkModeCss.startsWith('@media (prefers-color-scheme:dark){')).toBe(true);
  const dark = darkModeCss.slice(0, darkModeCss.indexOf('}}') + 2);
  const ruleFor = (selector: string, property: string) =>
    new RegExp(`(^|[{},])${re(selector)}(,[^{]*)?\\{([^}]*;)?${property}:`).test(dark.slice(dark.indexOf('{') + 1));
  const article = html.indexOf(`<div class="${cls.article}">`);
  const articleEnd = article < 0 ? -1 : html.indexOf('data-text-footer', article);
  for (const m of html.matchAll(/<([a-z0-9]+)\s([^>]*?)style="([^"]*)"/g)) {
    const [, tag, attrs, style] = m as unknown as [string, string, string, string];
    const classes = /class="([^"]*)"/.exec(attrs)?.[1]?.split(' ') ?? [];
    const inArticle = article >= 0 && m.index! > article && m.index! < articleEnd;
    const needs = [
      ['color', /(^|;)color:/],
      ['background-color', /(^|;)background-color:/],
      ['border-color', /(^|;)border(-top|-bottom|-left)?:[^;]*#/],
    ] as const;
    for (const [property, pattern] of needs) {
      if (!pattern.test(style) || style.startsWith('display:none')) continue;
      const covered = classes.some((c) => ruleFor(`.${c}`, property)) || (inArticle && ruleFor(`.${cls.article} ${tag}`, property));
      expect(covered, `<${tag} ${attrs.trim()}> sets ${property} inline with no dark-mode rule`).toBe(true);
    }
  }
  const outlookRule = (attr: string, selector: string, property: string) => new RegExp(`\\[${attr}\\] ${re(selector)}(,[^{]*)?\\{${property}:`);
  for (const c of [cls.text, cls.link, cls.muted, cls.button]) expect(darkModeCss).toMatch(outlookRule('data-ogsc', `.${c}`, 'color'));
  for (const c of [cls.page, cls.card, cls.button]) expect(darkModeCss).toMatch(outlookRule('data-ogsb', `.${c}`, 'background-color'));
}

/** The footer's last line: the name and the postal address; in the text part too. */
function expectPostalAddress(rendered: { html: string; text: string }) {
  expect(visible(rendered.html)).toContain(`${NEWSLETTER} · ${POSTAL_HTML}</p>`);
  expect(rendered.html.indexOf(POSTAL_HTML)).toBeGreaterThan(rendered.html.indexOf('data-text-footer'));
  // The text part is written in plain punctuation (a hyphen for the middle dot, straight quotes).
  expect(rendered.text.trimEnd().split('\n').at(-1)).toBe(`${NEWSLETTER} - ${POSTAL}`);
}

function expectCleanText(text: string) {
  expect(text, 'no preheader filler characters').not.toMatch(/[\u200b\u200c\u200d\ufeff]/);
  expect(text, 'no HTML tags').not.toMatch(/<\/?(p|a|div|table|td|span|h\d)\b/i);
  expect(text, 'no HTML entities').not.toMatch(/&(amp|lt|gt|quot|#x?[0-9a-f]+);/i);
  expect(text, 'no runs of blank lines').not.toMatch(/\n{3,}/);
  for (const line of text.split('\n')) expect(line, 'no trailing spaces').not.toMatch(/[ \t]$/);
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1! + 0.05) / (l2! + 0.05);
}

// ---- the weekly issue --------------------------------------------------------------------------------

describe('the issue email (the real first article)', async () => {
  const issue = await renderIssueEmail(issueProps);
  const paragraphs = article.markdown.split(/\n{2,}/).map((p) => p.trim()).filter((p) => p && !/^([#>-]|\d+\.)/.test(p));

  it('has the article title as its exact subject', () => {
    expect(issue.subject).toBe(article.title);
  });

  it('is under 100 KB, so Gmail does not clip it', () => {
    expect(bytes(issue.html)).toBeLessThan(100 * 1024);
  });

  it('keeps the shared promises: lang, colour schemes, inline styles only, colours set in pairs, meaningful links', () => {
    expectCommonHtml(issue.html);
  });

  it('uses readable type: 17 px body at 1.6 line height in the system font stack', () => {
    expect(issue.html).toContain('font-size:17px;line-height:1.6');
    expect(issue.html).toContain('font-family:-apple-system, BlinkMacSystemFont');
  });

  it('shows the preheader (the summary) first, then the name, the date, the title as the only h1 and the summary', () => {
    const h = issue.html;
    const preheader = /<div style="display:none[^"]*"[^>]*>([^<]*)/.exec(h);
    expect(preheader?.[1]).toBe(article.summary);
    expect(h.indexOf(preheader![0])).toBeLessThan(h.indexOf(`>${NEWSLETTER}</a>`));
    expect(h).toMatch(new RegExp(`>${NEWSLETTER}</a>[\\s\\S]*>24 November 2026</p><h1[^>]*>${re(article.title)}</h1><p [^>]*>${re(article.summary)}</p>`));
    expectHeadingsInOrder(h);
  });

  it('has "view in browser" above the title and a footer saying why, with unsubscribe, subscribe and archive links', () => {
    const view = issue.html.indexOf(`href="${issueProps.archiveUrl}"`);
    expect(view).toBeGreaterThan(0);
    expect(view).toBeLessThan(issue.html.indexOf('<h1'));
    expect(issue.html).toMatch(new RegExp(`<a href="${re(UNSUB)}"[^>]*>Unsubscribe</a>`));
    expect(visible(issue.html)).toContain(`You are receiving this because you subscribed to ${NEWSLETTER}`);
    expect(issue.html).toContain(`>${SITE}</a>`);
    expect(issue.html.lastIndexOf(UNSUB)).toBeGreaterThan(issue.html.lastIndexOf(paragraphs.at(-1)!.slice(-30)));
    expect(visible(issue.html)).toMatch(new RegExp(`Forwarded this email\\? <a href="${re(SITE)}/"[^>]*>Subscribe here</a>`));
    expect(issue.html).toMatch(new RegExp(`<a href="${re(SITE)}/archive"[^>]*>Read past issues</a>`));
  });

  it('carries the unsubscribe URL verbatim in HTML and text, so one replaceAll personalises it', () => {
    expect(count(issue.html, UNSUB)).toBeGreaterThanOrEqual(1);
    expect(count(issue.text, UNSUB)).toBe(1);
    const real = 'https://example.com/unsubscribe?token=abc123-XYZ_9';
    const html = issue.html.replaceAll(UNSUB, real);
    const text = issue.text.replaceAll(UNSUB, real);
    expect(html + text).not.toContain('__UNSUB_TOKEN__');
    expect(html).toContain(`href="${real}"`);
    expect(text).toContain(real);
  });

  it('has a plain-text part that reads on its own', () => {
    const t = issue.text;
    expectCleanText(t);
    expect(t).toContain(`View in browser: ${issueProps.archiveUrl}`);
    expect(t).toContain(`Unsubscribe: ${UNSUB}`);
    expect(t).toContain(`${article.title}\n${'='.repeat(Math.min([...article.title].length, 72))}`);
    expect(t).toContain('24 November 2026');
    expect(t.indexOf(article.title)).toBeLessThan(t.indexOf(paragraphs[0]!.slice(0, 40)));
    expect(t.indexOf(paragraphs.at(-1)!.slice(0, 40))).toBeLessThan(t.indexOf(`Unsubscribe: ${UNSUB}`));
    expect(t).not.toContain('View this issue in your browser');
    expect(t).toContain('"good" bacteria');
    expect(t).toMatch(/^[\x00-\x7f]*$/); // plain punctuation: curly quotes, dashes and spacers made plain
    expect(count(t, article.summary), 'the summary once, under the title (the preheader stays out)').toBe(1);
    expect(t.indexOf(article.title)).toBeLessThan(t.indexOf(article.summary));
    expect(t, 'the footer follows a rule').toMatch(/\n-{40}\n\nYou are receiving this because/);
    expect(t).toContain(`Subscribe: ${SITE}/`);
    expect(t).toContain(`Past issues: ${SITE}/archive`);
  });

  it('ends its footer, in both parts, with the postal address; says replies reach the author; says what the unsubscribe link does', () => {
    expectPostalAddress(issue);
    expect(issue.html).toContain('Replies to this email reach the author');
    expect(issue.text).toContain('Replies to this email reach the author');
    // The link opens a page with one button: the words say a press, never a click.
    expect(issue.text).toContain(`Unsubscribe: ${UNSUB} (a page with one button: press it and you are off the list at once)`);
    expect(visible(issue.html)).toMatch(/>Unsubscribe<\/a> \(a page with one button: press it and you are off the list at once\)/);
    expect(issue.html + issue.text).not.toMatch(/one click|one-click/i);
  });

  it('has every paragraph of the article in both parts', () => {
    expect(paragraphs.length).toBeGreaterThan(3);
    for (const p of paragraphs) {
      const start = p.slice(0, 60);
      expect(issue.text).toContain(start);
      expect(issue.html).toContain(`<p style="margin:0 0 18px">${start}`);
    }
  });
});

describe('the issue email with every Markdown feature', async () => {
  const feature = await renderIssueEmail({ ...issueProps, title: `Salt & "Pepper" <tips>`, summary: `Tips & tricks <b>`, markdown: featureMarkdown });

  it('renders headings, paragraphs, lists, links, emphasis, quotes and code', () => {
    const h = feature.html;
    expect(h).toMatch(/<h2 style="[^"]*">A top heading<\/h2>/);
    expect(h).toMatch(/<h3 style="[^"]*">A sub heading<\/h3>/);
    expect(h).toMatch(/<em style="font-style:italic">emphasis<\/em>/);
    expect(h).toMatch(/<strong style="font-weight:700">strong<\/strong>/);
    expect(h).toMatch(/<code style="[^"]*">inline code<\/code>/);
    expect(h).toMatch(new RegExp(`<a href="https://example.org/study\\?a=1&(amp;)?b=2" target="_blank" style="color:${colors.link};[^"]*">a link to the study</a>`));
    expect(h).toMatch(/<ul style="[^"]*">\s*<li style="[^"]*">first item<\/li>/);
    expect(h).toMatch(/<ol style="[^"]*">\s*<li style="[^"]*">one<\/li>/);
    expect(h).toMatch(/<blockquote style="[^"]*border-left:4px solid[^"]*">\s*<p style="[^"]*">A quoted line\nthat goes on.<\/p>/);
    expect(h).toMatch(/<pre style="[^"]*"><code>&lt;div class="x"&gt;1 &lt; 2 &amp;&amp; 3 &gt; 2&lt;\/div&gt;\n<\/code><\/pre>/);
    expect(h).toMatch(/<code style="[^"]*">&lt;b&gt;not bold&lt;\/b&gt;<\/code>/);
    expect(h).toMatch(/<hr style="[^"]*" \/>/);
    expectHeadingsInOrder(h);
    expectCommonHtml(h);
  });

  it('keeps the structure in the plain-text part', () => {
    const t = feature.text;
    expectCleanText(t.replace(/<\/?(div|b)\b[^>]*>/g, 'TAG')); // the article's code shows tags on purpose
    expect(t).toContain('a link to the study <https://example.org/study?a=1&b=2>');
    expect(t).toContain(' - first item\n - second item with emphasis');
    expect(t).toMatch(/ ?1\. one\n 2\. two/);
    expect(t).toContain('> A quoted line that goes on.');
    expect(t).toContain('A top heading\n-------------');
    expect(t).toContain('<div class="x">1 < 2 && 3 > 2</div>');
    expect(t).toContain('and <b>not bold</b>.');
  });

  it('uses a title with & " < > as the exact subject and escapes it in the HTML', () => {
    expect(feature.subject).toBe(`Salt & "Pepper" <tips>`);
    expect(feature.html).not.toContain('<tips>');
    expect(feature.html).not.toContain('<b>');
    expect(feature.html).toContain('Salt &amp; &quot;Pepper&quot; &lt;tips&gt;');
    expect(feature.text).toContain(`Salt & "Pepper" <tips>`);
  });

  it('shifts headings under the title and escapes code, and leaves everything else alone', () => {
    const md = '## A\n\ntext\n\n### B\n';
    expect(prepareMarkdown(md)).toBe(md);
    expect(prepareMarkdown('# A\ntext [x][x]\n\n## B\n\n[x]: https://e.org\n')).toBe('## A\ntext [x][x]\n\n### B\n\n[x]: https://e.org\n');
    expect(prepareMarkdown('A\n===\n\nB\n---\n')).toBe('## A\n\n### B\n');
    expect(prepareMarkdown('no headings\n')).toBe('no headings\n');
    expect(prepareMarkdown('# T `<x>`\n\n- a `b&c`\n')).toBe('## T `&lt;x&gt;`\n\n- a `b&amp;c`\n');
    expect(prepareMarkdown('    <i>\n')).toBe('    &lt;i&gt;\n');
    expect(prepareMarkdown(article.markdown)).toBe(article.markdown);
  });

  it('stays well under 100 KB for a long article (about 30,000 characters, 75 links, 25 sections)', async () => {
    const paragraph = (i: number) =>
      `A long paragraph of a long article, number ${i}, with one [link to a source](https://example.org/source/${i}) in it. `.repeat(4);
    const long = Array.from({ length: 25 }, (_, i) => `## Section ${i + 1}\n\n${paragraph(3 * i)}\n\n${paragraph(3 * i + 1)}\n\n- a point\n- another point\n- a third point\n\n${paragraph(3 * i + 2)}`).join('\n\n');
    const rendered = await renderIssueEmail({ ...issueProps, markdown: long });
    expect(long.length).toBeGreaterThan(30_000);
    expect(bytes(rendered.html)).toBeLessThan(80 * 1024);
  });
});

describe('images in an article', async () => {
  const markdown = `Intro.

![A chart of sleep and skin](https://example.org/chart.png "Sleep & skin")

A small logo ![The logo](https://example.org/logo.png){width=120} inline, and a linked badge [![Badge "new"](https://example.org/b.png)](https://example.org/)

![Wide](https://example.org/wide.png){width=900}
`;
  const rendered = await renderIssueEmail({ ...issueProps, markdown });

  it('get a width attribute (the column, or less when asked), their alt text and a fluid style', () => {
    const h = rendered.html;
    expect(h).toContain(`<img src="https://example.org/chart.png" alt="A chart of sleep and skin" width="${IMAGE_MAX_WIDTH}" title="Sleep &amp; skin" style="max-width:100%;border:0">`);
    expect(h).toContain('<img src="https://example.org/logo.png" alt="The logo" width="120" style="max-width:100%;border:0">');
    expect(h).toMatch(/<a href="https:\/\/example.org\/"[^>]*><img src="https:\/\/example.org\/b.png" alt="Badge &quot;new&quot;" width="550"/);
    expect(h, 'never wider than the column').toContain(`<img src="https://example.org/wide.png" alt="Wide" width="${IMAGE_MAX_WIDTH}"`);
    expect(IMAGE_MAX_WIDTH).toBeLessThanOrEqual(600);
    for (const m of h.matchAll(/<img\s[^>]*>/g)) expect(m[0]).toMatch(/\swidth="\d+"/);
    expect(h + rendered.text, 'the {width=N} suffix never shows').not.toContain('{width=');
    expectCommonHtml(h);
  });

  it('appear in the plain-text part as [alt](url)', () => {
    const t = rendered.text;
    expect(t).toContain('[A chart of sleep and skin](https://example.org/chart.png)');
    expect(t).toContain('A small logo [The logo](https://example.org/logo.png) inline');
    expect(t).toContain('[Badge "new"](https://example.org/b.png)');
    expect(t).toContain('[Wide](https://example.org/wide.png)');
  });

  it('keep their Markdown on the web version, without the {width=N} suffix', () => {
    expect(shiftHeadings('![a](https://e.org/a.png){width=120} and ![b](https://e.org/b.png)\n')).toBe('![a](https://e.org/a.png) and ![b](https://e.org/b.png)\n');
  });
});

// ---- confirmation ------------------------------------------------------------------------------------

describe('the confirmation email', async () => {
  const confirmation = await renderConfirmationEmail({ newsletterName: NEWSLETTER, siteUrl: SITE, confirmUrl: CONFIRM, postalAddress: POSTAL });

  it('has its subject, the shared promises and headings in order', () => {
    expect(confirmation.subject).toBe(`Confirm your subscription to ${NEWSLETTER}`);
    expectCommonHtml(confirmation.html);
    expectHeadingsInOrder(confirmation.html);
  });

  it('has a button, the expiry and what to do if it was not you; no unsubscribe link yet', () => {
    const h = visible(confirmation.html);
    expect(h).toMatch(new RegExp(`<a href="${re(CONFIRM)}"[^>]*>[\\s\\S]*?Confirm subscription[\\s\\S]*?</a>`));
    // Not written out in the HTML: a long link needs word-break to wrap on a phone, which Yahoo lacks.
    expect(h).not.toContain(`>${CONFIRM}</a>`);
    expect(h).toContain('This link expires in 7 days.');
    expect(h).toContain('If you did not ask for this, ignore this email — you will not be added.');
    expect(h).not.toContain(UNSUB);
    expect(h).not.toMatch(/>Unsubscribe</);
  });

  it('carries the confirm URL verbatim: once in HTML (the button), once in text (written out for copying)', () => {
    expect(count(confirmation.html, CONFIRM)).toBe(1);
    expect(count(confirmation.text, CONFIRM)).toBe(1);
    expect(confirmation.text).toContain(`Confirm your subscription: ${CONFIRM}`);
  });

  it('has a plain-text part that reads on its own', () => {
    expectCleanText(confirmation.text);
    expect(confirmation.text).toContain('This link expires in 7 days.');
    expect(confirmation.text).toContain('If you did not ask for this, ignore this email -- you will not be added.');
    expect(confirmation.text).toContain('Hi there,');
  });

  it('has a button that renders as one in Outlook for Windows (padding spacers only Outlook reads)', () => {
    const button = new RegExp(`<a href="${re(CONFIRM)}"[^>]*class="${cls.button}"[^>]*style="([^"]*)"[^>]*>([\\s\\S]*?)</a>`).exec(confirmation.html);
    expect(button, 'the confirm button').not.toBeNull();
    expect(button![1]).toContain(`background-color:${colors.buttonBg};color:${colors.buttonText}`);
    expect(button![1]).toMatch(/padding-top:12px;padding-right:24px;padding-bottom:12px;padding-left:24px/);
    expect(button![1]).toContain('mso-padding-alt:0px');
    expect(count(button![2]!, '<!--[if mso]><i style="mso-font-width:')).toBe(2);
  });

  it('ends its footer with the postal address, and says nothing about replies', () => {
    expectPostalAddress(confirmation);
    expect(confirmation.text).not.toContain('Replies to this email');
  });

  it('takes no name: it goes to an address that has not consented, so nothing from the form may be in it', async () => {
    // @ts-expect-error the template has no name prop to carry form text
    const withName = await renderConfirmationEmail({ newsletterName: NEWSLETTER, siteUrl: SITE, confirmUrl: CONFIRM, postalAddress: POSTAL, name: EVIL_NAME });
    expect(withName.html).toBe(confirmation.html);
    expect(withName.text).not.toContain('alert');
  });
});

// ---- welcome ---------------------------------------------------------------------------------------

describe('the welcome email', async () => {
  const props = {
    newsletterName: NEWSLETTER,
    siteUrl: SITE,
    archiveUrl: `${SITE}/archive`,
    latestIssue: { title: article.title, url: issueProps.archiveUrl },
    unsubscribeUrl: UNSUB,
    name: EVIL_NAME,
    postalAddress: POSTAL,
  };
  const welcome = await renderWelcomeEmail(props);
  const first = await renderWelcomeEmail({ ...props, latestIssue: null, name: null });

  it('has its subject, the shared promises and headings in order, with or without a latest issue', () => {
    expect(welcome.subject).toBe(`Welcome to ${NEWSLETTER}`);
    for (const w of [welcome, first]) {
      expectCommonHtml(w.html);
      expectHeadingsInOrder(w.html);
      expectCleanText(w.text.replace(EVIL_NAME, 'NAME'));
    }
  });

  it('says what to expect and how often, and links to the latest issue and the archive', () => {
    expect(welcome.html).toMatch(/one article a week/i);
    expect(welcome.text).toMatch(/What to expect\n\n - One article a week, straight to this inbox\./);
    expect(welcome.text).toContain('unsubscribe link');
    expect(welcome.html).toContain(`href="${issueProps.archiveUrl}"`);
    expect(welcome.html).toContain(`href="${SITE}/archive"`);
    expect(welcome.text).toContain(`Read the latest issue: ${issueProps.archiveUrl}`);
    expect(welcome.text).toContain(article.title);
  });

  it('links to the archive when nothing has been sent yet', () => {
    expect(first.html).toContain(`href="${SITE}/archive"`);
    expect(first.text).toContain(`Browse the archive: ${SITE}/archive`);
    expect(first.text).toContain('Hi there,');
    expect(first.text).not.toContain('latest issue');
  });

  it('carries the unsubscribe URL verbatim in HTML and text', () => {
    for (const w of [welcome, first]) {
      expect(w.html).toMatch(new RegExp(`<a href="${re(UNSUB)}"[^>]*>Unsubscribe</a>`));
      expect(count(w.text, UNSUB)).toBe(1);
      expect(w.text).toContain(`Unsubscribe: ${UNSUB}`);
    }
  });

  it('ends its footer with the postal address; says a press on a page unsubscribes, not a click', () => {
    for (const w of [welcome, first]) {
      expectPostalAddress(w);
      expect(w.text).toContain('one press on the page it opens takes you off the list');
      expect(w.html + w.text).not.toMatch(/one click|one-click/i);
    }
  });

  it('escapes a hostile name', () => {
    expect(welcome.html).not.toContain(EVIL_NAME);
    expect(welcome.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

// ---- shared ------------------------------------------------------------------------------------------

describe('the shared look', () => {
  it('gives every text/background pair a contrast of at least 4.5:1, in light and in dark mode', () => {
    for (const [fg, bg, what] of contrastPairs) expect(contrast(fg, bg), `${what}: ${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    for (const [fg, bg, what] of darkContrastPairs) expect(contrast(fg, bg), `dark: ${what}: ${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
  });

  it('has a dark design: the media query and the Outlook.com rules recolour page, card, text, links and buttons', () => {
    expect(darkModeCss).toMatch(/^@media \(prefers-color-scheme:dark\)\{/);
    expect(darkModeCss).toMatch(/\.nl-page\{background-color:#[0-9a-f]{6} !important;color:#[0-9a-f]{6} !important\}/);
    expect(darkModeCss).toContain('[data-ogsc] .nl-text');
    expect(darkModeCss).toContain('[data-ogsb] .nl-card');
    // React writes <style> content as it is: nothing in it that HTML would need escaped.
    expect(darkModeCss).not.toMatch(/[<>&"']/);
  });

  it('never sets raw HTML in a template (React escapes everything but the Markdown renderer)', () => {
    const sources = import.meta.glob<string>('../emails/**/*.tsx', { query: '?raw', import: 'default', eager: true });
    expect(Object.keys(sources).length).toBeGreaterThanOrEqual(8);
    for (const [file, source] of Object.entries(sources)) expect(source, file).not.toContain('dangerouslySetInnerHTML');
  });
});

// ---- the reader's own page -------------------------------------------------------------------------

describe('the "Manage your subscription" link and the email-change confirmation', async () => {
  const PREFS = 'https://example.com/preferences?token=__PREFERENCES_TOKEN__';
  const issue = await renderIssueEmail({ ...issueProps, preferencesUrl: PREFS });
  const welcome = await renderWelcomeEmail({ newsletterName: NEWSLETTER, siteUrl: SITE, archiveUrl: `${SITE}/archive`, unsubscribeUrl: UNSUB, preferencesUrl: PREFS, name: 'Ada', postalAddress: POSTAL });
  const CHANGE = 'https://example.com/preferences/confirm-email?token=__CHANGE_TOKEN__';
  const change = await renderEmailChangeEmail({ newsletterName: NEWSLETTER, siteUrl: SITE, confirmUrl: CHANGE, postalAddress: POSTAL });

  it('puts the link in the footer of the issue and the welcome email, in both parts, verbatim (one replaceAll personalises it)', () => {
    for (const email of [issue, welcome]) {
      expect(email.html).toMatch(new RegExp(`<a href="${re(PREFS)}"[^>]*>Manage your subscription</a>`));
      expect(count(email.text, PREFS)).toBe(1);
      expect(email.text).toContain(`Manage your subscription: ${PREFS}`);
      // In the footer: after the unsubscribe link.
      expect(email.html.indexOf(PREFS)).toBeGreaterThan(email.html.indexOf(UNSUB));
      expectCommonHtml(email.html);
      expectCleanText(email.text);
    }
    expect(bytes(issue.html)).toBeLessThan(100 * 1024);
  });

  it('leaves the link out when none is given (the confirmation email has none)', async () => {
    expect((await renderIssueEmail(issueProps)).text).not.toContain('Manage your subscription');
    expect((await renderConfirmationEmail({ newsletterName: NEWSLETTER, siteUrl: SITE, confirmUrl: CONFIRM, postalAddress: POSTAL })).text).not.toContain('Manage your subscription');
  });

  it('asks the new address to confirm, with the link in both parts, and says nothing changes otherwise', () => {
    expect(change.subject).toBe(`Confirm your new address for ${NEWSLETTER}`);
    expectCommonHtml(change.html);
    expectHeadingsInOrder(change.html);
    expectCleanText(change.text);
    expect(change.html).toMatch(new RegExp(`<a href="${re(CHANGE)}"[^>]*>[\\s\\S]*?Confirm new address[\\s\\S]*?</a>`));
    expect(change.text).toContain(`Confirm your new address: ${CHANGE}`);
    expect(change.text).toContain('This link works once and expires in 7 days.');
    expect(change.text).toMatch(/ignore this email: nothing will change/);
    expect(change.text).not.toMatch(/Unsubscribe:/);
  });
});

// ---- one-time links (issue 21): one component for every "one link, one button" email ----------------

describe('ConfirmLinkEmail: the one-time links, the notice of a move, and the new address with "I did not ask for this"', async () => {
  const URL_ = 'https://example.com/preferences/link?token=__LINK__';
  const NOT_ME = 'https://example.com/preferences/not-me?token=__NOT_ME__';
  const kinds = [
    ['export', 'Your link to download your data from', 'Download your data', '1 hour'],
    ['erase', 'Your link to erase your data from', 'Erase your data', '1 hour'],
    ['change_email', 'Your link to move your', 'Move your subscription', '1 hour'],
    ['resubscribe', 'Your link to come back to', 'Resubscribe', '1 hour'],
    ['moved', `Your ${NEWSLETTER} subscription moved to another address`, 'Undo the move', '7 days'],
  ] as const;
  const rendered = await Promise.all(
    kinds.map(([kind]) => renderConfirmLinkEmail({ kind, newsletterName: NEWSLETTER, siteUrl: SITE, url: URL_, lifetimeMs: kind === 'moved' ? 7 * 86_400_000 : 3_600_000, postalAddress: POSTAL })),
  );

  it.each(kinds.map((k, i) => [k[0], k, i] as const))('%s: subject, one button with the link in both parts, its lifetime in words, nothing typed by anyone', (_kind, [, subject, label, lifetime], i) => {
    const email = rendered[i]!;
    expect(email.subject).toContain(subject);
    expectCommonHtml(email.html);
    expectHeadingsInOrder(email.html);
    expectCleanText(email.text);
    expect(email.html).toMatch(new RegExp(`<a href="${re(URL_)}"[^>]*>`));
    expect(email.text).toContain(`${label}: ${URL_}`);
    expect(email.text).toContain(`This link works once and expires in ${lifetime}.`);
    expect(email.text).not.toMatch(/Unsubscribe:|Manage your subscription/);
  });

  it('the new address gets "I did not ask for this" in both parts, and the confirmation of a sign-up keeps its 7 days', async () => {
    const change = await renderEmailChangeEmail({ newsletterName: NEWSLETTER, siteUrl: SITE, confirmUrl: 'https://example.com/preferences/confirm-email?token=x', postalAddress: POSTAL, notMeUrl: NOT_ME });
    expect(change.text).toContain(`I did not ask for this: ${NOT_ME}`);
    expect(change.html).toMatch(new RegExp(`<a href="${re(NOT_ME)}"[^>]*>I did not ask for this</a>`));
    const confirmation = await renderConfirmationEmail({ newsletterName: NEWSLETTER, siteUrl: SITE, confirmUrl: CONFIRM, postalAddress: POSTAL });
    expect(confirmation.text).toContain('This link expires in 7 days.');
  });
});
