/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The dashboard's Integrations page: API keys (create, list, delete) and outgoing webhook endpoints
// (register, list with their state, delete, delivery log). A new key or secret is shown once, on the
// page that answers its creation, and never again.
import { SCOPE_HELP, SCOPES } from "../../api/scopes";
import type { KeyView } from "../../keys/store";
import type { DeliveryView, EndpointView } from "../../webhooks/out/endpoints";
import { WEBHOOK_EVENTS } from "../../webhooks/out/events";
import type { Site } from "../../web/layout";
import { formatDateTime } from "../../web/pages";
import { AdminLayout, Badge, Csrf, Flash, DeleteButton } from "./layout";

export type IntegrationsPageProps = {
  site: Site;
  csrf: string;
  keys: KeyView[];
  endpoints: EndpointView[];
  /** Shown once, right after creation. */
  created?: { kind: "key"; name: string; secret: string } | { kind: "webhook"; name: string; secret: string } | null;
  notice?: string | null;
  error?: string | null;
  localDev: boolean;
};

const when = (iso: string | null) => (iso ? <time dateTime={iso}>{formatDateTime(iso)}</time> : <span className="muted">never</span>);

function endpointState(e: EndpointView): [string, string] {
  if (e.disabledAt) return ["disabled", `Disabled ${formatDateTime(e.disabledAt)}: it failed for 24 hours. Fix the receiver, then delete and register it again.`];
  if (e.failingSince) return ["failing", `Failing since ${formatDateTime(e.failingSince)}; retried with backoff, disabled after 24 hours.`];
  return ["active", "Active"];
}

export function IntegrationsPage({ site, csrf, keys, endpoints, created, notice, error, localDev }: IntegrationsPageProps) {
  return (
    <AdminLayout site={site} title="Integrations" current="integrations" csrf={csrf}>
      <div className="page-head">
        <h1>Integrations</h1>
        <p className="muted">
          API keys for scripts and other tools, and webhooks that tell them what happened. The API is described at <a href="/api/openapi.json">/api/openapi.json</a> and{" "}
          <a href="/api/docs">/api/docs</a>.
        </p>
      </div>
      {created ? (
        <div className="notice" role="status">
          <p>
            <strong>{created.kind === "key" ? `The key "${created.name}"` : `The signing secret of ${created.name}`}</strong>, shown this once (only {created.kind === "key" ? "its hash" : "the endpoint"} keeps it): copy it now.
          </p>
          <p>
            <code className="command">{created.secret}</code>
          </p>
          {created.kind === "key" ? <p className="hint">Send it as <code>Authorization: Bearer …</code>.</p> : <p className="hint">Verify each delivery's <code>webhook-signature</code> with it (Standard Webhooks).</p>}
        </div>
      ) : null}
      <Flash notice={notice} error={error} />

      <section className="panel" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        {keys.length === 0 ? (
          <p className="muted">No keys yet. The admin token works everywhere; a key holds only the scopes you give it.</p>
        ) : (
          <table className="data data--stack" aria-labelledby="keys-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Key starts</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <th scope="row" data-label="Name">
                    {k.name}
                  </th>
                  <td data-label="Scopes">{k.scopes.join(", ")}</td>
                  <td data-label="Key starts">
                    <code>{k.prefix}…</code>
                  </td>
                  <td data-label="Created">{when(k.createdAt)}</td>
                  <td data-label="Last used">{when(k.lastUsedAt)}</td>
                  <td data-label="Actions">
                    <DeleteButton action={`/admin/integrations/keys/${encodeURIComponent(k.id)}/delete`} csrf={csrf} label={`Delete the key ${k.name}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h3 id="new-key">New key</h3>
        <form method="post" action="/admin/integrations/keys" aria-labelledby="new-key">
          <Csrf token={csrf} />
          <div className="field">
            <label htmlFor="key-name">What it is for</label>
            <input id="key-name" name="name" type="text" required maxLength={100} placeholder="CRM sync" />
          </div>
          <fieldset className="radio-row">
            <legend>Scopes</legend>
            {SCOPES.map((s) => (
              <label key={s}>
                <input type="checkbox" name={`scope:${s}`} value="on" /> <code>{s}</code> <span className="muted">({SCOPE_HELP[s]})</span>
              </label>
            ))}
          </fieldset>
          <button type="submit" className="button">
            Create key
          </button>
        </form>
      </section>

      <section className="panel" aria-labelledby="hooks-title">
        <h2 id="hooks-title">Webhooks</h2>
        {endpoints.length === 0 ? (
          <p className="muted">No endpoints yet.</p>
        ) : (
          <table className="data data--stack" aria-labelledby="hooks-title">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => {
                const [state, detail] = endpointState(e);
                return (
                  <tr key={e.id}>
                    <th scope="row" data-label="URL" className="email">
                      <a href={`/admin/integrations/webhooks/${encodeURIComponent(e.id)}`}>{e.url}</a>
                    </th>
                    <td data-label="Events">{e.events.join(", ")}</td>
                    <td data-label="State">
                      <Badge status={state} /> <span className="muted">{state === "active" ? "" : detail}</span>
                      {e.lastError ? <p className="hint">Last error: {e.lastError}</p> : null}
                    </td>
                    <td data-label="Actions">
                      <DeleteButton action={`/admin/integrations/webhooks/${encodeURIComponent(e.id)}/delete`} csrf={csrf} label={`Delete the endpoint ${e.url}`} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <h3 id="new-hook">New endpoint</h3>
        <form method="post" action="/admin/integrations/webhooks" aria-labelledby="new-hook">
          <Csrf token={csrf} />
          <div className="field">
            <label htmlFor="hook-url">URL</label>
            <input id="hook-url" name="url" type="url" required maxLength={2000} placeholder="https://crm.example.com/hooks/newsletter" aria-describedby="hook-url-hint" />
            <p className="hint" id="hook-url-hint">
              https:// only{localDev ? " (here in local dev, http://localhost… works too)" : ""}. Each event is a signed POST; a non-2xx answer is retried, first within a minute, then with backoff for 24 hours.
            </p>
          </div>
          <fieldset className="radio-row">
            <legend>Events</legend>
            {WEBHOOK_EVENTS.map((ev) => (
              <label key={ev}>
                <input type="checkbox" name={`event:${ev}`} value="on" /> <code>{ev}</code>
              </label>
            ))}
          </fieldset>
          <button type="submit" className="button">
            Add endpoint
          </button>
        </form>
      </section>
    </AdminLayout>
  );
}

export function DeliveriesPage({ site, csrf, endpoint, deliveries, nextHref }: { site: Site; csrf: string; endpoint: EndpointView; deliveries: DeliveryView[]; nextHref: string | null }) {
  const [state, detail] = endpointState(endpoint);
  return (
    <AdminLayout site={site} title="Webhook deliveries" current="integrations" csrf={csrf}>
      <div className="page-head">
        <h1>Deliveries</h1>
        <p className="muted">
          to <span className="email">{endpoint.url}</span> · <Badge status={state} /> {state === "active" ? "" : detail}
        </p>
      </div>
      <p>
        <a href="/admin/integrations">← Integrations</a>
      </p>
      <section className="panel" aria-labelledby="log-title">
        <h2 id="log-title">Newest first</h2>
        {deliveries.length === 0 ? (
          <p className="muted">Nothing sent yet.</p>
        ) : (
          <table className="data data--stack" aria-labelledby="log-title">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last attempt</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <th scope="row" data-label="Event">
                    {d.type} <span className="muted">{formatDateTime(d.createdAt)}</span>
                  </th>
                  <td data-label="Status">
                    <Badge status={d.status} />
                    {d.nextAttemptAt ? <span className="muted"> next {formatDateTime(d.nextAttemptAt)}</span> : null}
                  </td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Last attempt">{when(d.lastAttemptAt)}</td>
                  <td data-label="Answer">{d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : "")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <nav className="pager" aria-label="Pages">
          <span />
          {nextHref ? <a href={nextHref}>Older →</a> : null}
        </nav>
      </section>
    </AdminLayout>
  );
}
