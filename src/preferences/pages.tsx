/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The reader's own page and its steps, server-rendered like src/web/pages.tsx: every action is a plain
// form POSTing to the same URL (no script), and every value is escaped by React.
import type React from "react";
import type { ReaderLinkAction } from "../db/schema";
import { Layout, type Site } from "../web/layout";
import { formatDate, formatDateTime, OneButtonPage } from "../web/pages";
import { PAUSE_WEEKS, type PreferencesView } from "./reader";

const STATUS_TEXT: Record<PreferencesView["status"], string> = {
  confirmed: "Subscribed",
  pending: "Waiting for you to confirm",
  unsubscribed: "Unsubscribed",
  bounced: "Stopped: mail to this address bounced",
  complained: "Stopped: an email was marked as spam",
};

function When({ iso, withTime }: { iso: string; withTime?: boolean }) {
  return <time dateTime={iso}>{withTime ? formatDateTime(iso) : formatDate(iso)}</time>;
}

/** A form that POSTs one action (and its fields) to this page. */
function ActionForm({ url, action, children, className }: { url: string; action: string; children: React.ReactNode; className?: string }) {
  return (
    <form method="post" action={url} className={className}>
      <input type="hidden" name="action" value={action} />
      {children}
    </form>
  );
}

export type PreferencesPageProps = {
  site: Site;
  token: string;
  view: PreferencesView;
  /** What just happened (a completed action). */
  notice?: string | null;
  /** What went wrong with the last post, and on which field. */
  error?: { message: string; field?: "email" | "weeks" } | null;
  values?: { email?: string };
};

export function PreferencesPage({ site, token, view, notice, error, values }: PreferencesPageProps) {
  const url = "/preferences?token=" + encodeURIComponent(token);
  const has = (a: PreferencesView["actions"][number]) => view.actions.includes(a);
  const emailError = error?.field === "email";
  return (
    <Layout site={site} title="Your subscription" noindex>
      <header className="page-header">
        <h1>Your subscription</h1>
        <p className="lede">Take a break, move to another address, see what we hold about you, or leave.</p>
      </header>
      {notice ? (
        <div className="done" role="status">
          {notice}
        </div>
      ) : null}
      {error && !error.field ? (
        <div className="alert" role="alert">
          {error.message}
        </div>
      ) : null}

      <dl className="facts">
        <dt>Address</dt>
        <dd>{view.email}</dd>
        {view.name ? (
          <>
            <dt>Name</dt>
            <dd>{view.name}</dd>
          </>
        ) : null}
        <dt>Status</dt>
        <dd>
          {STATUS_TEXT[view.status]}
          {view.pausedUntil ? (
            <>
              , paused until <When iso={view.pausedUntil} withTime />
            </>
          ) : null}
        </dd>
        {view.status === "confirmed" && view.subscribedSince ? (
          <>
            <dt>Subscribed since</dt>
            <dd>
              <When iso={view.subscribedSince} />
            </dd>
          </>
        ) : null}
        {view.status !== "confirmed" && view.leftAt ? (
          <>
            <dt>Left on</dt>
            <dd>
              <When iso={view.leftAt} />
            </dd>
          </>
        ) : null}
      </dl>

      {has("pause") ? (
        <section className="prefs-section" aria-labelledby="pause-title">
          <h2 id="pause-title">Take a break</h2>
          {view.pausedUntil ? (
            <p>
              The weekly email is paused until <strong><When iso={view.pausedUntil} withTime /></strong> and starts again by
              itself after that.
            </p>
          ) : (
            <p>Going away, or too much to read? Pause the weekly email; it starts again by itself.</p>
          )}
          <ActionForm url={url} action="pause">
            <fieldset className="choices" aria-describedby={error?.field === "weeks" ? "weeks-error" : undefined}>
              <legend>{view.pausedUntil ? "Pause instead, from today, for" : "Pause for"}</legend>
              {error?.field === "weeks" ? (
                <p className="field-error" id="weeks-error" role="alert">
                  {error.message}
                </p>
              ) : null}
              {PAUSE_WEEKS.map((weeks) => (
                <label key={weeks} className="choice">
                  <input type="radio" name="weeks" value={String(weeks)} defaultChecked={weeks === PAUSE_WEEKS[0]} /> {weeks} weeks
                </label>
              ))}
            </fieldset>
            <button type="submit" className="button">
              Pause
            </button>
          </ActionForm>
          {has("resume") ? (
            <ActionForm url={url} action="resume" className="secondary-form">
              <button type="submit" className="button button--secondary">
                Resume now
              </button>
            </ActionForm>
          ) : null}
        </section>
      ) : null}

      {has("change_email") ? (
        <section className="prefs-section" aria-labelledby="email-title">
          <h2 id="email-title">Change your address</h2>
          {view.pendingEmail ? (
            <p>
              We sent a link to <strong>{view.pendingEmail}</strong>. Your subscription moves there once you open it; until
              then, issues keep coming to {view.email}.
            </p>
          ) : (
            <p>
              We email a link to this address first, then one to the new address; your subscription moves once both are opened.
              Until then, issues keep coming here.
            </p>
          )}
          <ActionForm url={url} action="change_email">
            <div className="field">
              <label htmlFor="new-email">New email address</label>
              {emailError ? (
                <p className="field-error" id="new-email-error" role="alert">
                  {error!.message}
                </p>
              ) : null}
              <div className="inline-row">
                <input
                  id="new-email"
                  name="email"
                  type="email"
                  required
                  autoComplete="email"
                  inputMode="email"
                  spellCheck={false}
                  autoCapitalize="none"
                  maxLength={254}
                  defaultValue={values?.email ?? ""}
                  aria-invalid={emailError ? true : undefined}
                  aria-describedby={emailError ? "new-email-error" : undefined}
                />
                <button type="submit" className="button">
                  Email me the link
                </button>
              </div>
            </div>
          </ActionForm>
        </section>
      ) : null}

      <section className="prefs-section" aria-labelledby="data-title">
        <h2 id="data-title">Your data</h2>
        <p>
          Download everything we hold about you: your address, name and dates, and which issues we sent you and what
          happened to each. Or erase it all. Either way we first email a link to {view.email}, which works once, for an hour.
        </p>
        <div className="button-row">
          <ActionForm url={url} action="export">
            <button type="submit" className="button button--secondary">
              Email me a download link
            </button>
          </ActionForm>
          <ActionForm url={url} action="erase">
            <button type="submit" className="button button--secondary">
              Email me a link to erase my data
            </button>
          </ActionForm>
        </div>
      </section>

      {has("unsubscribe") ? (
        <section className="prefs-section" aria-labelledby="leave-title">
          <h2 id="leave-title">Leave</h2>
          <p>Stop getting {site.name}. For 30 days you can come back from this page.</p>
          <ActionForm url={url} action="unsubscribe">
            <button type="submit" className="button button--secondary">
              Unsubscribe
            </button>
          </ActionForm>
        </section>
      ) : null}

      {has("resubscribe") && view.resubscribeUntil ? (
        <section className="prefs-section" aria-labelledby="back-title">
          <h2 id="back-title">Come back</h2>
          <p>
            Until <When iso={view.resubscribeUntil} /> you can resubscribe from here: we email a link to {view.email}, and one press
            there brings you back.
          </p>
          <ActionForm url={url} action="resubscribe">
            <button type="submit" className="button">
              Email me a link to resubscribe
            </button>
          </ActionForm>
        </section>
      ) : view.status === "unsubscribed" ? (
        <section className="prefs-section" aria-labelledby="back-title">
          <h2 id="back-title">Come back</h2>
          <p>
            It has been more than 30 days since you left. <a href="/">Subscribe again</a> and confirm through the email we send.
          </p>
        </section>
      ) : null}
    </Layout>
  );
}

export function ErasedPage({ site }: { site: Site }) {
  return (
    <Layout site={site} title="Your data is erased" noindex>
      <div className="notice">
        <h1>Your data is erased</h1>
        <p className="lede">Your address, your name and the record of what we sent you are gone. You will get no more emails from {site.name}.</p>
        <p>
          Changed your mind? You can <a href="/">subscribe again</a> at any time.
        </p>
      </div>
    </Layout>
  );
}

/** The new address's link: one button, no script (a link scanner must not move anyone). */
export function EmailChangeConfirmPage({ site, token }: { site: Site; token: string }) {
  return OneButtonPage({
    site,
    title: "Confirm your new address",
    lede: <>Press the button and {site.name} comes to this address from now on.</>,
    action: "/preferences/confirm-email?token=" + encodeURIComponent(token),
    button: "Move my subscription here",
    note: "Did not ask for this? Just close this page: nothing changes without the button.",
  });
}

/** "I did not ask for this": one button that blocks further change-of-address emails to this inbox. */
export function NotMePage({ site, url }: { site: Site; url: string }) {
  return OneButtonPage({
    site,
    title: "Stop these emails",
    lede: <>Someone asked to move a {site.name} subscription to this address. Press the button and nobody can ask that again for it.</>,
    action: url,
    button: "I did not ask for this: stop them",
    note: "Nothing moves to this address without its own confirmation either way.",
  });
}

const LINK_PAGES: Record<ReaderLinkAction, { title: string; lede: (name: string, email: string | null) => React.ReactNode; button: string; danger?: boolean; note: string }> = {
  export: {
    title: "Download your data",
    lede: () => "Press the button to download everything we hold about you, as a JSON file.",
    button: "Download my data (JSON)",
    note: "This link works once. Close this page to leave it unused.",
  },
  erase: {
    title: "Erase your data?",
    lede: (name) => (
      <>
        This deletes your address, your name and the record of every issue we sent you, at once. It cannot be undone, and you will
        get no more emails from {name}. We keep only a fingerprint (a hash) of your address, so that an old list imported later
        cannot add you back; you can always subscribe again yourself.
      </>
    ),
    button: "Yes, erase my data",
    danger: true,
    note: "No, keep it: just close this page. Nothing is erased without the button.",
  },
  change_email: {
    title: "Move your subscription?",
    lede: (name, email) => (
      <>
        Press the button and we send a confirmation link to <strong>{email}</strong>. {name} moves there once that link is opened.
      </>
    ),
    button: "Send the confirmation to the new address",
    note: "Did not ask for this? Close this page: your subscription stays where it is.",
  },
  resubscribe: {
    title: "Resubscribe?",
    lede: (name) => <>Press the button and {name} comes to you again, from the next weekly email on.</>,
    button: "Resubscribe",
    note: "Changed your mind? Close this page: you stay unsubscribed.",
  },
  undo_move: {
    title: "Undo the move?",
    lede: (name, email) => (
      <>
        Press the button and {name} comes back to <strong>{email}</strong>. Every preferences link sent to the other address stops
        working.
      </>
    ),
    button: "Move it back here",
    note: "If you moved it yourself, close this page: nothing changes without the button.",
  },
};

/** A one-time emailed link's page: what it does, and one button. */
export function LinkPage({ site, url, action, email }: { site: Site; url: string; action: ReaderLinkAction; email: string | null }) {
  const words = LINK_PAGES[action];
  return OneButtonPage({ site, title: words.title, lede: words.lede(site.name, email), action: url, button: words.button, note: words.note, danger: words.danger });
}

/** What an emailed link did. */
export function DonePage({ site, title, message }: { site: Site; title: string; message: string }) {
  return (
    <Layout site={site} title={title} noindex>
      <div className="notice" role="status">
        <h1>{title}</h1>
        <p className="lede">{message}</p>
        <p>
          <a href="/archive">Read the archive</a>
        </p>
      </div>
    </Layout>
  );
}

export function EmailChangedPage({ site, email }: { site: Site; email: string }) {
  return (
    <Layout site={site} title="Your subscription moved" noindex>
      <div className="notice">
        <h1>Your subscription moved</h1>
        <p className="lede">
          {site.name} now comes to <strong>{email}</strong>. Your old address gets nothing more.
        </p>
        <p>
          <a href="/archive">Read the archive</a>
        </p>
      </div>
    </Layout>
  );
}
