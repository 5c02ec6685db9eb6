/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type { Site } from "../../web/layout";
import { AdminLayout } from "./layout";

export type SignInPageProps = {
  site: Site;
  /** ADMIN_TOKEN is set; otherwise the page says how to set it and shows no form. */
  configured: boolean;
  /** Bound to the sign-in nonce cookie. */
  csrf: string | null;
  error?: string | null;
  notice?: string | null;
  /** Where to go after signing in (a dashboard path). */
  next?: string | null;
};

export function SignInPage({ site, configured, csrf, error, notice, next }: SignInPageProps) {
  return (
    <AdminLayout site={site} title="Sign in" csrf={null}>
      <div className="signin">
        <h1>Sign in</h1>
        {notice ? (
          <p className="success" role="status">
            {notice}
          </p>
        ) : null}
        {configured && csrf ? (
          <form className="card" method="post" action="/admin/login">
            {error ? (
              <div className="alert" role="alert" id="token-error">
                {error}
              </div>
            ) : null}
            <input type="hidden" name="_csrf" value={csrf} />
            {next ? <input type="hidden" name="next" value={next} /> : null}
            <div className="field">
              <label htmlFor="token">Admin token</label>
              <input
                id="token"
                name="token"
                type="password"
                required
                autoComplete="current-password"
                spellCheck={false}
                autoCapitalize="none"
                maxLength={1000}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? "token-error token-hint" : "token-hint"}
              />
              <p className="hint" id="token-hint">
                The <code>ADMIN_TOKEN</code> secret of this service. You stay signed in for 12 hours.
              </p>
            </div>
            <button type="submit" className="button">
              Sign in
            </button>
          </form>
        ) : (
          <div className="warning" role="note">
            <h2>The dashboard is off: no admin token is set</h2>
            <p>
              Nobody can sign in until <code>ADMIN_TOKEN</code> is set. It is also the bearer token of the admin API.
            </p>
            <p>Locally, add a line to <code>.dev.vars</code> and restart <code>npm run dev</code>:</p>
            <pre className="command">
              <code>ADMIN_TOKEN=a-long-random-secret-of-32-characters-or-more</code>
            </pre>
            <p>On Cloudflare, store it as a secret (at least 32 characters):</p>
            <pre className="command">
              <code>openssl rand -base64 32 | npx wrangler secret put ADMIN_TOKEN</code>
            </pre>
          </div>
        )}
      </div>
    </AdminLayout>
  );
}

export function AdminMessagePage({ site, csrf, status, title, message }: { site: Site; csrf: string | null; status: number; title: string; message: string }) {
  return (
    <AdminLayout site={site} title={title} csrf={csrf}>
      <div className="notice">
        {status >= 400 ? <p className="eyebrow">Error {status}</p> : null}
        <h1>{title}</h1>
        <p className="lede">{message}</p>
        <p>
          <a href="/admin">Back to the dashboard</a>
        </p>
      </div>
    </AdminLayout>
  );
}
