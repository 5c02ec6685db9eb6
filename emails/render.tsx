/**
 * Renders the emails to { subject, html, text }. Runs inside the Worker
 * (react-email resolves `render` to its edge build there) as well as in Node.
 *
 * The text part comes from the same React tree through `render(…, { plainText: true })`
 * with a few formatting rules on top of React Email's defaults:
 * - links marked `data-text-label="Label"` (View in browser, Unsubscribe, buttons)
 *   become a line "Label: https://full.url";
 * - links marked `data-text-plain` (the newsletter name at the top) become their text only;
 * - other links (in the article) read "link text <https://full.url>";
 * - headings keep their case; the email title is underlined with "=", the
 *   article's top headings with "-";
 * - the footer (`data-text-footer`) follows a rule of dashes;
 * - images read "[alt](https://full.url)".
 * The HTML gets its Outlook-only conditional comments here (components/OutlookOnly.tsx).
 */
import type { ReactElement } from "react";
import { render } from "react-email";
import IssueEmail, { issueSubject, type IssueEmailProps } from "./IssueEmail";
import ConfirmLinkEmail, { confirmLinkSubject, type ConfirmLinkEmailProps } from "./ConfirmLinkEmail";
import WelcomeEmail, { welcomeSubject, type WelcomeEmailProps } from "./WelcomeEmail";
import { withOutlookConditionals } from "./components/OutlookOnly";
import { CONFIRM_TOKEN_TTL_MS } from "../src/subscribers/tokens";

export type { IssueEmailProps, WelcomeEmailProps, ConfirmLinkEmailProps };

/** The sign-up confirmation: its link lasts as long as the token's check allows. */
export interface ConfirmationEmailProps {
  newsletterName: string;
  siteUrl: string;
  /** `${siteUrl}/confirm?token=…` */
  confirmUrl: string;
  postalAddress: string;
}
/** The new address's confirmation, with its "I did not ask for this" link. */
export interface EmailChangeEmailProps extends ConfirmationEmailProps {
  notMeUrl?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export function renderIssueEmail(p: IssueEmailProps): Promise<RenderedEmail> {
  return renderEmail(issueSubject(p), <IssueEmail {...p} />);
}

export function renderConfirmationEmail(p: ConfirmationEmailProps): Promise<RenderedEmail> {
  const { confirmUrl, newsletterName, siteUrl, postalAddress } = p;
  return renderConfirmLinkEmail({ kind: "confirmation", url: confirmUrl, lifetimeMs: CONFIRM_TOKEN_TTL_MS, newsletterName, siteUrl, postalAddress });
}

export function renderWelcomeEmail(p: WelcomeEmailProps): Promise<RenderedEmail> {
  return renderEmail(welcomeSubject(p), <WelcomeEmail {...p} />);
}

export function renderEmailChangeEmail(p: EmailChangeEmailProps): Promise<RenderedEmail> {
  const { confirmUrl, newsletterName, siteUrl, postalAddress, notMeUrl } = p;
  return renderConfirmLinkEmail({ kind: "email_change", url: confirmUrl, lifetimeMs: CONFIRM_TOKEN_TTL_MS, newsletterName, siteUrl, postalAddress, notMeUrl });
}

export function renderConfirmLinkEmail(p: ConfirmLinkEmailProps): Promise<RenderedEmail> {
  return renderEmail(confirmLinkSubject(p), <ConfirmLinkEmail {...p} />);
}

async function renderEmail(subject: string, element: ReactElement): Promise<RenderedEmail> {
  const [html, text] = await Promise.all([
    render(element),
    render(element, { plainText: true, htmlToTextOptions: textOptions }),
  ]);
  return { subject, html: asciiHtml(withOutlookConditionals(html)), text: tidyText(text) };
}

/**
 * Every character beyond ASCII as a numeric reference (`—` → `&#8212;`): the same page in every
 * client, and a one-byte string in V8, which a batch of 100 emails serialises and sends at half the
 * CPU of a two-byte one (the preheader's zero-width filler alone would make the whole email two-byte).
 * No character of ours outside ASCII is in a <style> block, where references are not decoded.
 */
function asciiHtml(html: string): string {
  return html.replace(/[^\x00-\x7f]/gu, (c) => `&#${c.codePointAt(0)};`);
}

// ---- plain-text formatting (html-to-text, which React Email uses) ----------

// Minimal shapes of html-to-text's formatter arguments (it ships no types here).
interface TextElement {
  attribs?: Record<string, string>;
  children?: unknown[];
}
interface TextBuilder {
  addInline(str: string, options?: { noWordTransform?: boolean }): void;
  openBlock(options?: { leadingLineBreaks?: number }): void;
  closeBlock(options?: { trailingLineBreaks?: number; blockTransform?: (s: string) => string }): void;
  pushWordTransform(fn: (s: string) => string): void;
  popWordTransform(): void;
}
type Walk = (nodes: unknown[] | undefined, builder: TextBuilder) => void;
interface FormatOptions {
  leadingLineBreaks?: number;
  trailingLineBreaks?: number;
}

/** `<a data-text-label="Unsubscribe" href=U>` → "Unsubscribe: U" */
function labelledLink(elem: TextElement, _walk: Walk, builder: TextBuilder) {
  const label = elem.attribs?.["data-text-label"] ?? "";
  const href = elem.attribs?.href ?? "";
  builder.addInline(label ? `${label}:` : "");
  builder.addInline(" " + href, { noWordTransform: true });
}

/** The footer (marked `data-text-footer`), set off from the email above by a rule. */
function footerBlock(elem: TextElement, walk: Walk, builder: TextBuilder) {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addInline("-".repeat(40), { noWordTransform: true });
  builder.closeBlock({ trailingLineBreaks: 2 });
  builder.openBlock({ leadingLineBreaks: 2 });
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2 });
}

/** `<img alt=A src=U>` → "[A](U)": the picture's words and where to see it. */
function markdownImage(elem: TextElement, _walk: Walk, builder: TextBuilder) {
  const alt = (elem.attribs?.alt ?? "").replace(/\s+/g, " ").trim();
  const src = elem.attribs?.src ?? "";
  if (src) builder.addInline(`[${alt}](${src})`, { noWordTransform: true });
}

/** The content of the element, nothing else (used for links whose URL is noise). */
function contentOnly(elem: TextElement, walk: Walk, builder: TextBuilder) {
  walk(elem.children, builder);
}

/** A heading followed by a line of `char` as long as the heading. */
function underlined(char: string) {
  return (elem: TextElement, walk: Walk, builder: TextBuilder, options: FormatOptions) => {
    builder.openBlock({ leadingLineBreaks: options.leadingLineBreaks ?? 2 });
    walk(elem.children, builder);
    builder.closeBlock({
      trailingLineBreaks: options.trailingLineBreaks ?? 2,
      blockTransform: (s) => {
        const width = Math.max(...s.split("\n").map((l) => [...l].length));
        return `${s}\n${char.repeat(Math.min(width, 72))}`;
      },
    });
  };
}

const heading = (tag: string) => ({
  selector: tag,
  options: { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 2 },
});

const textOptions = {
  formatters: {
    labelledLink,
    contentOnly,
    markdownImage,
    footerBlock,
    titleHeading: underlined("="),
    sectionHeading: underlined("-"),
  },
  selectors: [
    {
      selector: "a",
      options: { linkBrackets: ["<", ">"], hideLinkHrefIfSameAsText: true },
    },
    { selector: "a[data-text-label]", format: "labelledLink" },
    { selector: "a[data-text-plain]", format: "contentOnly" },
    { selector: "img", format: "markdownImage" },
    { selector: "table[data-text-footer]", format: "footerBlock" },
    { selector: "h1", format: "titleHeading", options: { leadingLineBreaks: 2, trailingLineBreaks: 1 } },
    { selector: "h2", format: "sectionHeading", options: { leadingLineBreaks: 2, trailingLineBreaks: 1 } },
    heading("h3"),
    heading("h4"),
    heading("h5"),
    heading("h6"),
    { selector: "hr", options: { length: 40 } },
    { selector: "ul", options: { itemPrefix: " - " } },
  ],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- html-to-text's option types are not installed
} as any;

/** Trim stray whitespace left by layout tables: no trailing spaces, at most one blank line in a row. */
function tidyText(text: string): string {
  return (
    plainPunctuation(text)
      .split("\n")
      .map((l) => l.replace(/[ \t\u00a0]+$/, ""))
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trim() + "\n"
  );
}

/** Typographic punctuation as the plain characters a text part is usually written in. */
const PLAIN: Record<string, string> = {
  "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
  "\u2013": "-", "\u2014": "--", "\u2026": "...", "\u00b7": "-", "\u2022": "*", "\u00a0": " ",
  "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
};

/**
 * The text part in plain ASCII punctuation (curly quotes, dashes, ellipses, invisible spacers), as
 * text parts are by convention; letters of any script stay as they are. Besides reading the same in
 * every client, a text part (and so a whole batch of emails) that is all ASCII is a one-byte string
 * in V8: half the memory and serialising time for each batch call.
 */
function plainPunctuation(text: string): string {
  return text.replace(/[\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026\u00b7\u2022\u00a0\u200b\u200c\u200d\ufeff]/g, (c) => PLAIN[c] ?? c);
}
