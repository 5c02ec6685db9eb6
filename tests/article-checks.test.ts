// The build-time checks of an article's Markdown (src/issues/article-checks.ts): what would break
// the email in a mail client is an error with the file and the line; plain http:// is a warning;
// an email past 90 KB is an error. scripts/build-content.ts prints these and stops the build.
import { describe, expect, it } from 'vitest';
import { renderIssueEmail } from '../emails/render';
import { parseArticle } from '../src/issues/article';
import { checkArticleMarkdown, checkEmailSize, formatProblems, MAX_EMAIL_BYTES } from '../src/issues/article-checks';
import { articles } from '../src/generated/articles';

const FILE = '2026-12-03-checks.md';
const FRONT = '---\ntitle: "Checks"\ndate: 2026-12-03\nsummary: "What the build checks."\n---\n';

/** Problems of an article whose body is `body` (front matter of 5 lines, so the body starts on line 6). */
function check(body: string) {
  const source = FRONT + body;
  return checkArticleMarkdown(FILE, source, parseArticle(FILE, source));
}
const summary = (body: string) => check(body).map((p) => `${p.line} ${p.level}: ${p.message}`);

describe('links and images in an article', () => {
  it('accepts https:// links and images with alt text, mailto: links, and the real articles', () => {
    expect(check('A [source](https://example.org/a?b=1&c=2) and [me](mailto:me@example.org).\n\n![A chart](https://example.org/c.png)\n')).toEqual([]);
    expect(check('`[code](/not-a-link)` and\n\n    ![code](also/not.png)\n')).toEqual([]);
    for (const a of articles) expect(checkArticleMarkdown(`${a.date}-${a.slug}.md`, a.markdown, a)).toEqual([]);
  });

  it('refuses a relative link, naming the file and the line', () => {
    const [problem, ...rest] = check('First paragraph.\n\nSee [past issues](/archive) for more.\n');
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ level: 'error', file: FILE, line: 8 });
    expect(problem!.message).toMatch(/the link "\[past issues\]\(\/archive\)" points to "\/archive", a relative address.*https:\/\//);
    expect(formatProblems([problem!])).toMatch(new RegExp(`^content/${FILE}:8: the link`));
  });

  it('refuses relative images, fragments, and links or images that are not http(s)', () => {
    const found = summary(
      [
        '![x](images/a.png)', // 6
        '[top](#top)', // 7
        '[js](javascript:alert(1))', // 8
        '![data](data:image/png;base64,AAAA)', // 9
        '![mail](mailto:a@example.org)', // 10
        '[file](file:///etc/passwd)', // 11
      ].join('\n\n'),
    );
    expect(found).toHaveLength(6);
    expect(found[0]).toMatch(/^6 error: the image "!\[x\]\(images\/a.png\)" points to "images\/a.png", a relative address.*broken image/);
    expect(found[1]).toMatch(/^8 error: the link "\[top\]\(#top\)" points to "#top", a relative address/);
    expect(found[2]).toMatch(/^10 error: the link .* uses javascript:, which mail clients block/);
    expect(found[3]).toMatch(/^12 error: the image .* uses data:.*must start with https:\/\/ \(or http:\/\/\)/);
    expect(found[4]).toMatch(/^14 error: the image .* uses mailto:/);
    expect(found[5]).toMatch(/^16 error: the link .* uses file:/);
  });

  it('warns about plain http:// links and images, and stops nothing for them', () => {
    const found = check('A [plain](http://example.org/) link.\n\n![A photo](http://example.org/p.jpg)\n');
    expect(found.map((p) => [p.line, p.level])).toEqual([
      [6, 'warning'],
      [8, 'warning'],
    ]);
    expect(found[0]!.message).toMatch(/uses http:\/\/: use https:\/\//);
    expect(formatProblems(found)).toContain(`content/${FILE}:6: warning: the link`);
  });

  it('needs alt text on every image, in Markdown and in HTML', () => {
    const found = summary('![](https://example.org/a.png)\n\n![   ](https://example.org/b.png)\n\n<img src="https://example.org/c.png">\n\n<img src="https://example.org/d.png" alt="D">\n');
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^6 error: the image "!\[\]\(https:\/\/example.org\/a.png\)" has no alt text/);
    expect(found[1]).toMatch(/^8 error: .* has no alt text/);
    expect(found[2]).toMatch(/^10 error: the HTML image .* has no alt text/);
  });

  it('checks addresses in raw HTML too', () => {
    expect(summary('<p>See <a href="/archive">the archive</a> and <a href=\'https://example.org\'>this</a>.</p>\n')).toEqual([
      expect.stringMatching(/^6 error: the HTML attribute href="\/archive" points to "\/archive", a relative address/),
    ]);
  });

  it('finds links inside lists, quotes, tables and linked images, on their own lines', () => {
    const found = summary(['- one', '- two [rel](x.html)', '', '> quoted ![q](q.png)', '', '| a | b |', '| - | - |', '| [t](/t) | ok |', '', '[![Badge](https://example.org/b.png)](/home)'].join('\n'));
    expect(found.map((f) => f.slice(0, f.indexOf(':')))).toEqual(['7 error', '9 error', '13 error', '15 error']);
  });

  it('takes {width=N} after an image from 1 to 600 only', () => {
    expect(check('![a](https://example.org/a.png){width=600} ![b](https://example.org/b.png){width=1}\n')).toEqual([]);
    for (const bad of ['0', '601', '50%', 'wide', '']) {
      expect(summary(`![a](https://example.org/a.png){width=${bad}}\n`), bad).toEqual([expect.stringMatching(/^6 error: .*asks for \{width=.*from 1 to 600/)]);
    }
  });

  it('counts lines from the top of the file, CRLF files included', () => {
    const source = (FRONT + '\n\nText.\n\n[x](/x)\n').replace(/\n/g, '\r\n');
    const [problem] = checkArticleMarkdown(FILE, source, parseArticle(FILE, source));
    expect(problem?.line).toBe(10);
  });
});

describe('the size of the email', () => {
  it('refuses an article whose email passes 90 KB, saying Gmail clips at 102 KB', async () => {
    const paragraph = (i: number) => `Paragraph ${i} of a very long article, with a [source](https://example.org/source/${i}) in it. `.repeat(6);
    const long = Array.from({ length: 220 }, (_, i) => paragraph(i)).join('\n\n');
    const { html } = await renderIssueEmail({
      newsletterName: 'The Weekly Letter',
      siteUrl: 'https://newsletter.example.com',
      title: 'Long',
      summary: 'Long.',
      date: '2026-12-03',
      markdown: long,
      archiveUrl: 'https://newsletter.example.com/archive/long',
      unsubscribeUrl: 'https://newsletter.example.com/unsubscribe?token=x',
      postalAddress: 'Example Ltd, 1 Main Street, Springfield, USA',
    });
    const bytes = new TextEncoder().encode(html).length;
    expect(bytes).toBeGreaterThan(MAX_EMAIL_BYTES);
    const [problem] = checkEmailSize(FILE, bytes);
    expect(problem).toMatchObject({ level: 'error', file: FILE, line: 1 });
    expect(problem!.message).toMatch(/over the 90 KB limit: Gmail clips at 102 KB/);
    expect(checkEmailSize(FILE, MAX_EMAIL_BYTES)).toEqual([]);
  });
});
