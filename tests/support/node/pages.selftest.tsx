/** @jsxRuntime automatic */
/** @jsxImportSource react */
// Quick self-test of the reader-facing pages: `npx tsx tests/support/node/pages.selftest.tsx`
// Renders every page with sample data, checks key facts, writes /tmp/pages/*.html + styles.css.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderPage } from "../../../src/web/render";
import { stylesheet } from "../../../src/web/styles";
import {
  ArchivePage,
  ArticlePage,
  CheckInboxPage,
  ConfirmedPage,
  ConfirmPage,
  MessagePage,
  OutboxPage,
  SubscribePage,
  UnsubscribedPage,
  UnsubscribePage,
  formatDate,
  formatDateTime,
  type OutboxMail,
} from "../../../src/web/pages";

const OUT = process.env.PAGES_OUT ?? "/tmp/pages";
const XSS = `<script>alert("x")</script>`;
const site = { name: "The Weekly Clarity", tagline: "Evidence-based notes on skin, gut and sleep." };
const evilSite = { name: `Evil ${XSS}`, tagline: `Tag ${XSS}` };
const NONCE = "n0nc3-AbC123==";

let passed = 0;
let failed = 0;
const pages: Record<string, string> = {};

function test(name: string, fn: () => void) {
  try {
    fn();
    passed++;
  } catch (err) {
    failed++;
    console.error(`FAIL ${name}\n  ${(err as Error).message.split("\n").join("\n  ")}`);
  }
}

/** Opening tags only (escaped text contains &lt; not <, so it never matches). */
const tags = (html: string) => html.match(/<[a-zA-Z][^>]*>/g) ?? [];
const tagsNamed = (html: string, name: string) => tags(html).filter((t) => new RegExp(`^<${name}[\\s>/]`, "i").test(t));
const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag);
  return m ? m[1] : null;
};
const decode = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

function commonChecks(name: string, html: string, title: string, s = site) {
  test(`${name}: document shell`, () => {
    assert.ok(html.startsWith("<!doctype html><html lang=\"en\">"), "starts with doctype + html lang=en");
    assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1"\/>/);
    assert.match(html, /<meta charSet="utf-8"\/>/i);
    const t = /<title>([^<]*)<\/title>/.exec(html);
    assert.ok(t, "has a title");
    assert.equal(decode(t![1]), `${title} · ${s.name}`);
    assert.match(html, /<link rel="stylesheet" href="\/styles.css"\/>/);
    assert.match(html, /<a class="skip-link" href="#main">/);
    assert.match(html, /<main id="main"/);
    assert.match(html, /<a class="brand" href="\/"/);
    assert.match(html, /<a href="\/archive"[^>]*>Archive<\/a>/);
    assert.match(html, /<a href="\/feed.xml">RSS<\/a>/);
    assert.match(html, /<footer/);
    assert.equal((html.match(/<h1[\s>]/g) ?? []).length, 1, "exactly one h1");
  });
  test(`${name}: no inline styles or event handlers`, () => {
    for (const t of tags(html)) {
      assert.doesNotMatch(t, /\sstyle=/i, `style attribute in ${t}`);
      assert.doesNotMatch(t, /\son[a-z]+=/i, `event handler in ${t}`);
    }
    assert.doesNotMatch(html, /<style[\s>]/i, "no <style> element");
    for (const t of tags(html)) assert.doesNotMatch(t, /=\s*"\s*javascript:/i, `javascript: URL in ${t}`);
  });
  test(`${name}: every input has a label`, () => {
    for (const input of tagsNamed(html, "input")) {
      const type = attr(input, "type");
      if (type === "hidden" || type === "submit") continue;
      const id = attr(input, "id");
      assert.ok(id, `input without id: ${input}`);
      assert.ok(html.includes(`<label for="${id}"`), `no <label for="${id}">`);
      assert.equal(html.split(`id="${id}"`).length - 1, 1, `id ${id} is unique`);
    }
  });
  test(`${name}: ids are unique`, () => {
    const ids = tags(html).map((t) => attr(t, "id")).filter(Boolean);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids}`);
  });
}

function scripts(html: string) {
  return tagsNamed(html, "script");
}

function checkHoneypot(name: string, html: string) {
  test(`${name}: honeypot hidden from people and screen readers`, () => {
    const inputs = tagsNamed(html, "input").filter((t) => attr(t, "name") === "website");
    assert.equal(inputs.length, 1, "one website field");
    const input = inputs[0];
    assert.equal(attr(input, "tabindex") ?? attr(input, "tabIndex"), "-1");
    assert.equal(attr(input, "autocomplete") ?? attr(input, "autoComplete"), "off");
    const at = html.indexOf(input);
    const containerStart = html.lastIndexOf("<div", at);
    const container = html.slice(containerStart, html.indexOf(">", containerStart) + 1);
    assert.match(container, /class="visually-hidden"/);
    assert.match(container, /aria-hidden="true"/);
    const inside = html.slice(containerStart, html.indexOf("</div>", at));
    assert.match(inside, /Leave this field empty/);
    assert.doesNotMatch(inside, /required/);
  });
}

function checkSubscribeForm(name: string, html: string) {
  test(`${name}: subscribe form`, () => {
    const forms = tagsNamed(html, "form");
    const f = forms.find((t) => attr(t, "action") === "/subscribe");
    assert.ok(f, "form posting to /subscribe");
    assert.equal(attr(f!, "method"), "post");
    const email = tagsNamed(html, "input").find((t) => attr(t, "name") === "email");
    assert.ok(email, "email input");
    assert.equal(attr(email!, "type"), "email");
    assert.match(email!, /\srequired=""/);
    assert.equal(attr(email!, "autoComplete") ?? attr(email!, "autocomplete"), "email");
    assert.equal(attr(email!, "maxLength") ?? attr(email!, "maxlength"), "254");
    assert.match(html, /<button type="submit" class="button">Subscribe<\/button>/);
  });
  checkHoneypot(name, html);
}

function write(name: string, html: string) {
  pages[name] = html;
}

// ---------------------------------------------------------------------------

test("formatDate", () => {
  assert.equal(formatDate("2026-11-24"), "24 November 2026");
  assert.equal(formatDate("2026-01-05T10:00:00Z"), "5 January 2026");
  assert.equal(formatDate("soon"), "soon");
  assert.equal(formatDateTime("2026-11-24T14:03:09.000Z"), "24 November 2026, 14:03 UTC");
  assert.equal(formatDateTime("2026-11-24 14:03:09"), "24 November 2026, 14:03 UTC");
  assert.equal(formatDateTime("1795529000000"), formatDateTime(new Date(1795529000000).toISOString()));
  assert.equal(formatDateTime("garbage"), "garbage");
});

{
  const latest = { title: "Gut Health and Skin Clarity: The Hidden Connection", url: "/archive/gut-health", date: "2026-11-24" };
  const html = renderPage(<SubscribePage site={site} latest={latest} />);
  write("subscribe", html);
  commonChecks("subscribe", html, "Subscribe");
  checkSubscribeForm("subscribe", html);
  test("subscribe: hero, promise, latest, no script, no error", () => {
    assert.match(html, /<h1 id="page-title">The Weekly Clarity<\/h1>/);
    assert.ok(html.includes(site.tagline));
    assert.ok(html.includes("One article a week. Unsubscribe with one click."));
    assert.match(html, /<a class="latest__title" href="\/archive\/gut-health">Gut Health and Skin Clarity: The Hidden Connection<\/a>/);
    assert.match(html, /<time class="latest__date" dateTime="2026-11-24">24 November 2026<\/time>/);
    assert.equal(scripts(html).length, 0);
    assert.doesNotMatch(html, /role="alert"/);
    assert.doesNotMatch(html, /aria-invalid/);
    assert.doesNotMatch(html, /cf-turnstile/);
    const name = tagsNamed(html, "input").find((t) => attr(t, "name") === "name")!;
    assert.equal(attr(name, "maxLength"), "200");
    assert.doesNotMatch(name, /required/);
    assert.match(html, /<label for="subscribe-name">Name <span class="optional">\(optional\)<\/span><\/label>/);
    assert.match(html, /<label for="subscribe-email">Email address<\/label>/);
  });
}

{
  const html = renderPage(
    <SubscribePage
      site={evilSite}
      error={`That doesn't look like an email address: ${XSS}`}
      values={{ email: `x${XSS}@example.com`, name: `Mallory ${XSS}"'` }}
      turnstileSiteKey={`1x00000000000000000000AA`}
      nonce={NONCE}
      latest={null}
    />,
  );
  write("subscribe-error", html);
  commonChecks("subscribe-error", html, "Subscribe", evilSite);
  checkSubscribeForm("subscribe-error", html);
  test("subscribe-error: escaping", () => {
    assert.doesNotMatch(html, /<script>alert/);
    assert.ok(html.includes("&lt;script&gt;alert"), "escaped script text");
    const name = tagsNamed(html, "input").find((t) => attr(t, "name") === "name")!;
    assert.equal(decode(attr(name, "value")!), `Mallory ${XSS}"'`);
  });
  test("subscribe-error: alert tied to email input", () => {
    const alert = tags(html).find((t) => /role="alert"/.test(t));
    assert.ok(alert, "role=alert box");
    const id = attr(alert!, "id");
    assert.ok(id);
    const email = tagsNamed(html, "input").find((t) => attr(t, "name") === "email")!;
    assert.equal(attr(email, "aria-describedby"), id);
    assert.equal(attr(email, "aria-invalid"), "true");
    assert.ok(html.indexOf(alert!) < html.indexOf(email), "error comes before the input");
  });
  test("subscribe-error: turnstile widget and script", () => {
    assert.match(html, /<div class="cf-turnstile" data-sitekey="1x00000000000000000000AA"><\/div>/);
    const s = scripts(html);
    assert.equal(s.length, 1);
    assert.equal(attr(s[0], "src"), "https://challenges.cloudflare.com/turnstile/v0/api.js");
    assert.match(s[0], /\sasync=""/);
    assert.match(s[0], /\sdefer=""/);
    assert.equal(attr(s[0], "nonce"), NONCE);
  });
}

{
  const html = renderPage(<CheckInboxPage site={site} />);
  write("check-inbox", html);
  commonChecks("check-inbox", html, "Check your inbox");
  test("check-inbox: content, no leak", () => {
    assert.match(html, /<h1>Check your inbox<\/h1>/);
    assert.match(html, /7 days/);
    assert.match(html, /spam/);
    assert.doesNotMatch(html, /already|confirmed/i);
    assert.equal(scripts(html).length, 0);
  });
}

{
  const token = "abc.DEF+/=?&<x>";
  const html = renderPage(<ConfirmPage site={site} token={token} nonce={NONCE} />);
  write("confirm", html);
  commonChecks("confirm", html, "Confirm your subscription");
  test("confirm: form posts to the same URL with encoded token", () => {
    const form = tagsNamed(html, "form").find((t) => attr(t, "id") === "confirm-form");
    assert.ok(form, "form#confirm-form");
    assert.equal(attr(form!, "method"), "post");
    assert.equal(decode(attr(form!, "action")!), "/confirm?token=" + encodeURIComponent(token));
    assert.match(html, /<button type="submit" class="button">Confirm my subscription<\/button>/);
    assert.match(html, /confirms automatically/);
  });
  test("confirm: exactly one script, nonce'd, auto-submits", () => {
    const s = scripts(html);
    assert.equal(s.length, 1);
    assert.equal(attr(s[0], "nonce"), NONCE);
    assert.equal(attr(s[0], "src"), null);
    assert.ok(html.includes(`<script nonce="${NONCE}">document.getElementById('confirm-form').submit();</script>`));
    assert.match(html, /<meta name="robots" content="noindex, nofollow"\/>/);
    assert.match(html, /<meta name="referrer" content="no-referrer"\/>/);
  });
}

{
  const html = renderPage(<ConfirmedPage site={site} archiveUrl="/archive" />);
  write("confirmed", html);
  commonChecks("confirmed", html, "You're subscribed");
  test("confirmed: content", () => {
    assert.match(html, /<h1>You&#x27;re subscribed<\/h1>/);
    assert.match(html, /href="\/archive"[^>]*>Read the archive<\/a>/);
    assert.equal(scripts(html).length, 0);
  });
}

{
  const token = "tok+en/1=";
  const html = renderPage(<UnsubscribePage site={site} token={token} />);
  write("unsubscribe", html);
  commonChecks("unsubscribe", html, "Unsubscribe");
  test("unsubscribe: one button posting, no script", () => {
    const forms = tagsNamed(html, "form");
    assert.equal(forms.length, 1);
    assert.equal(attr(forms[0], "method"), "post");
    assert.equal(decode(attr(forms[0], "action")!), "/unsubscribe?token=tok%2Ben%2F1%3D");
    assert.equal(tagsNamed(html, "button").length, 1);
    assert.match(html, /<button type="submit" class="button">Unsubscribe<\/button>/);
    assert.equal(scripts(html).length, 0);
  });
}

{
  const html = renderPage(<UnsubscribedPage site={site} />);
  write("unsubscribed", html);
  commonChecks("unsubscribed", html, "You're unsubscribed");
  test("unsubscribed: content", () => {
    assert.match(html, /You will get no more emails/);
    assert.match(html, /<a href="\/">subscribe again<\/a>/);
  });
}

for (const [status, title, message] of [
  [400, "This link doesn't work", "The link is invalid or has expired. Subscribe again to get a fresh one."],
  [404, "Page not found", "There is nothing at this address."],
  [429, "Too many requests", "Please wait a minute and try again."],
  [500, "Something went wrong", `Our fault, not yours. ${XSS}`],
] as const) {
  const html = renderPage(<MessagePage site={site} status={status} title={title} message={message} />);
  write(`message-${status}`, html);
  commonChecks(`message-${status}`, html, title);
  test(`message-${status}: content`, () => {
    assert.match(html, new RegExp(`Error ${status}`));
    assert.ok(html.includes(`<h1>${title.replace("'", "&#x27;")}</h1>`));
    assert.match(html, /<a href="\/">Go to the home page<\/a>/);
    assert.doesNotMatch(html, /<script>alert/);
  });
}

const ISSUES = [
  { slug: "gut-health", title: "Gut Health and Skin Clarity: The Hidden Connection", date: "2026-11-24", summary: "What the microbiome research says, and what it doesn't, about your skin." },
  { slug: "sleep-debt", title: "Sleep Debt Is Real, and You Can Repay It", date: "2026-11-17", summary: "Weekend lie-ins help more than you'd think, within limits." },
  { slug: "x", title: `Title with ${XSS}`, date: "2026-01-03", summary: `Summary ${XSS}` },
];

{
  const html = renderPage(<ArchivePage site={site} issues={ISSUES} />);
  write("archive", html);
  commonChecks("archive", html, "Archive");
  test("archive: list in given order with dates and links", () => {
    assert.match(html, /<time class="issue__date" dateTime="2026-11-24">24 November 2026<\/time>/);
    assert.match(html, /<time class="issue__date" dateTime="2026-01-03">3 January 2026<\/time>/);
    assert.ok(html.indexOf("/archive/gut-health") < html.indexOf("/archive/sleep-debt"));
    assert.match(html, /<a href="\/archive\/sleep-debt">Sleep Debt Is Real, and You Can Repay It<\/a>/);
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /aria-current="page"[^>]*>Archive<\/a>|<a href="\/archive" aria-current="page">Archive<\/a>/);
  });
}

{
  const html = renderPage(<ArchivePage site={site} issues={[]} />);
  write("archive-empty", html);
  commonChecks("archive-empty", html, "Archive");
  test("archive-empty: empty state", () => {
    assert.match(html, /No issues yet/);
    assert.doesNotMatch(html, /class="issues"/);
  });
}

const ARTICLE_HTML = `<p>Most of what you read about the <a href="https://example.com/gut">gut–skin axis</a> is extrapolated from mouse studies. That doesn't make it wrong, but it should make you <em>careful</em>.</p>
<h2>What we actually know</h2>
<p>Three things are reasonably well supported in humans:</p>
<ul><li>People with acne have a less diverse gut microbiome on average.</li><li>Diets high in refined sugar and dairy correlate with worse acne in several cohorts.</li><li>Oral probiotics showed modest improvements in two small trials.</li></ul>
<blockquote><p>Correlation in cohorts is a starting point, not a conclusion.</p></blockquote>
<h2>What to do this week</h2>
<p>Add one fermented food a day, keep a simple log, and give it four weeks before you judge. Use <code>1 serving</code> as your unit.</p>
<pre><code>week 1: kefir
week 2: kimchi</code></pre>
<hr>
<p>That's all for this week.</p>`;

{
  const html = renderPage(
    <ArticlePage site={site} title={ISSUES[0].title} date={ISSUES[0].date} summary={ISSUES[0].summary} html={ARTICLE_HTML} />,
  );
  write("article", html);
  commonChecks("article", html, ISSUES[0].title);
  checkSubscribeForm("article", html);
  test("article: structure", () => {
    assert.match(html, /<article class="article">/);
    assert.match(html, /<h1>Gut Health and Skin Clarity: The Hidden Connection<\/h1>/);
    assert.match(html, /<time class="eyebrow" dateTime="2026-11-24">24 November 2026<\/time>/);
    assert.ok(html.includes(ARTICLE_HTML), "article html inserted as is");
    assert.ok(html.indexOf("</article>") < html.indexOf('action="/subscribe"'), "subscribe box after the article");
    assert.equal(scripts(html).length, 0);
    assert.ok(html.includes(`<meta name="description" content="${ISSUES[0].summary.replace("'", "&#x27;")}"/>`));
  });
}

{
  const mails: OutboxMail[] = [
    {
      id: "m2",
      to: "reader+news@example.com",
      from: "The Weekly Clarity <hello@example.com>",
      subject: "Confirm your subscription to The Weekly Clarity",
      createdAt: "2026-11-24T14:03:09.000Z",
      html: `<!doctype html><html><body><p>Confirm: <a href="http://localhost:8787/confirm?token=abc.def">link</a></p></body></html>`,
      text: `Hi ${XSS},\n\nConfirm your subscription: http://localhost:8787/confirm?token=abc.def&x=1.\n(Or see <http://localhost:8787/archive>.) Ignore javascript:alert(1) and ftp://nope.example.\n`,
      headers: {
        "List-Unsubscribe": "<http://localhost:8787/unsubscribe?token=u1>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "X-Evil": XSS,
      },
    },
    {
      id: "m1",
      to: "a@example.com",
      from: "The Weekly Clarity <hello@example.com>",
      subject: "Earlier mail",
      createdAt: "2026-11-24 13:00:00",
      html: "<p>x</p>",
      text: "No links here.",
      headers: {},
    },
  ];
  const html = renderPage(<OutboxPage site={site} mails={mails} />);
  write("outbox", html);
  commonChecks("outbox", html, "Outbox");
  test("outbox: note, order, links as elements, escaping", () => {
    assert.ok(html.includes("Local outbox: mail is captured here and never sent. Set EMAIL_TRANSPORT=resend to send for real."));
    assert.ok(html.indexOf("Confirm your subscription to") < html.indexOf("Earlier mail"), "given order kept");
    assert.match(html, /<a href="http:\/\/localhost:8787\/confirm\?token=abc.def&amp;x=1">http:\/\/localhost:8787\/confirm\?token=abc.def&amp;x=1<\/a>\./);
    assert.match(html, /&lt;<a href="http:\/\/localhost:8787\/archive">http:\/\/localhost:8787\/archive<\/a>&gt;/);
    assert.match(html, /&lt;<a href="http:\/\/localhost:8787\/unsubscribe\?token=u1">/);
    assert.doesNotMatch(html, /href="javascript|href="ftp/);
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /<details class="mail__part"><summary>Headers \(3\)<\/summary>/);
    assert.match(html, /<pre class="mail__text">Hi &lt;script&gt;/);
    assert.match(html, /24 November 2026, 14:03 UTC/);
    assert.match(html, /24 November 2026, 13:00 UTC/);
    assert.match(html, /reader\+news@example.com/);
    assert.equal(scripts(html).length, 0);
    // the HTML part is shown as escaped source, never as markup
    assert.ok(html.includes("&lt;!doctype html&gt;&lt;html&gt;"));
  });
  const empty = renderPage(<OutboxPage site={site} mails={[]} />);
  write("outbox-empty", empty);
  commonChecks("outbox-empty", empty, "Outbox");
  test("outbox-empty: empty state", () => assert.match(empty, /Nothing captured yet/));
}

test("stylesheet", () => {
  assert.ok(stylesheet.length > 1000);
  assert.match(stylesheet, /prefers-color-scheme:\s*dark/);
  assert.match(stylesheet, /:focus-visible/);
  assert.match(stylesheet, /\.visually-hidden\s*\{/);
  assert.match(stylesheet, /\.skip-link/);
  assert.doesNotMatch(stylesheet, /@import|url\(/, "no external resources");
  // every class used by the pages exists in the stylesheet (catches typos)
  const used = new Set<string>();
  for (const html of Object.values(pages))
    for (const t of tags(html)) for (const c of (attr(t, "class") ?? "").split(/\s+/).filter(Boolean)) used.add(c);
  const allowed = new Set(["cf-turnstile", "article", "subscribe-form", "subscribe-form--compact"]);
  const missing = [...used].filter((c) => !allowed.has(c) && !new RegExp(`\\.${c.replace(/[-_]/g, "\\$&")}(?![\\w-])`).test(stylesheet));
  assert.deepEqual(missing, [], "classes without CSS");
  // braces balance
  assert.equal((stylesheet.match(/\{/g) ?? []).length, (stylesheet.match(/\}/g) ?? []).length);
});

mkdirSync(OUT, { recursive: true });
for (const [name, html] of Object.entries(pages)) writeFileSync(join(OUT, `${name}.html`), html);
writeFileSync(join(OUT, "styles.css"), stylesheet);

console.log(`${passed} passed, ${failed} failed`);
if (failed) process.exitCode = 1;
