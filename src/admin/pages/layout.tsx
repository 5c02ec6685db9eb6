/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type React from "react";
import { favicon, type Site } from "../../web/layout";

export type AdminSection = "overview" | "issues" | "subscribers" | "signup-form" | "integrations" | "sessions";

export type AdminLayoutProps = {
  site: Site;
  title: string;
  /** The nav entry for aria-current; none on the sign-in page. */
  current?: AdminSection;
  /** The session's CSRF token, for the sign-out form; null when nobody is signed in. */
  csrf: string | null;
  /** An inline script (run under the request's CSP nonce). */
  script?: { source: string; nonce: string | null } | null;
  children?: React.ReactNode;
};

const SECTIONS: [AdminSection, string, string][] = [
  ["overview", "Overview", "/admin"],
  ["issues", "Issues", "/admin/issues"],
  ["subscribers", "Subscribers", "/admin/subscribers"],
  ["signup-form", "Sign-up form", "/admin/signup-form"],
  ["integrations", "Integrations", "/admin/integrations"],
  ["sessions", "Sessions", "/admin/sessions"],
];

/** Every dashboard page: never indexed, never sent as a referrer, the operator's nav and sign-out. */
export function AdminLayout({ site, title, current, csrf, script, children }: AdminLayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="robots" content="noindex, nofollow" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · Admin · ${site.name}`}</title>
        <link rel="stylesheet" href="/styles.css" />
        <link rel="stylesheet" href="/admin/admin.css" />
        <link rel="icon" href={favicon(site.name)} />
      </head>
      <body className="admin">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="wrap wrap--admin site-header__inner">
            <a className="brand" href="/admin">
              {site.name} <span className="muted">· Admin</span>
            </a>
            {csrf ? (
              <div className="admin-nav">
                <nav aria-label="Dashboard">
                  <ul className="nav">
                    {SECTIONS.map(([key, label, href]) => (
                      <li key={key}>
                        <a href={href} aria-current={current === key ? "page" : undefined}>
                          {label}
                        </a>
                      </li>
                    ))}
                  </ul>
                </nav>
                <form className="signout" method="post" action="/admin/logout">
                  <input type="hidden" name="_csrf" value={csrf} />
                  <button type="submit" className="link-button">
                    Sign out
                  </button>
                </form>
              </div>
            ) : (
              <a className="muted" href="/">
                Public site
              </a>
            )}
          </div>
        </header>
        <main id="main" tabIndex={-1} className="wrap wrap--admin">
          {children}
        </main>
        {script ? <script nonce={script.nonce ?? undefined} dangerouslySetInnerHTML={{ __html: script.source }} /> : null}
      </body>
    </html>
  );
}

export function Badge({ status }: { status: string }) {
  return <span className={`badge badge--${status}`}>{status}</span>;
}

/**
 * The outcome of the last action, on every dashboard page: a notice (role=status, read politely)
 * and an error (role=alert, read at once). The one home of that markup.
 */
export function Flash({ notice, error }: { notice?: string | null; error?: string | null }) {
  return (
    <>
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
    </>
  );
}

/** A one-button POST form that deletes something (CSRF included); `label` names what, for screen readers. */
export function DeleteButton({ action, csrf, label }: { action: string; csrf: string; label: string }) {
  return (
    <form method="post" action={action}>
      <Csrf token={csrf} />
      <button type="submit" className="button button--danger" aria-label={label}>
        Delete
      </button>
    </form>
  );
}

/** One hidden field, in every form that changes something. */
export function Csrf({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}
