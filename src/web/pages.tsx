/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type React from "react";
import { Layout, type Site } from "./layout";

export type { Site } from "./layout";

const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

/** "2026-11-24" (or an ISO timestamp) → "24 November 2026". Anything else is returned unchanged. */
export function formatDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date.trim());
  if (!m) return date;
  const month = MONTHS[Number(m[2]) - 1];
  if (!month) return date;
  return `${Number(m[3])} ${month} ${m[1]}`;
}

function parseTimestamp(value: string): Date | null {
  const v = value.trim();
  let d: Date;
  if (/^\d{10,13}$/.test(v)) {
    d = new Date(v.length === 10 ? Number(v) * 1000 : Number(v));
  } else if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v)) {
    d = new Date(v.replace(" ", "T") + "Z"); // SQLite datetime(): UTC without a zone
  } else {
    d = new Date(v);
  }
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A timestamp → "24 November 2026, 14:03 UTC". Unparseable input is returned unchanged. */
export function formatDateTime(value: string): string {
  const d = parseTimestamp(value);
  if (!d) return value;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

function DateTag({ date, className }: { date: string; className?: string }) {
  const iso = /^\d{4}-\d{2}-\d{2}/.exec(date.trim())?.[0];
  return (
    <time className={className} dateTime={iso ?? undefined}>
      {formatDate(date)}
    </time>
  );
}

const PROMISE = "One article a week. Leave any time with one press of a button.";
const TURNSTILE_SRC = "https://challenges.cloudflare.com/turnstile/v0/api.js";

/* ------------------------------------------------------------------ */
/* The subscribe form, shared by the home page and the end of articles */

type SubscribeFormProps = {
  idPrefix: string;
  compact?: boolean;
  error?: string | null;
  values?: { email?: string; name?: string };
  turnstileSiteKey?: string | null;
  nonce?: string | null;
  /** Sign-up forms on other sites (/embed): where a plain post comes back to (an allowed URL). */
  returnTo?: string | null;
  /** Marks the form for /embed.js (`data-newsletter`) and gives it a live status line holding `status`. */
  enhance?: { status: string | null; tone: "info" | "error" } | null;
};

export function SubscribeForm({ idPrefix, compact, error, values, turnstileSiteKey, nonce, returnTo, enhance }: SubscribeFormProps) {
  const id = (s: string) => `${idPrefix}-${s}`;
  const errorId = id("email-error");
  const emailInput = (
    <input
      id={id("email")}
      name="email"
      type="email"
      required
      autoComplete="email"
      inputMode="email"
      spellCheck={false}
      autoCapitalize="none"
      maxLength={254}
      placeholder="you@example.com"
      defaultValue={values?.email ?? ""}
      aria-invalid={error ? true : undefined}
      aria-describedby={error ? errorId : undefined}
    />
  );
  return (
    <form
      className={compact ? "subscribe-form subscribe-form--compact" : "subscribe-form"}
      method="post"
      action="/subscribe"
      data-newsletter={enhance ? "" : undefined}
    >
      {error ? (
        <div className="alert" role="alert" id={errorId}>
          {error}
        </div>
      ) : null}
      {compact ? (
        <div className="field">
          <label htmlFor={id("email")}>Email address</label>
          <div className="inline-row">
            {emailInput}
            <button type="submit" className="button">
              Subscribe
            </button>
          </div>
        </div>
      ) : (
        <>
          <div className="field">
            <label htmlFor={id("email")}>Email address</label>
            {emailInput}
          </div>
          <div className="field">
            <label htmlFor={id("name")}>
              Name <span className="optional">(optional)</span>
            </label>
            <input
              id={id("name")}
              name="name"
              type="text"
              autoComplete="name"
              maxLength={200}
              defaultValue={values?.name ?? ""}
            />
          </div>
        </>
      )}
      <div className="visually-hidden" aria-hidden="true">
        <label htmlFor={id("website")}>Leave this field empty</label>
        <input id={id("website")} name="website" type="text" tabIndex={-1} autoComplete="off" defaultValue="" />
      </div>
      {returnTo ? <input type="hidden" name="return_to" value={returnTo} /> : null}
      {turnstileSiteKey ? (
        <>
          <div className="cf-turnstile" data-sitekey={turnstileSiteKey} />
          <script src={TURNSTILE_SRC} async defer nonce={nonce ?? undefined} />
        </>
      ) : null}
      {compact ? null : (
        <div className="actions">
          <button type="submit" className="button">
            Subscribe
          </button>
        </div>
      )}
      {enhance ? (
        <p
          className={enhance.tone === "error" ? "form-status form-status--error" : "form-status"}
          role="status"
          aria-live="polite"
          data-newsletter-status=""
        >
          {enhance.status ?? ""}
        </p>
      ) : null}
      <p className="fine-print">We'll email you a link to confirm first. Nothing arrives until you do.</p>
    </form>
  );
}

/* ------------------------------------------------------------------ */

export type SubscribePageProps = {
  site: Site;
  error?: string | null;
  values?: { email?: string; name?: string };
  turnstileSiteKey?: string | null;
  /** CSP nonce for the Turnstile script tag (only used when turnstileSiteKey is set). */
  nonce?: string | null;
  latest?: { title: string; url: string; date: string } | null;
};

export function SubscribePage({ site, error, values, turnstileSiteKey, nonce, latest }: SubscribePageProps) {
  return (
    <Layout site={site} title="Subscribe" current="home">
      <section className="hero" aria-labelledby="page-title">
        <h1 id="page-title">{site.name}</h1>
        {site.tagline ? <p className="tagline">{site.tagline}</p> : null}
        <p className="promise">{PROMISE}</p>
        {latest ? (
          <p className="latest">
            <span className="eyebrow">Latest issue</span>
            <a className="latest__title" href={latest.url}>
              {latest.title}
            </a>
            <DateTag date={latest.date} className="latest__date" />
          </p>
        ) : null}
      </section>
      <div className="card">
        <SubscribeForm
          idPrefix="subscribe"
          error={error}
          values={values}
          turnstileSiteKey={turnstileSiteKey}
          nonce={nonce}
        />
      </div>
    </Layout>
  );
}

export function CheckInboxPage({ site }: { site: Site }) {
  return (
    <Layout site={site} title="Check your inbox">
      <div className="notice">
        <h1>Check your inbox</h1>
        <p className="lede">
          If that address needs confirming, we've just sent it a link. Open the email and follow the link to finish
          subscribing.
        </p>
        <ul className="checklist">
          <li>The link expires in 7 days.</li>
          <li>Nothing after a few minutes? Look in your spam or promotions folder.</li>
          <li>Typo in the address? Just subscribe again with the right one.</li>
        </ul>
        <p>
          <a href="/archive">Read past issues while you wait</a>
        </p>
      </div>
    </Layout>
  );
}

/**
 * One button, no script: loading the link must confirm nothing, because mail-security scanners open
 * links in browsers that run scripts. Only a person pressing the button POSTs.
 */
export function ConfirmPage({ site, token }: { site: Site; token: string }) {
  return (
    <Layout site={site} title="Confirm your subscription" noindex>
      <div className="notice">
        <h1>Confirm your subscription</h1>
        <p className="lede">One more step: press the button to start getting {site.name}.</p>
        <form id="confirm-form" method="post" action={"/confirm?token=" + encodeURIComponent(token)}>
          <button type="submit" className="button">
            Confirm my subscription
          </button>
        </form>
        <p className="muted">Did not ask for this? Just close this page: nothing happens without the button.</p>
      </div>
    </Layout>
  );
}

export function ConfirmedPage({ site, archiveUrl }: { site: Site; archiveUrl: string }) {
  return (
    <Layout site={site} title="You're subscribed" noindex>
      <div className="notice">
        <h1>You're subscribed</h1>
        <p className="lede">Thanks for confirming. Welcome to {site.name}.</p>
        <p>
          One article arrives in your inbox each week. Every email has a one-click unsubscribe link at the bottom, so
          leaving is always easy.
        </p>
        <p>
          <a className="button button--secondary" href={archiveUrl}>
            Read the archive
          </a>
        </p>
      </div>
    </Layout>
  );
}

export function UnsubscribePage({ site, token }: { site: Site; token: string }) {
  return (
    <Layout site={site} title="Unsubscribe" noindex>
      <div className="notice">
        <h1>Unsubscribe</h1>
        <p className="lede">Press the button to stop getting {site.name}. It takes effect at once.</p>
        <form method="post" action={"/unsubscribe?token=" + encodeURIComponent(token)}>
          <button type="submit" className="button">
            Unsubscribe
          </button>
        </form>
        <p className="muted">Changed your mind? Just close this page.</p>
      </div>
    </Layout>
  );
}

export function UnsubscribedPage({ site }: { site: Site }) {
  return (
    <Layout site={site} title="You're unsubscribed" noindex>
      <div className="notice">
        <h1>You're unsubscribed</h1>
        <p className="lede">You will get no more emails from {site.name}.</p>
        <p>
          Sorry to see you go. If that was a mistake, <a href="/">subscribe again</a>.
        </p>
      </div>
    </Layout>
  );
}

export type MessagePageProps = { site: Site; status: number; title: string; message: string };

export function MessagePage({ site, status, title, message }: MessagePageProps) {
  return (
    <Layout site={site} title={title} noindex={status >= 400}>
      <div className="notice">
        {status >= 400 ? <p className="eyebrow">Error {status}</p> : null}
        <h1>{title}</h1>
        <p className="lede">{message}</p>
        <p>
          <a href="/">Go to the home page</a>
        </p>
      </div>
    </Layout>
  );
}

export type ArchiveIssue = { slug: string; title: string; date: string; summary: string };

export function ArchivePage({ site, issues }: { site: Site; issues: ArchiveIssue[] }) {
  return (
    <Layout site={site} title="Archive" current="archive" description={`Every issue of ${site.name}.`}>
      <header className="page-header">
        <h1>Archive</h1>
        <p className="lede">Every issue of {site.name} so far, newest first.</p>
      </header>
      {issues.length === 0 ? (
        <p className="empty">
          No issues yet. The first one is on its way: <a href="/">subscribe</a> to get it.
        </p>
      ) : (
        <ol className="issues">
          {issues.map((issue) => (
            <li key={issue.slug} className="issue">
              <DateTag date={issue.date} className="issue__date" />
              <h2 className="issue__title">
                <a href={"/archive/" + encodeURIComponent(issue.slug)}>{issue.title}</a>
              </h2>
              {issue.summary ? <p className="issue__summary">{issue.summary}</p> : null}
            </li>
          ))}
        </ol>
      )}
    </Layout>
  );
}

export type ArticlePageProps = {
  site: Site;
  title: string;
  date: string;
  summary: string;
  /** Trusted HTML rendered from the editor's Markdown. */
  html: string;
  /** Optional: when Turnstile is on, the subscribe box needs it too. */
  turnstileSiteKey?: string | null;
  nonce?: string | null;
};

export function ArticlePage({ site, title, date, summary, html, turnstileSiteKey, nonce }: ArticlePageProps) {
  return (
    <Layout site={site} title={title} description={summary || site.tagline}>
      <article className="article">
        <header className="article__header">
          <DateTag date={date} className="eyebrow" />
          <h1>{title}</h1>
          {summary ? <p className="article__summary">{summary}</p> : null}
        </header>
        <div className="prose" dangerouslySetInnerHTML={{ __html: html }} />
      </article>
      <aside className="card subscribe-box" aria-labelledby="subscribe-box-title">
        <h2 id="subscribe-box-title">Get the next one by email</h2>
        <p>
          {site.name}. {PROMISE}
        </p>
        <SubscribeForm idPrefix="article-subscribe" compact turnstileSiteKey={turnstileSiteKey} nonce={nonce} />
      </aside>
      <p className="back-link">
        <a href="/archive">← All issues</a>
      </p>
    </Layout>
  );
}

/* ------------------------------------------------------------------ */
/* Dev outbox */

export type OutboxMail = {
  id: string;
  to: string;
  from: string;
  subject: string;
  createdAt: string;
  html: string;
  text: string;
  headers: Record<string, string>;
};

const URL_RE = /https?:\/\/[^\s<>"'()[\]{}]+/g;
const TRAILING_PUNCT = /[.,;:!?]+$/;

/** Turns every http(s) URL in `text` into a link; everything else stays text (React escapes it). */
export function linkify(text: string): React.ReactNode[] {
  const out: React.ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index ?? 0;
    const url = m[0].replace(TRAILING_PUNCT, "");
    if (url.length <= "https://".length) continue;
    if (start > last) out.push(text.slice(last, start));
    out.push(
      <a key={key++} href={url}>
        {url}
      </a>,
    );
    last = start + url.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function kb(s: string): string {
  const bytes = new TextEncoder().encode(s).length;
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

export function OutboxPage({ site, mails }: { site: Site; mails: OutboxMail[] }) {
  return (
    <Layout site={site} title="Outbox" noindex wide>
      <header className="page-header">
        <h1>Outbox</h1>
        <p className="dev-note" role="note">
          Local outbox: mail is captured here and never sent. Set EMAIL_TRANSPORT=resend to send for real.
        </p>
      </header>
      {mails.length === 0 ? (
        <p className="empty">
          Nothing captured yet. <a href="/">Subscribe</a> and the confirmation email will show up here.
        </p>
      ) : (
        <ol className="mails">
          {mails.map((mail) => {
            const headers = Object.entries(mail.headers ?? {});
            const ts = parseTimestamp(mail.createdAt);
            return (
              <li key={mail.id} className="mail">
                <article aria-labelledby={`mail-${mail.id}`}>
                  <h2 id={`mail-${mail.id}`} className="mail__subject">
                    {mail.subject || "(no subject)"}
                  </h2>
                  <dl className="mail__meta">
                    <dt>To</dt>
                    <dd>{mail.to}</dd>
                    <dt>From</dt>
                    <dd>{mail.from}</dd>
                    <dt>Time</dt>
                    <dd>
                      <time dateTime={ts ? ts.toISOString() : undefined}>{formatDateTime(mail.createdAt)}</time>
                    </dd>
                  </dl>
                  <details className="mail__part">
                    <summary>Headers ({headers.length})</summary>
                    <dl className="mail__headers">
                      {headers.map(([k, v]) => (
                        <div key={k}>
                          <dt>{k}</dt>
                          <dd>{linkify(String(v))}</dd>
                        </div>
                      ))}
                    </dl>
                  </details>
                  <h3 className="mail__part-title">Plain text</h3>
                  <pre className="mail__text">{linkify(mail.text ?? "")}</pre>
                  <details className="mail__part">
                    <summary>HTML source ({kb(mail.html ?? "")})</summary>
                    <pre className="mail__text">{mail.html}</pre>
                  </details>
                </article>
              </li>
            );
          })}
        </ol>
      )}
    </Layout>
  );
}
