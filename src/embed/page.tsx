/** @jsxRuntime automatic */
/** @jsxImportSource react */
// GET /embed: the sign-up form alone, for an <iframe> on the writer's own site. No header, nav or
// footer; it fits a 320 px column. Without JavaScript the form posts here and comes back to /embed
// with `subscribe=<result>` (the page then says how it went); with it, /embed.js answers inline and
// tells the parent page its height (to allowed origins only, see src/embed/script.ts).
import { favicon, type Site } from "../web/layout";
import { SubscribeForm } from "../web/pages";
import type { SignupResult } from "./origins";

/** What the status line says after a sign-up; /embed.js says the same after an inline one. */
export const RESULT_MESSAGES: Record<SignupResult, string> = {
  pending: "Almost done: check your inbox and follow the link we sent to confirm.",
  invalid: "That did not work: check the email address and try again.",
  limited: "Too many sign-ups from here just now. Wait a minute and try again.",
};

export type EmbedPageProps = {
  site: Site;
  /** Absolute URL of this page, where a plain post comes back to. */
  returnTo: string;
  result: SignupResult | null;
  /** Origins the page may tell its height to (this service's own and SIGNUP_ORIGINS), space-separated. */
  frameOrigins: string;
  turnstileSiteKey: string | null;
  nonce: string | null;
  archiveUrl: string;
  /** `?theme=light|dark`: the writer's site picks the palette; null follows the reader's system. */
  theme: "light" | "dark" | null;
};

export function EmbedPage({ site, returnTo, result, frameOrigins, turnstileSiteKey, nonce, archiveUrl, theme }: EmbedPageProps) {
  return (
    <html lang="en" className={theme ? `theme-${theme}` : undefined}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content={theme ?? "light dark"} />
        <meta name="robots" content="noindex" />
        <title>{`Subscribe · ${site.name}`}</title>
        <link rel="stylesheet" href="/styles.css" />
        <link rel="icon" href={favicon(site.name)} />
      </head>
      <body className="embed" data-newsletter-frame={frameOrigins}>
        <main className="embed__main">
          <h1 className="embed__title">{site.name}</h1>
          {site.tagline ? <p className="embed__tagline">{site.tagline}</p> : null}
          <SubscribeForm
            idPrefix="embed"
            compact
            turnstileSiteKey={turnstileSiteKey}
            nonce={nonce}
            returnTo={returnTo}
            enhance={{ status: result ? RESULT_MESSAGES[result] : null, tone: result && result !== "pending" ? "error" : "info" }}
          />
          <p className="embed__more">
            <a href={archiveUrl} target="_blank" rel="noopener">
              Read past issues<span className="visually-hidden"> (opens in a new tab)</span>
            </a>
          </p>
        </main>
        <script src="/embed.js" nonce={nonce ?? undefined} async />
      </body>
    </html>
  );
}
