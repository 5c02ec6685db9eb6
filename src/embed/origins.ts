// Which other sites may carry a sign-up form, and where a plain form post may be sent back to.
// One home for both rules: the CSRF check and CORS (src/http/middleware.ts), the 303 of POST
// /subscribe, the CSP frame-ancestors of /embed and the dashboard's snippets all ask here.
//
// Origins are compared as whole strings against SIGNUP_ORIGINS as config.ts stored them (the URL
// parser's serialisation, which is also how a browser writes the `Origin` header). No prefix,
// suffix or pattern match ever: `https://example.com.evil.net`, `https://evil.net/?https://example.com`,
// `null` (sandboxed frames, file: pages, some redirects) and a missing header never equal an entry.
import type { Config } from '../config';

/** How a sign-up ended, as added to `return_to`: `subscribe=pending|invalid|limited`. */
export type SignupResult = 'pending' | 'invalid' | 'limited';

/** URLs longer than this are not a page address a writer typed into a form. */
const MAX_RETURN_TO = 2048;

/** The service's own origin (PUBLIC_URL's). */
export function ownOrigin(config: Config): string {
  return new URL(config.publicUrl).origin;
}

/** True only for an origin listed in SIGNUP_ORIGINS, character for character. */
export function isSignupOrigin(config: Config, origin: string | null | undefined): origin is string {
  return typeof origin === 'string' && config.signupOrigins.includes(origin);
}

/**
 * Where a plain form post goes back to: `return_to` when it is an absolute http(s) URL on an allowed
 * origin (SIGNUP_ORIGINS or this service's own), with `subscribe=<result>` set in its query; else
 * null (the hosted page answers). Relative and protocol-relative addresses (`//evil.net`, `/\evil.net`),
 * `javascript:`, `data:` and URLs carrying a user name are refused, so the redirect can never be
 * steered off the allowed sites (no open redirect).
 */
export function returnTo(config: Config, raw: unknown, result: SignupResult): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RETURN_TO) return null;
  // Absolute only: a scheme at the very start. `new URL('//evil.net')` throws without a base anyway.
  if (!/^https?:\/\//i.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return null;
  if (url.origin !== ownOrigin(config) && !isSignupOrigin(config, url.origin)) return null;
  url.searchParams.set('subscribe', result);
  return url.href;
}

/** CSP `frame-ancestors` for /embed: this service (the dashboard's preview) and SIGNUP_ORIGINS. */
export function frameAncestors(config: Config): string {
  return ["'self'", ...config.signupOrigins].join(' ');
}

/** The framable sign-up page, the script that upgrades forms, and the dashboard page with the snippets. */
export const EMBED_PATH = '/embed';
export const EMBED_SCRIPT_PATH = '/embed.js';
export const SIGNUP_FORM_ADMIN_PATH = '/admin/signup-form';
