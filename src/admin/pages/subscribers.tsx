/** @jsxRuntime automatic */
/** @jsxImportSource react */
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from "../../db/schema";
import type { ImportReport } from "../../subscribers/import";
import type { Site } from "../../web/layout";
import { formatDateTime } from "../../web/pages";
import type { StatusCounts } from "../overview";
import type { SubscriberRow } from "../search";
import { formatNumber } from "./charts";
import { AdminLayout, Badge, Csrf } from "./layout";

export type SubscribersPageProps = {
  site: Site;
  csrf: string;
  counts: StatusCounts;
  query: { q: string; status: SubscriberStatus | null; paged: boolean };
  rows: SubscriberRow[];
  nextHref: string | null;
  notice?: string | null;
  error?: string | null;
};

const iso = (ms: number) => new Date(ms).toISOString();

export function SubscribersPage({ site, csrf, counts, query, rows, nextHref, notice, error }: SubscribersPageProps) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const filtered = query.q !== "" || query.status !== null;
  const exportHref = `/admin/subscribers/export${query.status ? `?status=${query.status}` : ""}`;
  return (
    <AdminLayout site={site} title="Subscribers" current="subscribers" csrf={csrf}>
      <div className="page-head">
        <h1>Subscribers</h1>
        <p className="muted">
          {formatNumber(total)} addresses, {formatNumber(counts.confirmed)} confirmed
        </p>
      </div>
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? (
        <div className="alert" role="alert">
          {error}
        </div>
      ) : null}

      <div className="grid grid--2">
        <section className="panel" aria-labelledby="list-title">
          <h2 id="list-title">Find</h2>
          <form className="filters" method="get" action="/admin/subscribers" role="search">
            <div className="field">
              <label htmlFor="q">Address starts with</label>
              <input id="q" name="q" type="search" defaultValue={query.q} maxLength={254} spellCheck={false} autoCapitalize="none" placeholder="ann@ or ann" />
            </div>
            <div className="field">
              <label htmlFor="status">Status</label>
              <select id="status" name="status" defaultValue={query.status ?? ""}>
                <option value="">All ({formatNumber(total)})</option>
                {SUBSCRIBER_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s} ({formatNumber(counts[s])})
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="button">
              Search
            </button>
          </form>

          <h3 className="visually-hidden" id="results-title">
            Results
          </h3>
          <p className="muted" aria-live="polite">
            {rows.length === 0
              ? filtered
                ? "Nobody matches."
                : "Nobody is on the list yet."
              : `${query.paged ? "More" : "Showing"} ${formatNumber(rows.length)} ${query.q ? "in address order" : "newest first"}${nextHref ? ", more on the next page" : ""}.`}
          </p>
          {rows.length > 0 ? (
            <table className="data data--stack" aria-labelledby="results-title">
              <thead>
                <tr>
                  <th scope="col">Address</th>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Joined</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <th scope="row" className="email" data-label="Address">
                      {r.email}
                    </th>
                    <td data-label="Name">{r.name ?? ""}</td>
                    <td data-label="Status">
                      <Badge status={r.status} />
                    </td>
                    <td data-label="Joined">
                      <time dateTime={iso(r.createdAt)}>{formatDateTime(iso(r.createdAt))}</time>
                    </td>
                    <td data-label="Actions">
                      <a href={`/admin/subscribers/erase?email=${encodeURIComponent(r.email)}`} aria-label={`Erase ${r.email}`}>
                        Erase…
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <nav className="pager" aria-label="Pages">
            {query.paged ? <a href={`/admin/subscribers?${new URLSearchParams({ ...(query.q ? { q: query.q } : {}), ...(query.status ? { status: query.status } : {}) })}`}>← First page</a> : <span />}
            {nextHref ? <a href={nextHref}>Next page →</a> : null}
          </nav>
        </section>

        <div className="stack">
          <section className="panel" aria-labelledby="import-title">
            <h2 id="import-title">Import a CSV</h2>
            <form method="post" action="/admin/subscribers/import" encType="multipart/form-data">
              <Csrf token={csrf} />
              <div className="field">
                <label htmlFor="file">CSV file</label>
                <input id="file" name="file" type="file" accept=".csv,text/csv" required aria-describedby="file-hint" />
                <p className="hint" id="file-hint">
                  A header row with an <code>email</code> column and optionally <code>name</code>. Addresses already on the list, or erased, are skipped.
                </p>
              </div>
              <fieldset className="radio-row">
                <legend>These readers are</legend>
                <label>
                  <input type="radio" name="status" value="pending" defaultChecked /> pending: each gets a confirmation email
                </label>
                <label>
                  <input type="radio" name="status" value="confirmed" /> confirmed: consent collected elsewhere, no email
                </label>
              </fieldset>
              <button type="submit" className="button">
                Import
              </button>
            </form>
          </section>

          <section className="panel" aria-labelledby="export-title">
            <h2 id="export-title">Export</h2>
            <p>
              <a className="button button--secondary" href={exportHref} download>
                Download {query.status ? `the ${query.status} ` : "everyone "}as CSV
              </a>
            </p>
            <p className="hint">email, name, status, created_at, confirmed_at; the same file imports back.</p>
          </section>
        </div>
      </div>
    </AdminLayout>
  );
}

const MAX_INVALID_SHOWN = 1000;

export function ImportResultPage({ site, csrf, report, status, fileName }: { site: Site; csrf: string; report: ImportReport; status: string; fileName: string }) {
  const shown = report.invalid.slice(0, MAX_INVALID_SHOWN);
  return (
    <AdminLayout site={site} title="Import result" current="subscribers" csrf={csrf}>
      <p>
        <a href="/admin/subscribers">← Subscribers</a>
      </p>
      <h1>Import result</h1>
      <p className="lede">
        {fileName ? <code>{fileName}</code> : "The file"}, imported as {status}
        {status === "pending" ? " (each new reader gets a confirmation email)" : ""}.
      </p>
      <dl className="figures" data-import-result="">
        <div className="figure figure--sent">
          <dt>Imported</dt>
          <dd data-field="imported">{formatNumber(report.imported)}</dd>
        </div>
        <div className="figure figure--other">
          <dt>Skipped</dt>
          <dd data-field="skipped">{formatNumber(report.skipped)}</dd>
        </div>
        <div className="figure figure--failed">
          <dt>Invalid</dt>
          <dd data-field="invalid">{formatNumber(report.invalid.length)}</dd>
        </div>
      </dl>
      <p className="hint">Skipped: already on the list (in any state), erased earlier, repeated in the file, or marked as having left.</p>
      {report.invalid.length > 0 ? (
        <section aria-labelledby="invalid-title">
          <h2 id="invalid-title">Lines not imported</h2>
          <div className="invalid-lines" role="region" aria-labelledby="invalid-title" tabIndex={0}>
            <table className="data">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Line
                  </th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((row) => (
                  <tr key={`${row.line}-${row.reason}`}>
                    <td className="num">{row.line}</td>
                    <td>{row.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {report.invalid.length > shown.length ? (
            <p className="hint">
              The first {formatNumber(shown.length)} of {formatNumber(report.invalid.length)} are shown.
            </p>
          ) : null}
        </section>
      ) : null}
      <p>
        <a className="button button--secondary" href="/admin/subscribers">
          Back to subscribers
        </a>
      </p>
    </AdminLayout>
  );
}

export function EraseConfirmPage({ site, csrf, email, found }: { site: Site; csrf: string; email: string; found: boolean }) {
  return (
    <AdminLayout site={site} title="Erase a subscriber?" current="subscribers" csrf={csrf}>
      <div className="notice">
        <h1>Erase {email}?</h1>
        <p className="lede">
          {found
            ? "Their address, name, dates and delivery records are deleted for good."
            : "This address is not on the list; erasing it still keeps it from being imported again."}{" "}
          Only a hash of the address stays, so an import never brings it back. They can still subscribe again through the form.
        </p>
        <div className="button-row">
          <form method="post" action="/admin/subscribers/erase">
            <Csrf token={csrf} />
            <input type="hidden" name="email" value={email} />
            <button type="submit" className="button button--danger">
              Erase for good
            </button>
          </form>
          <a className="button button--secondary" href={`/admin/subscribers?q=${encodeURIComponent(email)}`}>
            Cancel
          </a>
        </div>
      </div>
    </AdminLayout>
  );
}
