/**
 * The email's dark design, as the one `<style>` block of every email.
 *
 * Layout and the light colours are inline styles, which every client keeps. This block only
 * recolours, so a client that drops it (Gmail, Yahoo, Outlook for Windows) still shows the light
 * design intact. Two ways in:
 *  - `@media (prefers-color-scheme: dark)`: Apple Mail, Outlook for Mac and iOS, Outlook.com;
 *  - `[data-ogsc]` / `[data-ogsb]`: Outlook.com and the Outlook apps mark the elements whose text
 *    (ogsc) or background (ogsb) colours they rewrote for dark mode; rules under those attributes
 *    put this palette back in place of their automatic guesses.
 * `!important` because the light colours are inline styles.
 *
 * The CSS has no quotes, `<`, `>` or `&`, so React writes it into `<style>` as it is.
 */
import { cls, darkColors as d } from "./theme";

type Rule = { selectors: string[]; color?: string; background?: string; border?: string };

const article = (...tags: string[]) => tags.map((t) => `.${cls.article} ${t}`);

const rules: Rule[] = [
  { selectors: [`.${cls.page}`], background: d.page, color: d.text },
  { selectors: [`.${cls.card}`], background: d.card, color: d.text, border: d.border },
  {
    selectors: [`.${cls.text}`, `.${cls.article}`, ...article("div", "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em")],
    color: d.text,
  },
  { selectors: [`.${cls.muted}`], color: d.muted },
  { selectors: [`.${cls.link}`, ...article("a")], color: d.link },
  { selectors: [`.${cls.rule}`, ...article("hr", "th", "td")], border: d.border },
  { selectors: article("blockquote"), color: d.quote, border: d.quoteBorder },
  { selectors: article("code", "pre"), background: d.codeBg, color: d.text },
  { selectors: [`.${cls.button}`], background: d.buttonBg, color: d.buttonText },
];

function declarations(rule: Rule, only?: "color" | "background"): string {
  const out: string[] = [];
  if (rule.background && only !== "color") out.push(`background-color:${rule.background} !important`);
  if (rule.color && only !== "background") out.push(`color:${rule.color} !important`);
  if (rule.border && only !== "background") out.push(`border-color:${rule.border} !important`);
  return out.join(";");
}

function block(prefix: string, only?: "color" | "background"): string {
  return rules
    .map((rule) => {
      const body = declarations(rule, only);
      return body ? `${rule.selectors.map((s) => `${prefix}${s}`).join(",")}{${body}}` : "";
    })
    .filter(Boolean)
    .join("");
}

/** The stylesheet: the media query for clients that honour it, then the Outlook attribute rules. */
export const darkModeCss =
  `@media (prefers-color-scheme:dark){${block("")}}` + block("[data-ogsc] ", "color") + block("[data-ogsb] ", "background");
