/**
 * Shared look of every email: colours, type, spacing, in inline styles.
 *
 * Light is the design every client gets. Dark is designed too (dark-mode.ts): clients that honour
 * `prefers-color-scheme` (Apple Mail, Outlook for Mac and iOS, Outlook.com) switch to `darkColors`
 * through the class names below; every element that sets a colour carries the class that overrides it.
 *
 * Every colour pair used for text passes WCAG AA (>= 4.5:1) in both schemes; the self-test
 * (tests/emails.test.tsx) checks the pairs listed in `contrastPairs` and `darkContrastPairs`. Text and
 * background are always set together so clients that invert colours invert them consistently.
 */
import type { CSSProperties } from "react";

declare module "react" {
  interface CSSProperties {
    /** Outlook for Windows: hide the element (the preheader) completely. */
    msoHide?: "all" | undefined;
  }
}

export const colors = {
  page: "#f4f2ee", // outer background (the site's warm paper, a shade darker)
  card: "#ffffff", // the 600 px column
  text: "#1d1f22", // body text
  muted: "#595d64", // dates, standfirst, footer
  quote: "#3f4349", // blockquote text
  link: "#1d5b70", // the site's accent
  border: "#e5e1d8",
  quoteBorder: "#cfc9bd",
  codeBg: "#f3f0ea",
  buttonBg: "#1d5b70",
  buttonText: "#ffffff",
} as const;

/** The same roles at night: a near-black page, a lifted card, warm off-white text, a lighter accent. */
export const darkColors: { readonly [K in keyof typeof colors]: string } = {
  page: "#121417",
  card: "#1c1f23",
  text: "#e8e6e3",
  muted: "#a9aeb5",
  quote: "#c9ccd1",
  link: "#8fcfe4",
  border: "#353a41",
  quoteBorder: "#4d535b",
  codeBg: "#272b31",
  buttonBg: "#8fcfe4",
  buttonText: "#0c1c22",
};

/** [foreground, background, what] pairs that carry text, for a palette. */
function pairs(c: { readonly [K in keyof typeof colors]: string }): ReadonlyArray<readonly [string, string, string]> {
  return [
    [c.text, c.card, "body text on card"],
    [c.muted, c.card, "muted text on card"],
    [c.muted, c.page, "footer text on page"],
    [c.link, c.card, "link on card"],
    [c.link, c.page, "link on page"],
    [c.quote, c.card, "quote on card"],
    [c.text, c.codeBg, "code on code background"],
    [c.buttonText, c.buttonBg, "button label"],
  ];
}
export const contrastPairs = pairs(colors);
export const darkContrastPairs = pairs(darkColors);

/**
 * Class names the dark-mode styles hook onto (dark-mode.ts). Short, because they repeat on every
 * element; prefixed so that no client's own classes collide with them.
 */
export const cls = {
  page: "nl-page",
  card: "nl-card",
  text: "nl-text",
  muted: "nl-muted",
  link: "nl-link",
  button: "nl-button",
  rule: "nl-rule",
  article: "nl-article",
} as const;

export const fontFamily =
  "-apple-system, BlinkMacSystemFont, Segoe UI, Roboto, Helvetica Neue, Helvetica, Arial, sans-serif, Apple Color Emoji, Segoe UI Emoji";
/** Headings and the name: the serif of the web pages, in the faces mail clients have. */
export const serifFontFamily = "Iowan Old Style, Palatino Linotype, Palatino, Georgia, Times New Roman, serif";
export const monoFontFamily = "ui-monospace, SFMono-Regular, Menlo, Monaco, Consolas, Liberation Mono, monospace";

export const text: CSSProperties = {
  color: colors.text,
  fontFamily,
  fontSize: "16px",
  lineHeight: "1.6",
  margin: "0 0 16px",
};

export const smallMuted: CSSProperties = {
  color: colors.muted,
  fontFamily,
  fontSize: "14px",
  lineHeight: "1.5",
  margin: "0 0 8px",
};

export const link: CSSProperties = {
  color: colors.link,
  // React Email's Link sets text-decoration-line: none; both longhand and shorthand win it back.
  textDecorationLine: "underline",
  textDecoration: "underline",
};

export const h1: CSSProperties = {
  color: colors.text,
  fontFamily: serifFontFamily,
  fontSize: "30px",
  lineHeight: "1.2",
  fontWeight: 700,
  letterSpacing: "-0.01em",
  margin: "0 0 8px",
};

/** Small upper-case line above a title (the date). */
export const eyebrow: CSSProperties = {
  color: colors.muted,
  fontFamily,
  fontSize: "13px",
  fontWeight: 600,
  letterSpacing: "0.06em",
  lineHeight: "1.4",
  textTransform: "uppercase",
  margin: "0 0 10px",
};

/** 'YYYY-MM-DD' -> '24 November 2026'; anything else is shown as given. */
export function formatDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return date;
  const months = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
  ];
  const month = months[Number(m[2]) - 1];
  const day = Number(m[3]);
  if (!month || day < 1 || day > 31) return date;
  return `${day} ${month} ${m[1]}`;
}

/** "Hi Ada," for a name, "Hi there," without one. Names are plain text, never HTML. */
export function greeting(name?: string | null): string {
  const n = (name ?? "").trim();
  return n ? `Hi ${n},` : "Hi there,";
}
