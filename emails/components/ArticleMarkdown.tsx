import type { CSSProperties } from "react";
import { Markdown } from "react-email";
import { Lexer, type Token } from "marked";
import { cls, colors, fontFamily, monoFontFamily, serifFontFamily } from "./theme";

const headingBase: CSSProperties = {
  color: colors.text,
  fontFamily: serifFontFamily,
  fontWeight: 700,
  lineHeight: "1.3",
};

const codeInline: CSSProperties = {
  fontFamily: monoFontFamily,
  fontSize: "0.9em",
  color: colors.text,
  backgroundColor: colors.codeBg,
  borderRadius: "4px",
  padding: "1px 4px",
};

/** Inline styles for every element marked can produce (React Email's `Markdown` inlines them). */
export const markdownStyles = {
  h1: { ...headingBase, fontSize: "26px", margin: "32px 0 12px" },
  h2: { ...headingBase, fontSize: "23px", margin: "32px 0 12px" },
  h3: { ...headingBase, fontSize: "19px", margin: "28px 0 10px" },
  h4: { ...headingBase, fontSize: "17px", margin: "24px 0 8px" },
  h5: { ...headingBase, fontSize: "17px", margin: "24px 0 8px" },
  h6: { ...headingBase, fontSize: "17px", margin: "24px 0 8px", fontWeight: 600 },
  p: { margin: "0 0 18px" },
  ul: { margin: "0 0 18px", padding: "0 0 0 24px" },
  ol: { margin: "0 0 18px", padding: "0 0 0 24px" },
  li: { margin: "0 0 6px" },
  link: { color: colors.link, textDecoration: "underline" },
  bold: { fontWeight: 700 },
  italic: { fontStyle: "italic" },
  strikethrough: { textDecoration: "line-through" },
  blockQuote: {
    margin: "0 0 18px",
    padding: "2px 0 2px 16px",
    borderLeft: `4px solid ${colors.quoteBorder}`,
    color: colors.quote,
    fontStyle: "italic",
  },
  codeInline,
  codeBlock: {
    ...codeInline,
    display: "block",
    fontSize: "14px",
    lineHeight: "1.5",
    padding: "12px 14px",
    margin: "0 0 18px",
    whiteSpace: "pre-wrap",
    overflowX: "auto",
  },
  hr: { border: "none", borderTop: `1px solid ${colors.border}`, margin: "28px 0" },
  // Images are written by prepareMarkdown (with a width attribute), not by this renderer.
  image: { maxWidth: "100%", border: 0 },
  table: { borderCollapse: "collapse", margin: "0 0 18px", width: "100%" },
  th: { borderBottom: `2px solid ${colors.border}`, padding: "6px 8px", textAlign: "left", fontWeight: 700 },
  td: { borderBottom: `1px solid ${colors.border}`, padding: "6px 8px" },
} satisfies Record<string, CSSProperties>;

const containerStyles: CSSProperties = {
  color: colors.text,
  fontFamily,
  fontSize: "17px",
  lineHeight: "1.6",
};

export interface ArticleMarkdownProps {
  markdown: string;
  /** The level the article's own top headings become (the email title is the h1). */
  topHeadingLevel?: number;
}

/**
 * The article body: Markdown rendered by marked (through React Email's `Markdown`), styled inline.
 * The wrapper's class lets the dark styles reach every element marked writes (dark-mode.ts).
 */
export function ArticleMarkdown({ markdown, topHeadingLevel = 2 }: ArticleMarkdownProps) {
  return (
    <div className={cls.article}>
      <Markdown markdownCustomStyles={markdownStyles} markdownContainerStyles={containerStyles}>
        {prepareMarkdown(markdown, topHeadingLevel)}
      </Markdown>
    </div>
  );
}

/**
 * The width an image gets in the email: the inside of the card (600 px column, 24 px padding and a
 * 1 px border on each side). Outlook for Windows ignores max-width and shows an image at its width
 * attribute (or its natural size without one), so every image gets one; `{width=N}` right after an
 * image asks for less (a small picture is not blown up), never more than the column.
 */
export const IMAGE_MAX_WIDTH = 550;
/** `{width=N}` right after `![alt](url)` (the Pandoc/kramdown attribute syntax, width only). */
export const IMAGE_WIDTH_SUFFIX = /^\{width=(\d{1,4})\}/;

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function imageHtml(token: AnyToken & { href?: string; title?: string | null }, width: number): string {
  const style = parseInlineStyle(markdownStyles.image);
  const title = token.title ? ` title="${escapeAttr(token.title)}"` : "";
  return `<img src="${escapeAttr(token.href ?? "")}" alt="${escapeAttr(token.text ?? "")}" width="${width}"${title} style="${style}">`;
}

function parseInlineStyle(style: CSSProperties): string {
  return Object.entries(style)
    .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}:${v}`)
    .join(";");
}

type AnyToken = Token & {
  tokens?: Token[];
  items?: Token[];
  header?: { tokens: Token[] }[];
  rows?: { tokens: Token[] }[][];
  depth?: number;
  text?: string;
};

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Tokens of the given types inside `token` (not inside each other), in document order. */
function tokensIn(token: AnyToken, types: readonly string[]): AnyToken[] {
  const found: AnyToken[] = [];
  const visit = (t: AnyToken) => {
    if (types.includes(t.type)) {
      found.push(t);
      return;
    }
    for (const child of t.tokens ?? []) visit(child as AnyToken);
    for (const child of t.items ?? []) visit(child as AnyToken);
    for (const cell of t.header ?? []) for (const child of cell.tokens) visit(child as AnyToken);
    for (const row of t.rows ?? []) for (const cell of row) for (const child of cell.tokens) visit(child as AnyToken);
  };
  for (const child of token.tokens ?? []) visit(child as AnyToken);
  for (const child of token.items ?? []) visit(child as AnyToken);
  for (const cell of token.header ?? []) for (const child of cell.tokens) visit(child as AnyToken);
  for (const row of token.rows ?? []) for (const cell of row) for (const child of cell.tokens) visit(child as AnyToken);
  return found;
}

/**
 * Prepares an article for React Email's `Markdown`:
 *
 * 1. Headings in order under the email's h1: if the article's highest top-level
 *    heading is above `topLevel`, every top-level heading moves down by the same
 *    amount (`#`→`##`, `##`→`###`, …, at most h6). Articles already starting at
 *    `##` keep their headings.
 * 2. Code shows as written: React Email's renderer puts code text into the HTML
 *    without escaping it, so `<`, `>` and `&` inside code blocks and code spans
 *    are turned into entities here (which display as the original characters).
 *    Code nested in lists or quotes whose source is not contiguous is left as is.
 * 3. Images get a width: each `![alt](url "title")` becomes an `<img>` with a width attribute
 *    (IMAGE_MAX_WIDTH, or less with `{width=N}`), the alt text and the inline style. With
 *    `emailImages: false` (the web version) only the `{width=N}` suffix is taken out.
 *
 * On anything unexpected the Markdown is returned as given.
 */
export function prepareMarkdown(
  markdown: string,
  topLevel = 2,
  { escapeCode = true, emailImages = true }: { escapeCode?: boolean; emailImages?: boolean } = {},
): string {
  let tokens: AnyToken[];
  try {
    tokens = Lexer.lex(markdown, { gfm: true }) as AnyToken[];
  } catch {
    return markdown;
  }
  const headings = tokens.filter((t) => t.type === "heading");
  const min = headings.length ? Math.min(...headings.map((t) => t.depth ?? 1)) : topLevel;
  const shift = Math.max(0, topLevel - min);

  // The lexer normalises line endings; each top-level token.raw is a substring of that text.
  const src = markdown.replace(/\r\n|\r/g, "\n");
  let out = "";
  let cursor = 0;
  let changed = false;
  for (const token of tokens) {
    if (!token.raw) continue;
    const at = src.indexOf(token.raw, cursor);
    if (at < 0) return markdown;
    let raw = token.raw;
    if (token.type === "code") {
      if (escapeCode) raw = escapeHtml(raw);
    } else {
      if (token.type === "heading" && shift > 0) {
        const depth = Math.min(6, (token.depth ?? 1) + shift);
        const trailing = /\n*$/.exec(raw)?.[0] ?? "";
        raw = `${"#".repeat(depth)} ${(token.text ?? "").replace(/\s*\n\s*/g, " ")}${trailing}`;
      }
      let local = 0;
      for (const inner of tokensIn(token, ["code", "codespan", "image"])) {
        const i = raw.indexOf(inner.raw, local);
        if (i < 0) continue;
        let end = i + inner.raw.length;
        let replacement = inner.raw;
        if (inner.type === "image") {
          const suffix = IMAGE_WIDTH_SUFFIX.exec(raw.slice(end));
          if (suffix) end += suffix[0].length;
          const asked = suffix ? Number(suffix[1]) : IMAGE_MAX_WIDTH;
          replacement = emailImages ? imageHtml(inner, Math.max(1, Math.min(asked, IMAGE_MAX_WIDTH))) : inner.raw;
        } else if (escapeCode && /[&<>]/.test(inner.raw)) {
          replacement = escapeHtml(inner.raw);
        }
        raw = raw.slice(0, i) + replacement + raw.slice(end);
        local = i + replacement.length;
      }
    }
    if (raw !== token.raw) changed = true;
    out += src.slice(cursor, at) + raw;
    cursor = at + token.raw.length;
  }
  return changed ? out + src.slice(cursor) : markdown;
}

/**
 * The heading shift alone (no code escaping), for renderers that escape code themselves: the web
 * version of an issue (`marked` in src/web/routes.ts) puts the article under its h1 the same way.
 */
export function shiftHeadings(markdown: string, topLevel = 2): string {
  return prepareMarkdown(markdown, topLevel, { escapeCode: false, emailImages: false });
}
