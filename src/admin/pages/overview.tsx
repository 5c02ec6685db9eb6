/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type { Site } from "../../web/layout";
import { formatDate, formatDateTime } from "../../web/pages";
import type { Overview } from "../overview";
import { formatNumber, formatRate, WeeklyChart } from "./charts";
import { AdminLayout, Badge } from "./layout";

const COUNT_LABELS = [
  ["confirmed", "Confirmed"],
  ["pending", "Pending"],
  ["unsubscribed", "Unsubscribed"],
  ["bounced", "Bounced"],
  ["complained", "Complained"],
] as const;

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export function when(ms: number): string {
  return `${WEEKDAYS[new Date(ms).getUTCDay()]} ${formatDateTime(new Date(ms).toISOString())}`;
}

export function OverviewPage({ site, csrf, data }: { site: Site; csrf: string; data: Overview }) {
  const { counts, total, weeks, nextDue, lastSend } = data;
  return (
    <AdminLayout site={site} title="Overview" current="overview" csrf={csrf}>
      <div className="page-head">
        <h1>Overview</h1>
        <p className="muted">{formatNumber(total)} addresses on the list</p>
      </div>

      <section aria-labelledby="counts-title">
        <h2 id="counts-title" className="visually-hidden">
          Subscribers by status
        </h2>
        <ul className="counts">
          {COUNT_LABELS.map(([status, label]) => (
            <li key={status} className="count">
              <a href={`/admin/subscribers?status=${status}`}>
                <span className="count__n" data-count={status}>
                  {formatNumber(counts[status])}
                </span>
                <span className="count__label">{label}</span>
              </a>
            </li>
          ))}
        </ul>
      </section>

      <div className="grid grid--2">
        <section className="panel" aria-labelledby="chart-title">
          <h2 id="chart-title">The last 12 weeks</h2>
          <WeeklyChart weeks={weeks} />
        </section>

        <div className="stack">
          <section className="panel" aria-labelledby="next-title">
            <h2 id="next-title">Next article due</h2>
            {nextDue ? (
              <>
                <p>
                  <a href={`/admin/issues/${nextDue.article.slug}`}>
                    <strong>{nextDue.article.title}</strong>
                  </a>
                  <br />
                  <span className="muted">dated {formatDate(nextDue.article.date)}</span>
                </p>
                <p data-next-run={new Date(nextDue.sendsAt).toISOString()}>
                  The weekly slot sends it on <strong>{when(nextDue.sendsAt)}</strong>
                  {counts.confirmed > 0
                    ? `, to the readers confirmed then (${formatNumber(counts.confirmed)} today).`
                    : ". Nobody is confirmed yet: with nobody to send to, the article waits for the next run."}
                </p>
              </>
            ) : (
              <p className="muted">
                Every article has been sent or has its own time. <a href="/admin/issues/new">Write the next one</a>.
              </p>
            )}
          </section>

          <section className="panel" aria-labelledby="last-title">
            <h2 id="last-title">Last send</h2>
            {lastSend ? (
              <>
                <p>
                  <a href={`/admin/issues/${lastSend.slug}`}>
                    <strong>{lastSend.title}</strong>
                  </a>{" "}
                  <Badge status={lastSend.stats.status} />
                  <br />
                  <span className="muted">started {when(lastSend.startedAt)}</span>
                </p>
                <dl className="meta-list">
                  <dt>Recipients</dt>
                  <dd>{formatNumber(lastSend.stats.recipients)}</dd>
                  <dt>Sent</dt>
                  <dd>{formatNumber(lastSend.stats.sent)}</dd>
                  <dt>Failed</dt>
                  <dd>{formatNumber(lastSend.stats.failed)}</dd>
                  {lastSend.stats.pending > 0 ? (
                    <>
                      <dt>Pending</dt>
                      <dd>{formatNumber(lastSend.stats.pending)}</dd>
                    </>
                  ) : null}
                  <dt>Delivered</dt>
                  <dd>{formatRate(lastSend.stats.delivered, lastSend.stats.sent)}</dd>
                  <dt>Clicked</dt>
                  <dd>{formatRate(lastSend.stats.clicked, lastSend.stats.sent)}</dd>
                  <dt>Bounced</dt>
                  <dd>{formatRate(lastSend.stats.bounced, lastSend.stats.sent)}</dd>
                  <dt>Marked as spam</dt>
                  <dd>{formatRate(lastSend.stats.complained, lastSend.stats.sent)}</dd>
                </dl>
              </>
            ) : (
              <p className="muted">Nothing has been sent yet.</p>
            )}
          </section>
        </div>
      </div>
    </AdminLayout>
  );
}
