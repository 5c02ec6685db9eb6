/** @jsxRuntime automatic */
/** @jsxImportSource react */
import { SUBSCRIBER_STATUSES, type SubscriberStatus } from "../../db/schema";
import type { ImportReport } from "../../subscribers/import";
import type { ImportFormat } from "../../subscribers/sources";
import type { Site } from "../../web/layout";
import { formatDateTime } from "../../web/pages";
import type { StatusCounts } from "../overview";
import type { SubscriberRow } from "../search";
import { formatNumber } from "./charts";
import { IMPORT_PREVIEW_SCRIPT } from "./import-preview";
import { AdminLayout, Badge, Csrf, Flash } from "./layout";

export type SubscribersPageProps = {
  site: Site;
  csrf: string;
  counts: StatusCounts;
  query: { q: string; status: SubscriberStatus | null; paged: boolean };
  rows: SubscriberRow[];
  nextHref: string | null;
  notice?: string | null;
  error?: string | null;
  /** The request's CSP nonce, for the upload's preview script. */
  nonce?: string | null;
};

const iso = (ms: number) => new Date(ms).toISOString();

export function SubscribersPage({ site, csrf, counts, query, rows, nextHref, notice, error, nonce }: SubscribersPageProps) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const filtered = query.q !== "" || query.status !== null;
  const exportHref = `/admin/subscribers/export${query.status ? `?status=${query.status}` : ""}`;
  return (
    <AdminLayout site={site} title="Subscribers" current="subscribers" csrf={csrf} script={{ source: IMPORT_PREVIEW_SCRIPT, nonce: nonce ?? null }}>
      <div className="page-head">
        <h1>Subscribers</h1>
        <p className="muted">
          {formatNumber(total)} addresses, {formatNumber(counts.confirmed)} confirmed
        </p>
      </div>
      <Flash notice={notice} error={error} />

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
            <ImportForm csrf={csrf} />
            <div id="import-preview" aria-live="polite" />
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

const FORMAT_LABELS: Record<ImportFormat, string> = {
  plain: "a plain CSV (email, name, status)",
  mailchimp: "a Mailchimp audience export",
  substack: "a Substack subscriber export",
  ghost: "a Ghost members export",
  beehiiv: "a beehiiv subscriber export",
  listmonk: "a listmonk subscriber export",
};

/**
 * The upload form. Its controls are in this order on purpose: the browser sends the parts in this
 * order, and the server checks the CSRF token and reads the status before reading the file, which
 * it then streams (src/http/multipart.ts). Preview first (a dry run, `formaction` with dry_run=1);
 * the preview page carries the Import button.
 */
function ImportForm({ csrf, status, action }: { csrf: string; status?: string; action?: "preview" | "import" }) {
  const importing = action === "import";
  return (
    <form method="post" action={importing ? "/admin/subscribers/import" : "/admin/subscribers/import?dry_run=1"} encType="multipart/form-data" id={importing ? undefined : "import-form"}>
      <Csrf token={csrf} />
      {importing ? (
        <input type="hidden" name="status" value={status} />
      ) : (
        <fieldset className="radio-row">
          <legend>These readers are</legend>
          <label>
            <input type="radio" name="status" value="pending" defaultChecked={status !== "confirmed"} /> pending: each gets a confirmation email
          </label>
          <label>
            <input type="radio" name="status" value="confirmed" defaultChecked={status === "confirmed"} /> confirmed: consent collected elsewhere, no email
          </label>
        </fieldset>
      )}
      <div className="field">
        <label htmlFor={importing ? "import-file" : "file"}>{importing ? "The same CSV file again" : "CSV file"}</label>
        <input id={importing ? "import-file" : "file"} name="file" type="file" accept=".csv,text/csv" required aria-describedby={importing ? "import-file-hint" : "file-hint"} />
        <p className="hint" id={importing ? "import-file-hint" : "file-hint"}>
          {importing
            ? "The file is not kept between the preview and the import: choose it once more."
            : "Our own export or a header row with an email column (and optionally name, status), or a subscriber export as it comes from Mailchimp, Substack, Ghost, beehiiv or listmonk. Readers who left there stay out; addresses already on the list, or erased, are skipped."}
        </p>
      </div>
      <button type="submit" className="button" data-action={importing ? "import" : "preview"}>
        {importing ? "Import" : "Preview"}
      </button>
    </form>
  );
}

const MAX_INVALID_SHOWN = 1000;

function LineTable({ id, title, rows }: { id: string; title: string; rows: { line: number; reason: string }[] }) {
  if (rows.length === 0) return null;
  const shown = rows.slice(0, MAX_INVALID_SHOWN);
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <div className="invalid-lines" role="region" aria-labelledby={id} tabIndex={0}>
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
      {rows.length > shown.length ? (
        <p className="hint">
          The first {formatNumber(shown.length)} of {formatNumber(rows.length)} are shown.
        </p>
      ) : null}
    </section>
  );
}

/** The answer to an upload: a preview (dry run) with the Import button, or what the import did. */
export function ImportResultPage({ site, csrf, report, status, fileName }: { site: Site; csrf: string; report: ImportReport; status: string; fileName: string }) {
  const preview = report.dryRun === true;
  const verb = preview ? "would be" : "were";
  const statuses = report.statuses;
  return (
    <AdminLayout site={site} title={preview ? "Import preview" : "Import result"} current="subscribers" csrf={csrf}>
      <p>
        <a href="/admin/subscribers">← Subscribers</a>
      </p>
      <h1>{preview ? "Import preview" : "Import result"}</h1>
      <div data-import-preview="">
      <p className="lede" data-format={report.format}>
        {fileName ? <code>{fileName}</code> : "The file"} is {FORMAT_LABELS[report.format]}, {preview ? "to be imported" : "imported"} as {status}
        {status === "pending" ? " (each new reader gets a confirmation email)" : ""}.{preview ? " Nothing has been stored or sent yet." : ""}
      </p>
      <dl className="figures" data-import-result="">
        <div className="figure figure--sent">
          <dt>{preview ? "To import" : "Imported"}</dt>
          <dd data-field="imported">{formatNumber(report.imported)}</dd>
        </div>
        <div className="figure figure--other">
          <dt>Skipped</dt>
          <dd data-field="skipped">{formatNumber(report.skipped)}</dd>
        </div>
        <div className="figure figure--other">
          <dt>{preview ? "To lower" : "Lowered"}</dt>
          <dd data-field="lowered">{formatNumber(report.lowered)}</dd>
        </div>
        <div className="figure figure--failed">
          <dt>Invalid</dt>
          <dd data-field="invalid">{formatNumber(report.invalidTotal ?? report.invalid.length)}</dd>
        </div>
      </dl>
      <h2>Rows by status</h2>
      <dl className="figures" data-import-statuses="">
        {(["confirmed", "pending", "unsubscribed", "bounced", "complained"] as const).map((s) =>
          s === "complained" && !statuses.complained ? null : (
            <div className="figure" key={s}>
              <dt>{s}</dt>
              <dd data-status={s}>{formatNumber(statuses[s] ?? 0)}</dd>
            </div>
          ),
        )}
      </dl>
      <p className="hint">
        Each valid row by the status it {verb} given: the one you chose, lowered where the file says the reader left, was cleaned or bounced, or never
        confirmed. Skipped: already on the list (in any state), erased earlier, repeated in the file, marked as having left, or not a reader to import
        (listed below). Lowered: readers already on the list whom the file says have left; nobody is ever raised.
      </p>
      <LineTable id="skipped-title" title={preview ? "Rows that will be skipped" : "Rows skipped"} rows={report.skippedRows} />
      <LineTable id="invalid-title" title="Lines not imported" rows={report.invalid} />
      </div>
      {preview ? (
        <section className="panel" aria-labelledby="confirm-import-title">
          <h2 id="confirm-import-title">Import this file</h2>
          <ImportForm csrf={csrf} status={status} action="import" />
        </section>
      ) : (
        <p>
          <a className="button button--secondary" href="/admin/subscribers">
            Back to subscribers
          </a>
        </p>
      )}
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
