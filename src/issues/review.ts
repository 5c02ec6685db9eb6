// Every check an article gets before it is stored, the build's checks applied to a document that
// arrives over HTTP (the API's PUT, the editor's save): its front matter (article.ts), its links,
// images and alt text (article-checks.ts), and the size of the email it makes, rendered exactly as
// readers get it. Errors stop the save; warnings (plain http://) are reported and do not.
import type { Config } from '../config';
import { type Article, type DocumentProblem, parseArticleDocument } from './article';
import { checkArticleMarkdown, checkEmailSize } from './article-checks';
import { renderIssueTemplate } from './template';

export type Review = { ok: true; article: Article; sendAt: number | null; warnings: DocumentProblem[] } | { ok: false; problems: DocumentProblem[] };

/** Checks one document for `slug`; `now` refuses a `send_at` in the past. */
export async function reviewArticle(config: Config, slug: string, source: string, now = Date.now()): Promise<Review> {
  const parsed = parseArticleDocument(slug, source);
  // In local dev the service's own addresses (uploaded images, its pages) are http://localhost,
  // which the checks would flag as plain http; deployed, PUBLIC_URL must be https:// (config.ts).
  // The same text with those addresses as https checks everything else on the same lines.
  const own = (text: string) => (config.isLocalDev ? text.replaceAll(`${config.publicUrl}/`, 'https://this-site.invalid/') : text);
  if (!parsed.ok) {
    // The front matter is wrong: still say what is wrong in the body, so one round fixes everything.
    const body = parsed.markdown ? checkArticleMarkdown(`${slug}.md`, own(source), { markdown: own(parsed.markdown) }).filter((p) => p.level === 'error') : [];
    return { ok: false, problems: [...parsed.problems, ...body.map(({ line, message }) => ({ line, message }))].sort((a, b) => a.line - b.line) };
  }
  const found = checkArticleMarkdown(`${slug}.md`, own(source), { markdown: own(parsed.article.markdown) });
  const { html } = await renderIssueTemplate(config, parsed.article);
  // The template has short placeholders where each reader's links go; a reader's copy is a little
  // longer, which the limit (90 KB against Gmail's 102 KB) leaves room for.
  found.push(...checkEmailSize(`${slug}.md`, new TextEncoder().encode(html).length));
  const problems = found.filter((p) => p.level === 'error').map(({ line, message }) => ({ line, message }));
  if (parsed.sendAt !== null && parsed.sendAt <= now) {
    const line = source.split(/\r?\n/).findIndex((l) => /^send_at\s*:/.test(l)) + 1 || 1;
    problems.push({ line, message: `"send_at" ${new Date(parsed.sendAt).toISOString()} is in the past: choose a time ahead, or leave send_at out and send it now.` });
  }
  if (problems.length > 0) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };
  const warnings = found.filter((p) => p.level === 'warning').map(({ line, message }) => ({ line, message }));
  return { ok: true, article: parsed.article, sendAt: parsed.sendAt, warnings };
}
