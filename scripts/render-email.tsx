// Renders one article's issue email to files for a quick look, through the very function the
// Worker uses when it sends (src/issues/template.ts → emails/render.tsx).
//
//   npm run email:render -- <slug> [--out dir]
//
// Writes <dir>/<slug>.html and <dir>/<slug>.txt (default dir: email-preview/, ignored by git).
// The newsletter's name and PUBLIC_URL come from wrangler.toml [vars], then .dev.vars, as in
// `npm run dev`. The unsubscribe link keeps the per-recipient placeholder the sender fills in.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ArticleError, parseArticle } from '../src/issues/article.ts';
import { PLACEHOLDER_POSTAL_ADDRESS, readConfig, type Env } from '../src/config.ts';
import { MAX_EMAIL_BYTES } from '../src/issues/article-checks.ts';
import { renderIssueTemplate } from '../src/issues/template.ts';

const root = join(import.meta.dirname, '..');
const usage = 'Usage: npm run email:render -- <slug> [--out dir]';

function die(message: string): never {
  console.error(`email:render: ${message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let slug: string | undefined;
let outDir = 'email-preview';
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === '--out') outDir = args[++i] ?? die(`--out needs a directory.\n${usage}`);
  else if (arg.startsWith('--out=')) outDir = arg.slice('--out='.length);
  else if (arg === '-h' || arg === '--help') {
    console.log(usage);
    process.exit(0);
  } else if (arg.startsWith('-')) die(`unknown option ${arg}.\n${usage}`);
  else if (slug) die(`one slug at a time.\n${usage}`);
  else slug = arg;
}

const contentDir = join(root, 'content');
const files = readdirSync(contentDir).filter((name) => name.endsWith('.md')).sort();
const slugOf = (name: string) => name.replace(/^\d{4}-\d{2}-\d{2}-/, '').replace(/\.md$/, '');
if (!slug) die(`which article? ${usage}\nArticles: ${files.map(slugOf).join(', ') || '(none in content/)'}`);
// Accept the slug, or the file name with or without .md.
const wanted = slug.replace(/\.md$/, '').replace(/^content\//, '');
const file = files.find((name) => slugOf(name) === wanted || name === `${wanted}.md`);
if (!file) die(`no article "${slug}" in content/. Articles: ${files.map(slugOf).join(', ') || '(none)'}`);

let article;
try {
  article = parseArticle(file, readFileSync(join(contentDir, file), 'utf8'));
} catch (error) {
  if (error instanceof ArticleError) die(`content/${error.message}`);
  throw error;
}

/** `KEY = "value"` lines of wrangler.toml's [vars] table (strings only, which is all it holds). */
function wranglerVars(): Record<string, string> {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  const section = /^\[vars\][ \t]*\r?\n([\s\S]*?)(?=^\s*\[|(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  const vars: Record<string, string> = {};
  for (const m of section.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/gm)) {
    vars[m[1]!] = m[2]!.replace(/\\(["\\])/g, '$1');
  }
  return vars;
}

/** `.dev.vars` (dotenv syntax) overrides [vars], as in `npm run dev`. */
function devVars(): Record<string, string> {
  const path = join(root, '.dev.vars');
  if (!existsSync(path)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    vars[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

const vars = { ...wranglerVars(), ...devVars() };
// Rendering signs nothing and sends nothing: only the name, the URLs and the postal address matter here.
// A throwaway random TOKEN_SECRET satisfies the configuration rules for a non-local PUBLIC_URL, and
// the placeholder stands in for a POSTAL_ADDRESS not set yet (deploying would refuse that).
if (!vars.POSTAL_ADDRESS?.trim()) console.log(`email:render: POSTAL_ADDRESS is not set; the footer shows "${PLACEHOLDER_POSTAL_ADDRESS}".`);
const config = readConfig({
  ...vars,
  POSTAL_ADDRESS: vars.POSTAL_ADDRESS?.trim() || PLACEHOLDER_POSTAL_ADDRESS,
  EMAIL_TRANSPORT: 'outbox',
  RESEND_API_KEY: '',
  TOKEN_SECRET: randomBytes(48).toString('base64'),
} as unknown as Env);
const rendered = await renderIssueTemplate(config, article);

const dir = resolve(process.cwd(), outDir);
mkdirSync(dir, { recursive: true });
const htmlPath = join(dir, `${article.slug}.html`);
const textPath = join(dir, `${article.slug}.txt`);
writeFileSync(htmlPath, rendered.html);
writeFileSync(textPath, `Subject: ${rendered.subject}\n\n${rendered.text}`);

const kb = (s: string) => `${(Buffer.byteLength(s) / 1024).toFixed(1)} KB`;
const size = Buffer.byteLength(rendered.html);
console.log(`email:render: "${rendered.subject}" (${article.date}) for ${config.newsletterName} at ${config.publicUrl}`);
console.log(`  ${relative(process.cwd(), htmlPath) || htmlPath}  ${kb(rendered.html)}${size > MAX_EMAIL_BYTES ? `  (over ${MAX_EMAIL_BYTES / 1024} KB: the build refuses it; Gmail clips at 102 KB)` : ''}`);
console.log(`  ${relative(process.cwd(), textPath) || textPath}  ${kb(rendered.text)}`);
console.log('Open the .html in a browser; the unsubscribe link still holds the placeholder each recipient\'s token replaces.');
