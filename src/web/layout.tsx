/** @jsxRuntime automatic */
/** @jsxImportSource react */
import type React from "react";

export type Site = { name: string; tagline: string };

export type LayoutProps = {
  site: Site;
  /** Page title; the document title becomes "{title} · {site.name}". */
  title: string;
  /** Meta description; defaults to the tagline. */
  description?: string;
  /** Which nav entry is the current page, for aria-current. */
  current?: "home" | "archive";
  /** Token pages and the dev outbox: noindex + no-referrer. */
  noindex?: boolean;
  /** Wider main column (the dev outbox). */
  wide?: boolean;
  children?: React.ReactNode;
};

/** A small SVG favicon (the name's first letter on the accent colour), inline so it costs no request. */
export function favicon(name: string): string {
  const letter = ([...name.replace(/^the\s+/i, "").trim()][0] ?? "N").toUpperCase().replace(/[<>&'"]/g, "N");
  const svg =
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>" +
    "<rect width='32' height='32' rx='7' fill='#1d5b70'/>" +
    `<text x='16' y='23' font-family='Georgia,serif' font-size='20' font-weight='700' fill='#fff' text-anchor='middle'>${letter}</text>` +
    "</svg>";
  return "data:image/svg+xml," + encodeURIComponent(svg);
}

export function Layout({ site, title, description, current, noindex, wide, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} · ${site.name}`}</title>
        <meta name="description" content={description ?? site.tagline} />
        {noindex ? <meta name="robots" content="noindex, nofollow" /> : null}
        {noindex ? <meta name="referrer" content="no-referrer" /> : null}
        <link rel="stylesheet" href="/styles.css" />
        <link rel="icon" href={favicon(site.name)} />
        <link rel="alternate" type="application/rss+xml" title={site.name} href="/feed.xml" />
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="wrap site-header__inner">
            <a className="brand" href="/" aria-current={current === "home" ? "page" : undefined}>
              {site.name}
            </a>
            <nav aria-label="Site">
              <ul className="nav">
                <li>
                  <a href="/archive" aria-current={current === "archive" ? "page" : undefined}>
                    Archive
                  </a>
                </li>
                <li>
                  <a href="/feed.xml">RSS</a>
                </li>
              </ul>
            </nav>
          </div>
        </header>
        <main id="main" tabIndex={-1} className={wide ? "wrap wrap--wide" : "wrap"}>
          {children}
        </main>
        <footer className="site-footer">
          <div className="wrap">
            <p>
              <strong>{site.name}</strong>
              {site.tagline ? <span> · {site.tagline}</span> : null}
            </p>
            <ul className="footer-links">
              <li>
                <a href="/">Subscribe</a>
              </li>
              <li>
                <a href="/archive">Archive</a>
              </li>
              <li>
                <a href="/feed.xml">RSS feed</a>
              </li>
            </ul>
          </div>
        </footer>
      </body>
    </html>
  );
}
