/**
 * Quick self-test of the email templates (no test runner needed):
 *
 *   npx tsx tests/support/node/render-emails.selftest.tsx
 *
 * Renders the three emails with sample data (the issue with the real first
 * article), checks what the templates promise, writes the results to
 * /tmp/email-preview/ and prints "N passed, M failed".
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import {
  renderConfirmationEmail,
  renderIssueEmail,
  renderWelcomeEmail,
  type RenderedEmail,
} from "../../../emails/render";
import { colors, contrastPairs } from "../../../emails/components/theme";
import { prepareMarkdown } from "../../../emails/components/ArticleMarkdown";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const outDir = "/tmp/email-preview";
mkdirSync(outDir, { recursive: true });

let passed = 0;
let failed = 0;
async function check(name: string, fn: () => void | Promise<void>) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}\n     ${(err as Error).message.split("\n").join("\n     ")}`);
  }
}

// ---- sample data -----------------------------------------------------------

const SITE = "https://newsletter.example.com";
const UNSUB = "https://example.com/unsubscribe?token=__UNSUB_TOKEN__";
const CONFIRM = "https://example.com/confirm?token=__CONFIRM_TOKEN__";
const EVIL_NAME = "<script>alert(1)</script>";
const NEWSLETTER = "The Weekly Letter";

const articlePath = `${root}content/2026-11-24-gut-health-and-skin-clarity.md`;
const articleSource = readFileSync(articlePath, "utf8");
const fm = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(articleSource);
assert.ok(fm, "article has front matter");
const meta = parseYaml(fm[1]!) as { title: string; date: string | Date; summary: string };
const articleBody = fm[2]!;
const slug = "2026-11-24-gut-health-and-skin-clarity";
const articleDate = meta.date instanceof Date ? meta.date.toISOString().slice(0, 10) : String(meta.date);

const issueProps = {
  newsletterName: NEWSLETTER,
  siteUrl: SITE,
  title: meta.title,
  summary: meta.summary,
  date: articleDate,
  markdown: articleBody,
  archiveUrl: `${SITE}/archive/${slug}`,
  unsubscribeUrl: UNSUB,
};

const featureMarkdown = `Intro with *emphasis*, **strong** words and \`inline code\` and \`<b>not bold</b>\`.

# A top heading

A paragraph with [a link to the study](https://example.org/study?a=1&b=2).

## A sub heading

- first item
- second item with _emphasis_

1. one
2. two

> A quoted line
> that goes on.

\`\`\`html
<div class="x">1 < 2 && 3 > 2</div>
\`\`\`

---

Last paragraph.
`;

// ---- helpers ---------------------------------------------------------------

function save(name: string, r: RenderedEmail) {
  writeFileSync(`${outDir}/${name}.html`, r.html);
  writeFileSync(`${outDir}/${name}.txt`, `Subject: ${r.subject}\n\n${r.text}`);
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

function headingLevels(html: string): number[] {
  return [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
}

function assertHeadingsInOrder(html: string) {
  const levels = headingLevels(html);
  assert.equal(levels[0], 1, `first heading is h1 (got ${levels.join(",")})`);
  assert.equal(levels.filter((l) => l === 1).length, 1, `exactly one h1 (got ${levels.join(",")})`);
  for (let i = 1; i < levels.length; i++) {
    assert.ok(levels[i]! <= levels[i - 1]! + 1, `no skipped heading level: ${levels.join(",")}`);
  }
}

function assertCommonHtml(html: string) {
  assert.match(html, /<html[^>]*\blang="en"/, 'lang="en"');
  assert.ok(html.includes('<meta name="color-scheme" content="light dark"'), "color-scheme meta");
  assert.ok(html.includes('<meta name="supported-color-schemes" content="light dark"'), "supported-color-schemes meta");
  assert.ok(!/<style[\s>]/i.test(html), "no <style> element");
  assert.ok(!/\sclass(Name)?=/.test(html.replace(/<pre[\s\S]*?<\/pre>/g, "")), "no class attributes (inline styles only)");
  assert.ok(!/<script/i.test(html), "no <script> element");
  assert.ok(html.includes("max-width:600px"), "600 px column");
  assert.match(html, new RegExp(`background-color:${colors.page};color:${colors.text}`), "page sets background and text colour");
  assert.match(html, new RegExp(`background-color:${colors.card};color:${colors.text}`), "column sets background and text colour");
  // every link has a target and text that makes sense on its own
  for (const m of html.matchAll(/<a\s([^>]*)>([\s\S]*?)<\/a>/g)) {
    const attrs = m[1]!;
    const label = m[2]!.replace(/<!--[\s\S]*?-->/g, "").replace(/<[^>]+>/g, "").trim();
    assert.match(attrs, /href="[^"]+"/, `link has an href: ${attrs}`);
    assert.ok(label.length > 0, `link has text: ${attrs}`);
    assert.ok(!/^(here|click here|link|more|read more)$/i.test(label), `link text "${label}" makes sense out of context`);
  }
}

function assertCleanText(text: string) {
  assert.ok(!/[\u200b\u200c\u200d\ufeff]/.test(text), "no preheader filler characters in text");
  assert.ok(!/<\/?(p|a|div|table|td|span|h\d)\b/i.test(text), "no HTML tags in text");
  assert.ok(!/&(amp|lt|gt|quot|#x?[0-9a-f]+);/i.test(text), "no HTML entities in text");
  assert.ok(!/\n{3,}/.test(text), "no runs of blank lines");
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1! + 0.05) / (l2! + 0.05);
}

// ---- issue: the real article -------------------------------------------------

const issue = await renderIssueEmail(issueProps);
save("issue", issue);
const issueBytes = Buffer.byteLength(issue.html, "utf8");

await check("issue: subject is the article title exactly", () => {
  assert.equal(issue.subject, meta.title);
});
await check(`issue: HTML under 100 KB (${issueBytes} bytes)`, () => {
  assert.ok(issueBytes < 100 * 1024, `${issueBytes} bytes`);
});
await check("issue: common HTML promises (lang, color-scheme, inline styles, colours, links)", () => {
  assertCommonHtml(issue.html);
});
await check("issue: readable type (17 px body, 1.6 line height, system fonts)", () => {
  assert.ok(issue.html.includes("font-size:17px;line-height:1.6"), "17px / 1.6 on the article");
  assert.ok(issue.html.includes("font-family:-apple-system, BlinkMacSystemFont"), "system font stack");
});
await check("issue: newsletter name, title as the one h1, date, preheader", () => {
  assert.ok(issue.html.includes(`>${NEWSLETTER}</a>`), "name at the top");
  assert.match(issue.html, /<h1[^>]*>Gut Health and Skin Clarity: The Hidden Connection<\/h1>/);
  assert.ok(issue.html.includes("24 November 2026"), "date");
  assert.ok(issue.html.includes(meta.summary), "preheader from summary");
  assert.ok(issue.html.indexOf(meta.summary) < issue.html.indexOf("<h1"), "preheader comes first");
  assertHeadingsInOrder(issue.html);
});
await check("issue: View in browser link near the top, visible Unsubscribe link in the footer", () => {
  const view = issue.html.indexOf(`href="${issueProps.archiveUrl}"`);
  assert.ok(view > 0 && view < issue.html.indexOf("<h1"), "view-in-browser link before the title");
  assert.match(issue.html, new RegExp(`<a href="${UNSUB.replace(/[?.]/g, "\\$&")}"[^>]*>Unsubscribe</a>`));
  assert.ok(
    issue.html.includes(`You are receiving this because you subscribed to ${NEWSLETTER}`.replace(NEWSLETTER, `<!-- -->${NEWSLETTER}<!-- -->`)) ||
      issue.html.includes(`You are receiving this because you subscribed to ${NEWSLETTER}`),
    "why you get this",
  );
  assert.ok(issue.html.includes(`>${SITE}</a>`), "site URL in the footer");
});
await check("issue: the unsubscribe URL is verbatim in HTML and text, so replaceAll works", () => {
  assert.ok(count(issue.html, UNSUB) >= 1, "html");
  assert.equal(count(issue.text, UNSUB), 1, "text");
  const real = "https://example.com/unsubscribe?token=abc123-XYZ_9";
  const html = issue.html.replaceAll(UNSUB, real);
  const text = issue.text.replaceAll(UNSUB, real);
  assert.ok(!html.includes("__UNSUB_TOKEN__") && !text.includes("__UNSUB_TOKEN__"), "placeholder fully replaced");
  assert.ok(html.includes(`href="${real}"`) && text.includes(real));
});
await check("issue: the text part reads on its own", () => {
  const t = issue.text;
  assertCleanText(t);
  assert.ok(t.includes(`View in browser: ${issueProps.archiveUrl}`), "view in browser URL written out");
  assert.ok(t.includes(`Unsubscribe: ${UNSUB}`), "unsubscribe URL written out");
  assert.ok(t.includes(`${meta.title}\n${"=".repeat(meta.title.length)}`), "title, underlined");
  assert.ok(t.includes("24 November 2026"), "date");
  assert.ok(t.includes("The human body is a complex system"), "first paragraph");
  assert.ok(t.includes("healthier, more radiant you."), "last paragraph");
  assert.ok(t.includes("“good” bacteria"), "typographic quotes survive");
  assert.ok(t.indexOf(meta.title) < t.indexOf("The human body"), "title before the article");
  assert.ok(t.indexOf("The human body") < t.indexOf(`Unsubscribe: ${UNSUB}`), "unsubscribe after the article");
  assert.ok(!t.includes(meta.summary), "preheader not repeated in text");
  assert.ok(!t.includes("View this issue in your browser"), "link label replaced by 'View in browser:'");
});
await check("issue: every paragraph of the article is in HTML and text", () => {
  const paragraphs = articleBody.split(/\n{2,}/).map((p) => p.trim()).filter(Boolean);
  assert.equal(paragraphs.length, 10);
  for (const p of paragraphs) {
    const start = p.slice(0, 60);
    assert.ok(issue.text.includes(start), `text has: ${start}`);
    assert.ok(issue.html.includes(`<p style="margin:0 0 18px">${start.replaceAll("’", "’")}`), `html has: ${start}`);
  }
});

// ---- issue: Markdown features ---------------------------------------------------

const feature = await renderIssueEmail({
  ...issueProps,
  title: `Salt & "Pepper" <tips>`,
  summary: `Tips & tricks <b>`,
  markdown: featureMarkdown,
});
save("issue-markdown-features", feature);

await check("markdown: headings, paragraphs, lists, links, emphasis, quote, code come out right", () => {
  const h = feature.html;
  assert.match(h, /<h2 style="[^"]*">A top heading<\/h2>/, "# becomes h2 under the title");
  assert.match(h, /<h3 style="[^"]*">A sub heading<\/h3>/, "## becomes h3");
  assert.match(h, /<em style="font-style:italic">emphasis<\/em>/);
  assert.match(h, /<strong style="font-weight:700">strong<\/strong>/);
  assert.match(h, /<code style="[^"]*">inline code<\/code>/);
  // marked's link href keeps a bare "&" here (valid HTML5 in an attribute: "&b=" is no character reference)
  assert.match(h, /<a href="https:\/\/example.org\/study\?a=1&(amp;)?b=2" target="_blank" style="color:#1d4ed8;[^"]*">a link to the study<\/a>/);
  assert.match(h, /<ul style="[^"]*">\s*<li style="[^"]*">first item<\/li>/);
  assert.match(h, /<ol style="[^"]*">\s*<li style="[^"]*">one<\/li>/);
  assert.match(h, /<blockquote style="[^"]*border-left:4px solid[^"]*">\s*<p style="[^"]*">A quoted line\nthat goes on.<\/p>/);
  assert.match(h, /<pre style="[^"]*"><code>&lt;div class="x"&gt;1 &lt; 2 &amp;&amp; 3 &gt; 2&lt;\/div&gt;\n<\/code><\/pre>/, "code block shown as written");
  assert.match(h, /<code style="[^"]*">&lt;b&gt;not bold&lt;\/b&gt;<\/code>/, "code span shown as written");
  assert.match(h, /<hr style="[^"]*" \/>/);
  assertHeadingsInOrder(h);
  assertCommonHtml(h);
});
await check("markdown: text part keeps the structure", () => {
  const t = feature.text;
  assertCleanText(t.replace(/<\/?(div|b)\b[^>]*>/g, "")); // the article's code shows tags on purpose
  assert.ok(t.includes("a link to the study <https://example.org/study?a=1&b=2>"), "link URL written out");
  assert.ok(t.includes(" - first item\n - second item with emphasis"), "bulleted list");
  assert.ok(t.includes("1. one\n 2. two") || t.includes(" 1. one\n 2. two"), "numbered list");
  assert.ok(t.includes("> A quoted line that goes on."), "quote");
  assert.ok(t.includes("A top heading\n-------------"), "section heading underlined");
  assert.ok(t.includes('<div class="x">1 < 2 && 3 > 2</div>'), "code block");
  assert.ok(t.includes("and <b>not bold</b>."), "code span");
});
await check("markdown: a title with & \" < > is the exact subject and escaped in HTML", () => {
  assert.equal(feature.subject, `Salt & "Pepper" <tips>`);
  assert.ok(!feature.html.includes("<tips>") && !feature.html.includes("<b>"), "no raw tags");
  assert.ok(feature.html.includes("Salt &amp; &quot;Pepper&quot; &lt;tips&gt;"), "escaped title");
  assert.ok(feature.text.includes(`Salt & "Pepper" <tips>`), "plain title in text");
});
await check("markdown: heading shift and code escaping leave everything else alone", () => {
  const md = "## A\n\ntext\n\n### B\n";
  assert.equal(prepareMarkdown(md), md);
  assert.equal(prepareMarkdown("# A\ntext [x][x]\n\n## B\n\n[x]: https://e.org\n"), "## A\ntext [x][x]\n\n### B\n\n[x]: https://e.org\n");
  assert.equal(prepareMarkdown("A\n===\n\nB\n---\n"), "## A\n\n### B\n");
  assert.equal(prepareMarkdown("no headings\n"), "no headings\n");
  assert.equal(prepareMarkdown("# T `<x>`\n\n- a `b&c`\n"), "## T `&lt;x&gt;`\n\n- a `b&amp;c`\n");
  assert.equal(prepareMarkdown("    <i>\n"), "    &lt;i&gt;\n");
  assert.equal(prepareMarkdown(articleBody), articleBody, "the real article is unchanged");
});

// ---- confirmation ----------------------------------------------------------------

const confirmation = await renderConfirmationEmail({
  newsletterName: NEWSLETTER,
  siteUrl: SITE,
  confirmUrl: CONFIRM,
  name: EVIL_NAME,
});
save("confirmation", confirmation);
const confirmationNoName = await renderConfirmationEmail({ newsletterName: NEWSLETTER, siteUrl: SITE, confirmUrl: CONFIRM });
save("confirmation-no-name", confirmationNoName);

await check("confirmation: subject", () => {
  assert.equal(confirmation.subject, `Confirm your subscription to ${NEWSLETTER}`);
});
await check("confirmation: common HTML promises, headings in order", () => {
  assertCommonHtml(confirmation.html);
  assertHeadingsInOrder(confirmation.html);
});
await check("confirmation: button, plain link, expiry, ignore note", () => {
  const h = confirmation.html;
  assert.match(h, new RegExp(`<a href="${CONFIRM.replace(/[?.]/g, "\\$&")}"[^>]*>[\\s\\S]*?Confirm subscription[\\s\\S]*?</a>`), "button");
  assert.ok(h.includes(`>${CONFIRM}</a>`), "URL written out as a plain link");
  assert.ok(h.includes("This link expires in <!-- -->7<!-- --> days.") || h.includes("This link expires in 7 days."), "expiry");
  assert.ok(h.includes("If you did not ask for this, ignore this email — you will not be added."));
  assert.ok(!h.includes(UNSUB) && !/>Unsubscribe</.test(h), "no unsubscribe link before subscribing");
});
await check("confirmation: confirm URL verbatim in HTML and text", () => {
  assert.ok(count(confirmation.html, CONFIRM) >= 2, "href and written out");
  assert.equal(count(confirmation.text, CONFIRM), 1, "text, once");
  assert.ok(confirmation.text.includes(`Confirm your subscription: ${CONFIRM}`));
});
await check("confirmation: text part", () => {
  const t = confirmation.text;
  assertCleanText(t.replace(EVIL_NAME, "NAME"));
  assert.ok(t.includes("This link expires in 7 days."));
  assert.ok(t.includes("If you did not ask for this, ignore this email — you will not be added."));
  assert.ok(confirmationNoName.text.includes("Hi there,"));
});
await check("confirmation: a hostile name comes out escaped", () => {
  assert.ok(!confirmation.html.includes(EVIL_NAME), "raw name not in HTML");
  assert.ok(confirmation.html.includes("Hi <!-- -->&lt;script&gt;alert(1)&lt;/script&gt;") ||
    confirmation.html.includes("Hi &lt;script&gt;alert(1)&lt;/script&gt;"), "escaped name in HTML");
  assert.ok(confirmation.text.includes(`Hi ${EVIL_NAME},`), "the text part is plain text: the name as typed");
});

// ---- welcome ------------------------------------------------------------------

const welcomeProps = {
  newsletterName: NEWSLETTER,
  siteUrl: SITE,
  archiveUrl: `${SITE}/archive`,
  latestIssue: { title: meta.title, url: issueProps.archiveUrl },
  unsubscribeUrl: UNSUB,
  name: EVIL_NAME,
};
const welcome = await renderWelcomeEmail(welcomeProps);
save("welcome", welcome);
const welcomeEmpty = await renderWelcomeEmail({ ...welcomeProps, latestIssue: null, name: null });
save("welcome-no-issue", welcomeEmpty);

await check("welcome: subject", () => {
  assert.equal(welcome.subject, `Welcome to ${NEWSLETTER}`);
});
await check("welcome: common HTML promises, headings in order", () => {
  for (const w of [welcome, welcomeEmpty]) {
    assertCommonHtml(w.html);
    assertHeadingsInOrder(w.html);
    assertCleanText(w.text.replace(EVIL_NAME, "NAME"));
  }
});
await check("welcome: what to expect, latest issue link, archive link", () => {
  assert.ok(welcome.html.includes("one article a week"));
  assert.ok(welcome.html.includes(`href="${issueProps.archiveUrl}"`), "latest issue link");
  assert.ok(welcome.html.includes(`href="${SITE}/archive"`), "archive link");
  assert.ok(welcome.text.includes(`Read the latest issue: ${issueProps.archiveUrl}`));
  assert.ok(welcome.text.includes(meta.title));
  assert.ok(welcomeEmpty.html.includes(`href="${SITE}/archive"`), "archive link without an issue");
  assert.ok(welcomeEmpty.text.includes(`Browse the archive: ${SITE}/archive`));
  assert.ok(welcomeEmpty.text.includes("Hi there,"));
});
await check("welcome: unsubscribe URL verbatim in HTML and text", () => {
  for (const w of [welcome, welcomeEmpty]) {
    assert.match(w.html, new RegExp(`<a href="${UNSUB.replace(/[?.]/g, "\\$&")}"[^>]*>Unsubscribe</a>`));
    assert.equal(count(w.text, UNSUB), 1);
    assert.ok(w.text.includes(`Unsubscribe: ${UNSUB}`));
  }
});
await check("welcome: a hostile name comes out escaped", () => {
  assert.ok(!welcome.html.includes(EVIL_NAME));
  assert.ok(welcome.html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
});

// ---- shared ------------------------------------------------------------------

await check("colours: every text/background pair has contrast >= 4.5:1", () => {
  for (const [fg, bg, what] of contrastPairs) {
    const c = contrast(fg, bg);
    assert.ok(c >= 4.5, `${what}: ${fg} on ${bg} is ${c.toFixed(2)}:1`);
  }
});
await check("sources: no dangerouslySetInnerHTML in our templates", () => {
  for (const f of ["IssueEmail.tsx", "ConfirmationEmail.tsx", "WelcomeEmail.tsx", "render.tsx", "components/Layout.tsx", "components/Footer.tsx", "components/Button.tsx", "components/ArticleMarkdown.tsx", "components/theme.tsx"]) {
    assert.ok(!readFileSync(`${root}emails/${f}`, "utf8").includes("dangerouslySetInnerHTML"), f);
  }
});

console.log(`\nissue HTML (real article): ${issueBytes} bytes; text: ${Buffer.byteLength(issue.text)} bytes`);
console.log(`rendered emails written to ${outDir}/`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
