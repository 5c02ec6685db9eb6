// Parsing and validating one article file (`content/YYYY-MM-DD-slug.md`): YAML front matter, then Markdown.
// Plain functions of data: the build script (scripts/build-content.ts) and the tests both call them.
import { parse as parseYaml } from 'yaml';

export interface Article {
  slug: string;
  title: string;
  /** Publication date, `YYYY-MM-DD`: the article is "ready" from this day (UTC) on. */
  date: string;
  summary: string;
  markdown: string;
}

export class ArticleError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ArticleError';
  }
}

const FILE_NAME = /^(\d{4}-\d{2}-\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$/;
const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;
const MAX_TITLE = 200;
/** Slugs travel as Resend tag values (at most 256 characters) and in admin URLs (at most 200). */
const MAX_SLUG = 200;
const MAX_SUMMARY = 500;

/** Parses one article; throws ArticleError naming the file and the problem. */
export function parseArticle(fileName: string, source: string): Article {
  const name = FILE_NAME.exec(fileName);
  if (!name) {
    throw new ArticleError(fileName, 'the file name must look like YYYY-MM-DD-slug.md (lower-case letters, digits and dashes in the slug).');
  }
  const [, fileDate, slug] = name;
  if (slug.length > MAX_SLUG) throw new ArticleError(fileName, `the slug is longer than ${MAX_SLUG} characters; shorten the file name.`);
  const block = FRONT_MATTER.exec(source);
  if (!block) throw new ArticleError(fileName, 'the file must start with YAML front matter between two "---" lines.');

  let data: unknown;
  try {
    data = parseYaml(block[1]);
  } catch (e) {
    throw new ArticleError(fileName, `the front matter is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ArticleError(fileName, 'the front matter must be a YAML mapping with title, date and summary.');
  }
  const fields = data as Record<string, unknown>;
  const title = requiredString(fileName, fields, 'title', MAX_TITLE);
  const summary = requiredString(fileName, fields, 'summary', MAX_SUMMARY);
  const date = parseDate(fileName, fields.date);
  if (date !== fileDate) {
    throw new ArticleError(fileName, `the front matter date ${date} differs from the date in the file name (${fileDate}); make them the same.`);
  }
  const markdown = source.slice(block[0].length).trim();
  if (!markdown) throw new ArticleError(fileName, 'the article has no body after the front matter.');
  return { slug, title, date, summary, markdown };
}

/** Parses every file and checks that slugs are unique; sorted oldest first. */
export function parseArticles(files: { name: string; source: string }[]): Article[] {
  const articles = files.map((f) => parseArticle(f.name, f.source));
  const seen = new Map<string, string>();
  files.forEach((f, i) => {
    const other = seen.get(articles[i].slug);
    if (other) throw new ArticleError(f.name, `the slug "${articles[i].slug}" is already used by ${other}.`);
    seen.set(articles[i].slug, f.name);
  });
  return articles.sort((a, b) => a.date.localeCompare(b.date) || a.slug.localeCompare(b.slug));
}

/** An article is ready once its date (UTC) has come. */
export function isReady(article: Pick<Article, 'date'>, now: number): boolean {
  return article.date <= new Date(now).toISOString().slice(0, 10);
}

function requiredString(file: string, fields: Record<string, unknown>, key: string, max: number): string {
  const value = fields[key];
  if (value === undefined || value === null) throw new ArticleError(file, `the front matter has no "${key}".`);
  if (typeof value !== 'string') throw new ArticleError(file, `"${key}" must be a string (put it in quotes).`);
  const trimmed = value.trim();
  if (!trimmed) throw new ArticleError(file, `"${key}" is empty.`);
  if (trimmed.length > max) throw new ArticleError(file, `"${key}" is longer than ${max} characters.`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new ArticleError(file, `"${key}" must be on one line, without control characters.`);
  return trimmed;
}

function parseDate(file: string, value: unknown): string {
  // The YAML core schema leaves 2026-11-24 as a string; a Date can only come from other loaders.
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
  if (text === undefined || text === null) throw new ArticleError(file, 'the front matter has no "date".');
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    throw new ArticleError(file, `"date" must be a day like 2026-11-24, got ${JSON.stringify(value)}.`);
  }
  const parsed = new Date(`${text}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== text) {
    throw new ArticleError(file, `"date" ${text} is not a real day.`);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// One article as a document sent to the API or the editor (`PUT /api/issues/:slug`): the same front
// matter and the same rules as a content file, every problem collected with its line (the editor
// shows them beside the text), and an optional `send_at`. The slug comes from the address, not a
// file name.
// ---------------------------------------------------------------------------------------------

export interface DocumentProblem {
  /** 1-based line in the document. */
  line: number;
  message: string;
}

/** On failure, `markdown` is the body when the front matter block itself was found (its checks can still run). */
export type ParsedDocument = { ok: true; article: Article; sendAt: number | null } | { ok: false; problems: DocumentProblem[]; markdown?: string };

/** A slug: lower-case letters, digits and single dashes, at most 200 characters. */
export function isSlug(slug: string): boolean {
  return slug.length <= MAX_SLUG && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug);
}

/** ISO 8601 with an offset (`2026-12-10T09:00:00-05:00`, or `Z`): a moment, whatever the reader's zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** `send_at` / `sendAt` as milliseconds, or a message saying what is wrong. */
export function parseInstant(value: unknown): { ok: true; at: number } | { ok: false; message: string } {
  const text = value instanceof Date ? value.toISOString() : value;
  if (typeof text !== 'string' || !INSTANT.test(text.trim())) {
    return { ok: false, message: `must be a time in ISO 8601 with its offset, like 2026-12-10T09:00:00-05:00 (or …Z for UTC), got ${JSON.stringify(value)}.` };
  }
  const at = Date.parse(text.trim());
  if (Number.isNaN(at)) return { ok: false, message: `${text} is not a real time.` };
  return { ok: true, at };
}

export function parseArticleDocument(slug: string, source: string): ParsedDocument {
  const file = `${slug}.md`;
  const problems: DocumentProblem[] = [];
  const block = FRONT_MATTER.exec(source);
  if (!block) return { ok: false, problems: [{ line: 1, message: 'the article must start with YAML front matter between two "---" lines (title, date, summary).' }] };
  const yamlLines = block[1].split(/\r?\n/);
  /** The line of `key:` in the front matter (its first line is line 2 of the document), else line 1. */
  const lineOfKey = (key: string) => {
    const at = yamlLines.findIndex((l) => new RegExp(`^${key}\\s*:`).test(l));
    return at < 0 ? 1 : at + 2;
  };

  let data: unknown;
  try {
    data = parseYaml(block[1]);
  } catch (e) {
    const pos = (e as { linePos?: { line: number }[] }).linePos?.[0];
    return { ok: false, problems: [{ line: pos ? pos.line + 1 : 1, message: `the front matter is not valid YAML: ${(e as Error).message.split('\n')[0]}` }] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, problems: [{ line: 1, message: 'the front matter must be a YAML mapping with title, date and summary.' }] };
  }
  const fields = data as Record<string, unknown>;
  const attempt = <T>(key: string, read: () => T): T | undefined => {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof ArticleError)) throw e;
      problems.push({ line: lineOfKey(key), message: e.problem });
      return undefined;
    }
  };
  const title = attempt('title', () => requiredString(file, fields, 'title', MAX_TITLE));
  const date = attempt('date', () => parseDate(file, fields.date));
  const summary = attempt('summary', () => requiredString(file, fields, 'summary', MAX_SUMMARY));
  let sendAt: number | null = null;
  if (fields.send_at !== undefined && fields.send_at !== null) {
    const instant = parseInstant(fields.send_at);
    if (instant.ok) sendAt = instant.at;
    else problems.push({ line: lineOfKey('send_at'), message: `"send_at" ${instant.message}` });
  }
  const markdown = source.slice(block[0].length).trim();
  if (!markdown) problems.push({ line: source.slice(0, block[0].length).split('\n').length, message: 'the article has no body after the front matter.' });
  if (problems.length > 0 || title === undefined || date === undefined || summary === undefined) return { ok: false, problems, markdown };
  return { ok: true, article: { slug, title, date, summary, markdown }, sendAt };
}

/** The document of an article (front matter, then the body): what `PUT /api/issues/:slug` takes. */
export function articleDocument(article: Omit<Article, 'slug'>, sendAt: number | null = null): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['---', `title: ${q(article.title)}`, `date: ${article.date}`, `summary: ${q(article.summary)}`];
  if (sendAt !== null) lines.push(`send_at: ${new Date(sendAt).toISOString()}`);
  lines.push('---', '');
  return `${lines.join('\n')}${article.markdown.trim()}\n`;
}
