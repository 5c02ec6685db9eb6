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
  constructor(readonly file: string, problem: string) {
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
export function isReady(article: Article, now: number): boolean {
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
