/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The operator's open sessions: when each started and was last used, from where, and which is this
// one; "Sign out everywhere" ends them all (this one too).
import type { Site } from "../../web/layout";
import { formatDateTime } from "../../web/pages";
import type { ActiveSession } from "../sessions";
import { AdminLayout, Csrf } from "./layout";

const when = (ms: number) => <time dateTime={new Date(ms).toISOString()}>{formatDateTime(new Date(ms).toISOString())}</time>;

export function SessionsPage({ site, csrf, sessions, currentSid }: { site: Site; csrf: string; sessions: ActiveSession[]; currentSid: string }) {
  return (
    <AdminLayout site={site} title="Sessions" current="sessions" csrf={csrf}>
      <h1>Signed-in sessions</h1>
      <p className="lede">Every browser signed in to this dashboard now. Signing out ends a session on the server: a copy of its cookie stops working at once.</p>
      <div>
        <table className="data data--stack" aria-label="Open sessions">
                    <thead>
            <tr>
              <th scope="col">Signed in</th>
              <th scope="col">Last used</th>
              <th scope="col">From</th>
              <th scope="col">Browser</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.sid}>
                <th scope="row" data-label="Signed in">
                  {when(s.createdAt)}
                  {s.sid === currentSid ? <strong> (this one)</strong> : null}
                </th>
                <td data-label="Last used">{when(s.lastSeenAt)}</td>
                <td data-label="From">{[s.ip, s.country].filter(Boolean).join(", ") || "unknown"}</td>
                <td data-label="Browser">{s.userAgent ?? "unknown"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form method="post" action="/admin/sessions/revoke-all">
        <Csrf token={csrf} />
        <button type="submit" className="button button--danger">
          Sign out everywhere
        </button>
      </form>
    </AdminLayout>
  );
}
