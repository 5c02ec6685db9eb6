// What an article's Markdown must be to make an email that works in every client, checked at build
// time (scripts/build-content.ts, before `npm run dev`, `npm test` and `npm run deploy`), each
// problem with its file and line:
//  - links and images need absolute addresses: a relative one (`images/a.png`, `/archive`, `#top`)
//    has no page to be relative to in a mail client, and `javascript:`, `data:`, `file:`… are
//    blocked or broken there. Links may be https://, http:// or mailto:; images https:// or http://.
//  - plain http:// is a warning: it works, but some clients flag it and proxies may refuse it.
//  - images need alt text: it is what shows while images are blocked, what screen readers say, and
//    what the plain-text part prints (`[alt](url)`).
//  - `{width=N}` after an image asks for a narrower picture: N from 1 to 600.
//  - the rendered email must stay under 90 KB: Gmail clips at 102 KB, and each reader's copy adds
//    a little (their links) to what the build measures.
// Plain functions of data; the build script does the rendering and the printing.
import { type Token, Lexer } from 'marked';
import type { Article } from './article';

export interface ArticleProblem {
  level: 'error' | 'warning';
  /** The article's file name, e.g. `2026-11-24-gut-health.md`. */
  file: string;
  /** 1-based line in the file. */
  line: number;
  message: string;
}

/** Over this, the build refuses the article. */
export const MAX_EMAIL_BYTES = 90 * 1024;
const GMAIL_CLIP_KB = 102;
export const MAX_IMAGE_WIDTH = 600;

type AnyToken = Token & { href?: string; text?: string; raw: string };

/** Every link and image problem of one article, in the order they appear. */
export function checkArticleMarkdown(file: string, source: string, article: Pick<Article, 'markdown'>): ArticleProblem[] {
  const text = source.replace(/\r\n|\r/g, '\n');
  const markdown = article.markdown.replace(/\r\n|\r/g, '\n');
  const bodyAt = Math.max(0, text.indexOf(markdown));
  const lineAt = (offset: number) => lineOf(text, bodyAt + offset);

  const problems: ArticleProblem[] = [];
  const report = (level: ArticleProblem['level'], offset: number, message: string) => problems.push({ level, file, line: lineAt(offset), message });

  let tokens: AnyToken[];
  try {
    tokens = Lexer.lex(markdown, { gfm: true }) as AnyToken[];
  } catch (e) {
    return [{ level: 'error', file, line: lineAt(0), message: `the Markdown cannot be read: ${(e as Error).message.split('\n')[0]}` }];
  }

  // Tokens come depth first in document order; a link's image comes after the link itself, inside
  // its source, so the search for the next token starts where the previous one starts.
  let cursor = 0;
  const locate = (raw: string): number => {
    let at = markdown.indexOf(raw, cursor);
    if (at < 0) at = markdown.indexOf(raw);
    if (at >= 0) cursor = at;
    return Math.max(at, 0);
  };

  walk(tokens, (token) => {
    if (token.type === 'link' || token.type === 'image') {
      const at = locate(token.raw);
      const isImage = token.type === 'image';
      const what = isImage ? `the image ${quote(token.raw)}` : `the link ${quote(token.raw)}`;
      addressProblem(token.href ?? '', isImage, what, (level, message) => report(level, at, message));
      if (isImage) {
        if (!(token.text ?? '').trim()) {
          report('error', at, `${what} has no alt text: describe the picture between the brackets, ![what it shows](${token.href}). Mail clients show it while images are blocked, screen readers read it, and the plain-text part prints it.`);
        }
        const suffix = /^\{width=([^}]*)\}/.exec(markdown.slice(at + token.raw.length));
        if (suffix) {
          const width = Number(suffix[1]);
          if (!/^\d+$/.test(suffix[1]!) || width < 1 || width > MAX_IMAGE_WIDTH) {
            report('error', at, `${what} asks for {width=${suffix[1]}}: the width must be a whole number of pixels from 1 to ${MAX_IMAGE_WIDTH}.`);
          }
        }
      }
    } else if (token.type === 'html') {
      // Raw HTML in the article: its addresses follow the same rules.
      const at = locate(token.raw);
      for (const m of token.raw.matchAll(/\b(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
        const isImage = m[1]!.toLowerCase() === 'src';
        const offset = at + (m.index ?? 0);
        addressProblem(m[2] ?? m[3] ?? '', isImage, `the HTML attribute ${m[0]}`, (level, message) => report(level, offset, message));
      }
      for (const m of token.raw.matchAll(/<img\b[^>]*>/gi)) {
        if (!/\balt\s*=\s*("[^"]*\S[^"]*"|'[^']*\S[^']*')/i.test(m[0])) {
          report('error', at + (m.index ?? 0), `the HTML image ${quote(m[0])} has no alt text: add alt="what it shows".`);
        }
      }
    }
  });
  return problems;
}

/** The rendered email's size against Gmail's clipping; reported on the file's first line. */
export function checkEmailSize(file: string, htmlBytes: number): ArticleProblem[] {
  if (htmlBytes <= MAX_EMAIL_BYTES) return [];
  const kb = (htmlBytes / 1024).toFixed(1);
  return [
    {
      level: 'error',
      file,
      line: 1,
      message: `the email of this article is ${kb} KB of HTML, over the ${MAX_EMAIL_BYTES / 1024} KB limit: Gmail clips at ${GMAIL_CLIP_KB} KB, hiding the rest of the article and the unsubscribe link. Shorten it or split it into two articles.`,
    },
  ];
}

/** `content/FILE:LINE: warning: message` lines, errors and warnings in file order. */
export function formatProblems(problems: ArticleProblem[]): string {
  return problems.map((p) => `content/${p.file}:${p.line}: ${p.level === 'warning' ? 'warning: ' : ''}${p.message}`).join('\n');
}

function addressProblem(address: string, isImage: boolean, what: string, report: (level: ArticleProblem['level'], message: string) => void): void {
  const allowed = isImage ? 'https:// (or http://)' : 'https:// (or http://, mailto:)';
  let url: URL | null = null;
  try {
    url = new URL(address);
  } catch {
    url = null;
  }
  if (!url) {
    report('error', `${what} points to ${quote(address)}, a relative address: a mail client has no page to resolve it against, so it ${isImage ? 'shows a broken image' : 'goes nowhere'}. Use the full address, starting with https://.`);
    return;
  }
  const scheme = url.protocol;
  if (scheme === 'https:') return;
  if (scheme === 'http:') {
    report('warning', `${what} uses http://: use https:// if the site has it (some mail clients warn about plain http ${isImage ? 'images' : 'links'}).`);
    return;
  }
  if (!isImage && scheme === 'mailto:') return;
  report('error', `${what} uses ${scheme}, which mail clients block or cannot open: ${isImage ? 'images' : 'links'} in an email must start with ${allowed}.`);
}

function walk(tokens: AnyToken[], visit: (t: AnyToken) => void): void {
  for (const token of tokens) {
    visit(token);
    const t = token as AnyToken & { tokens?: AnyToken[]; items?: AnyToken[]; header?: { tokens: AnyToken[] }[]; rows?: { tokens: AnyToken[] }[][] };
    if (t.tokens) walk(t.tokens, visit);
    if (t.items) walk(t.items, visit);
    for (const cell of t.header ?? []) walk(cell.tokens, visit);
    for (const row of t.rows ?? []) for (const cell of row) walk(cell.tokens, visit);
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function quote(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return `"${one.length > 80 ? `${one.slice(0, 77)}...` : one}"`;
}
