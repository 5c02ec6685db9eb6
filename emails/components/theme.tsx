/**
 * Shared look of every email: colours, type, spacing. Inline styles only.
 *
 * Every colour pair used for text passes WCAG AA (>= 4.5:1); the self-test
 * (tests/support/node/render-emails.selftest.tsx) checks the pairs listed in
 * `contrastPairs`. Text and background are always set together so clients that
 * invert colours in dark mode invert them consistently.
 */
import type { CSSProperties } from "react";

export const colors = {
  page: "#f3f4f6", // outer background
  card: "#ffffff", // the 600 px column
  text: "#1f2937", // body text
  muted: "#4b5563", // dates, footer
  quote: "#374151", // blockquote text
  link: "#1d4ed8",
  border: "#e5e7eb",
  quoteBorder: "#d1d5db",
  codeBg: "#f3f4f6",
  buttonBg: "#1d4ed8",
  buttonText: "#ffffff",
} as const;

/** [foreground, background, what] pairs that carry text. */
export const contrastPairs: ReadonlyArray<readonly [string, string, string]> = [
  [colors.text, colors.card, "body text on card"],
  [colors.muted, colors.card, "muted text on card"],
  [colors.muted, colors.page, "footer text on page"],
  [colors.link, colors.card, "link on card"],
  [colors.link, colors.page, "link on page"],
  [colors.quote, colors.card, "quote on card"],
  [colors.text, colors.codeBg, "code on code background"],
  [colors.buttonText, colors.buttonBg, "button label"],
];

export const fontFamily =
  "-apple-system, BlinkMacSystemFont, Segoe UI, Roboto, Helvetica Neue, Helvetica, Arial, sans-serif, Apple Color Emoji, Segoe UI Emoji";
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
  textDecorationLine: "underline",
  textDecoration: "underline",
};

export const h1: CSSProperties = {
  color: colors.text,
  fontFamily,
  fontSize: "28px",
  lineHeight: "1.25",
  fontWeight: 700,
  margin: "0 0 8px",
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
