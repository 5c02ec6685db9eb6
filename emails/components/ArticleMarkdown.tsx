import type { CSSProperties } from "react";
import { Markdown } from "react-email";
import { Lexer, type Token } from "marked";
import { colors, fontFamily, monoFontFamily, serifFontFamily } from "./theme";

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
    wordWrap: "break-word",
    overflowX: "auto",
  },
  hr: { border: "none", borderTop: `1px solid ${colors.border}`, margin: "28px 0" },
  image: { maxWidth: "100%", height: "auto", border: 0 },
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

/** The article body: Markdown rendered by marked (through React Email's `Markdown`), styled inline. */
export function ArticleMarkdown({ markdown, topHeadingLevel = 2 }: ArticleMarkdownProps) {
  return (
    <Markdown markdownCustomStyles={markdownStyles} markdownContainerStyles={containerStyles}>
      {prepareMarkdown(markdown, topHeadingLevel)}
    </Markdown>
  );
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

/** Code and code-span tokens inside `token`, in document order. */
function codeTokensIn(token: AnyToken): AnyToken[] {
  const found: AnyToken[] = [];
  const visit = (t: AnyToken) => {
    if (t.type === "code" || t.type === "codespan") {
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
 *
 * On anything unexpected the Markdown is returned as given.
 */
export function prepareMarkdown(markdown: string, topLevel = 2, { escapeCode = true }: { escapeCode?: boolean } = {}): string {
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
      for (const code of escapeCode ? codeTokensIn(token) : []) {
        if (!/[&<>]/.test(code.raw)) continue;
        const i = raw.indexOf(code.raw, local);
        if (i < 0) continue;
        const escaped = escapeHtml(code.raw);
        raw = raw.slice(0, i) + escaped + raw.slice(i + code.raw.length);
        local = i + escaped.length;
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
  return prepareMarkdown(markdown, topLevel, { escapeCode: false });
}
