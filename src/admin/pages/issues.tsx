/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type { Site } from "../../web/layout";
import { formatDate } from "../../web/pages";
import type { DashboardStats, IssueSummary } from "../stats";
import { formatNumber, OutcomeBars, ProgressBar } from "./charts";
import { AdminLayout, Badge, Csrf, Flash } from "./layout";
import { when } from "./overview";

export function IssuesPage({ site, csrf, issues, notice }: { site: Site; csrf: string; issues: IssueSummary[]; notice?: string | null }) {
  return (
    <AdminLayout site={site} title="Issues" current="issues" csrf={csrf}>
      <div className="page-head">
        <h1>Issues</h1>
        <a className="button" href="/admin/issues/new">
          New issue
        </a>
      </div>
      <Flash notice={notice} />
      <p className="muted">Every article, written here or in content/, newest first.</p>
      {issues.length === 0 ? (
        <p className="empty">
          No articles yet: <a href="/admin/issues/new">write the first one</a>.
        </p>
      ) : (
        <table className="data data--stack">
          <thead>
            <tr>
              <th scope="col">Article</th>
              <th scope="col">Date</th>
              <th scope="col">Status</th>
              <th scope="col">Goes</th>
            </tr>
          </thead>
          <tbody>
            {issues.map((issue) => (
              <tr key={issue.slug}>
                <th scope="row" data-label="Article">
                  <a href={`/admin/issues/${issue.slug}`}>{issue.title}</a>
                </th>
                <td data-label="Date">
                  <time dateTime={issue.date}>{formatDate(issue.date)}</time>
                </td>
                <td data-label="Status">
                  <Badge status={issue.status} />
                </td>
                <td data-label="Goes">{issue.sendAt ? <time dateTime={issue.sendAt}>{when(Date.parse(issue.sendAt))}</time> : <span className="muted">–</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminLayout>
  );
}

export type IssuePageProps = {
  site: Site;
  csrf: string;
  nonce: string | null;
  issue: { slug: string; title: string; date: string; bundled: boolean };
  stats: DashboardStats;
  /** When the weekly slot would send it (draft or ready). */
  cronSendsAt: number | null;
  /** Its own time, when scheduled. */
  scheduledAt?: number | null;
  notice?: string | null;
  error?: { form: "test" | "send" | "paused"; message: string } | null;
  values?: { to?: string };
  script: string;
};

export function IssuePage({ site, csrf, nonce, issue, stats, cronSendsAt, scheduledAt, notice, error, values, script }: IssuePageProps) {
  const base = `/admin/issues/${issue.slug}`;
  const live = stats.status === "sending";
  return (
    <AdminLayout site={site} title={issue.title} current="issues" csrf={csrf} script={live ? { source: script, nonce } : null}>
      <p>
        <a href="/admin/issues">← All issues</a>
      </p>
      <div className="page-head">
        <h1>{issue.title}</h1>
        <p>
          <Badge status={stats.status} /> <span className="muted">dated {formatDate(issue.date)}</span>{" "}
          <a className="button button--secondary button--small" href={`${base}/edit`}>
            {stats.status === "draft" || stats.status === "ready" || stats.status === "scheduled" ? "Edit, preview and schedule" : "View the email"}
          </a>
        </p>
      </div>
      <Flash notice={notice} error={error && error.form !== "test" ? error.message : null} />

      <div className="grid grid--2">
        <div className="stack">
          {stats.status === "halted" ? (
            <section className="warning" aria-labelledby="halted-title">
              <h2 id="halted-title">The email provider refuses this send</h2>
              <p>
                <strong>What it said:</strong> {stats.reason ?? "no reason was recorded; see the Worker's log."}
              </p>
              <p>What to fix:</p>
              <ul>
                <li>
                  An invalid or revoked key: create a new one at Resend and store it with{" "}
                  <code>npx wrangler secret put RESEND_API_KEY</code>.
                </li>
                <li>
                  An unverified sender: verify the domain of <code>FROM_EMAIL</code> at Resend, or change{" "}
                  <code>FROM_EMAIL</code> to an address on a verified domain.
                </li>
                <li>Nothing was sent to the readers still pending: once the provider accepts again, housekeeping carries on within 30 minutes.</li>
              </ul>
            </section>
          ) : null}

          {stats.status === "paused" ? (
            <section className="warning" aria-labelledby="paused-title">
              <h2 id="paused-title">This send is paused</h2>
              <p>
                <strong>Why:</strong> {stats.reason ?? "the circuit breaker stopped it."}
              </p>
              <p>Look at the bounces and complaints so far. Resume sends to the readers still pending (none gets it twice); cancel skips them.</p>
              <div className="button-row">
                <form method="post" action={`${base}/resume`}>
                  <Csrf token={csrf} />
                  <button type="submit" className="button">
                    Resume the send
                  </button>
                </form>
                <form method="post" action={`${base}/cancel`}>
                  <Csrf token={csrf} />
                  <button type="submit" className="button button--danger">
                    Cancel the rest
                  </button>
                </form>
              </div>
            </section>
          ) : null}

          {stats.status === "draft" || stats.status === "ready" || stats.status === "scheduled" ? (
            <section className="panel" aria-labelledby="send-title">
              <h2 id="send-title">Send</h2>
              <p>
                {scheduledAt ? (
                  <>
                    Scheduled for <strong>{when(scheduledAt)}</strong>.
                  </>
                ) : cronSendsAt ? (
                  <>
                    Left alone, the weekly slot sends it on <strong>{when(cronSendsAt)}</strong>
                    {stats.status === "draft" ? " (its date is still ahead)" : ""}.
                  </>
                ) : (
                  "The weekly slot will send it when its turn comes."
                )}
              </p>
              {issue.bundled ? (
                <p>
                  <a className="button" href={`${base}/send`}>
                    Send now…
                  </a>
                </p>
              ) : null}
            </section>
          ) : (
            <section className="panel" aria-labelledby="progress-title">
              <h2 id="progress-title">{live ? "Sending" : "Results"}</h2>
              <ProgressBar stats={stats} statsUrl={`${base}/stats`} live={live} />
              <p id="progress-note" aria-live="polite" className="muted">
                {live ? "" : null}
              </p>
              {live ? (
                <noscript>
                  <p>
                    <a href={base}>Reload</a> to see the latest numbers.
                  </p>
                </noscript>
              ) : null}
              {stats.status === "sent" ? <OutcomeBars stats={stats} /> : null}
            </section>
          )}
        </div>

        <section className="panel" aria-labelledby="test-title">
          <h2 id="test-title">Send a test copy</h2>
          {issue.bundled ? (
            <form method="post" action={`${base}/test`}>
              {error?.form === "test" ? (
                <div className="alert" role="alert" id="to-error">
                  {error.message}
                </div>
              ) : null}
              <Csrf token={csrf} />
              <div className="field">
                <label htmlFor="to">Email address</label>
                <input
                  id="to"
                  name="to"
                  type="email"
                  required
                  autoComplete="email"
                  spellCheck={false}
                  autoCapitalize="none"
                  maxLength={254}
                  defaultValue={values?.to ?? ""}
                  aria-invalid={error?.form === "test" ? true : undefined}
                  aria-describedby={error?.form === "test" ? "to-error to-hint" : "to-hint"}
                />
                <p className="hint" id="to-hint">
                  One copy, subject marked [TEST]. It is not recorded as a delivery and its unsubscribe link unsubscribes nobody.
                </p>
              </div>
              <button type="submit" className="button button--secondary">
                Send a test copy
              </button>
            </form>
          ) : (
            <p className="muted">This article is no longer in content/ or the editor, so only its sent version exists.</p>
          )}
        </section>
      </div>
    </AdminLayout>
  );
}

export function SendConfirmPage({ site, csrf, issue, audience }: { site: Site; csrf: string; issue: { slug: string; title: string }; audience: number }) {
  const base = `/admin/issues/${issue.slug}`;
  return (
    <AdminLayout site={site} title={`Send “${issue.title}” now?`} current="issues" csrf={csrf}>
      <div className="notice">
        <h1>Send “{issue.title}” now?</h1>
        <p className="lede">
          It goes to every reader confirmed at this moment: <strong>{formatNumber(audience)}</strong> today. An article goes out once: this cannot be undone, and the cron will not send it
          again.
        </p>
        <div className="button-row">
          <form method="post" action={`${base}/send`}>
            <Csrf token={csrf} />
            <button type="submit" className="button">
              Yes, send it now
            </button>
          </form>
          <a className="button button--secondary" href={base}>
            Cancel
          </a>
        </div>
      </div>
    </AdminLayout>
  );
}
