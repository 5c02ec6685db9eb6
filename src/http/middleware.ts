// Cross-cutting HTTP concerns, composed in one place (app.ts): configuration, security headers,
// body size limits, cross-site form posts, unknown methods, and one error handler that never
// lets input cause a 5xx.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { type ContentSecurityPolicyOptionHandler, NONCE, secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type Config, ConfigError, getConfig, isLoopbackHost } from '../config';
import { EMBED_PATH, EMBED_SCRIPT_PATH, frameAncestors, isSignupOrigin, SIGNUP_FORM_ADMIN_PATH } from '../embed/origins';
import { fail } from './respond';
import type { AppEnv } from './types';

/** Every public route (CONTRACT "Limits on input"). */
export const PUBLIC_BODY_LIMIT = 64 * 1024;
/** Admin API bodies; the admin routes apply it themselves, after auth (the CSV import streams and has its own). */
export const ADMIN_BODY_LIMIT = 32 * 1024 * 1024;

/** Reserved or private top-level names, never served by Cloudflare's public edge. */
const PRIVATE_TLDS = new Set(['localhost', 'local', 'internal', 'lan', 'home', 'arpa', 'test', 'invalid', 'localdomain', 'intranet', 'corp', 'private']);

/**
 * A host name a deployed Worker could be answering under: a dotted public name (workers.dev, a custom
 * domain). Loopback, IP literals (a LAN address), single-label names and reserved TLDs (a container's
 * `app`, `host.docker.internal`, `devbox.lan`) are someone's own machine or network.
 */
export function isPublicHostName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (isLoopbackHost(host) || host.startsWith('[') || /^[0-9.]+$/.test(host) || !host.includes('.')) return false;
  return !PRIVATE_TLDS.has(host.slice(host.lastIndexOf('.') + 1));
}

/** Validated configuration on the context; a missing secret is a loud 500 on every route that needs it. */
export const withConfig: MiddlewareHandler<AppEnv> = async (c, next) => {
  const config = getConfig(c.env);
  // Every production rule keys off PUBLIC_URL, so one variable must not be trusted alone: a Worker
  // deployed with wrangler.toml's localhost PUBLIC_URL still in place would run on dev defaults (the
  // public dev key for links, the outbox, no HTTPS rule). Refuse it as soon as a request reaches it
  // under a public host name, whatever secrets are set; loopback and private names still count as
  // the developer's own machine or network.
  if (config.isLocalDev && isPublicHostName(new URL(c.req.url).hostname)) {
    throw new ConfigError(
      `PUBLIC_URL (${config.publicUrl}) says local development, but this Worker answers at ${new URL(c.req.url).host}: ` +
        'set PUBLIC_URL in [vars] of wrangler.toml to the public https:// address (and TOKEN_SECRET to a random secret with `npx wrangler secret put TOKEN_SECRET`).',
    );
  }
  c.set('config', config);
  await next();
};

/** The configuration when it is valid, else null (then withConfig answers the 500 that says why). */
function configOrNull(c: Context): Config | null {
  try {
    return getConfig(c.env);
  } catch {
    return null;
  }
}

const TURNSTILE_ORIGIN = 'https://challenges.cloudflare.com';

/**
 * Strict CSP on every answer (pages, errors, JSON): scripts only with this request's nonce (the
 * Turnstile loader on public pages, the dashboard's progress poll on an issue page) or from
 * Turnstile's host, which Cloudflare documents as the two ways to allow it (/embed.js is a script
 * file of this service); its iframe from that host; no inline styles, no
 * plugins, no framing, forms post only here. Plus nosniff, no referrer across origins, and no
 * powerful features. Some routes differ, each as little as it needs (securityHeaders below):
 * - /embed may be framed by this service and the SIGNUP_ORIGINS (frame-ancestors), and by nobody else;
 * - the editor and /admin/signup-form frame pages of this service (frame-src 'self');
 * - /media/* and /embed.js are loaded by pages on other origins (CORP cross-origin);
 * - the editor's email preview is the email itself.
 */
const NOT_FRAMED = "'none'";

/** The page headers with the parts that differ by route: CORP, extra frame-src, and who may frame the answer. */
const headersWith = (crossOriginResourcePolicy: string, frameSrc: string[] = [], frameAncestors: (string | ContentSecurityPolicyOptionHandler)[] = [NOT_FRAMED]) =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: [NONCE, TURNSTILE_ORIGIN],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      frameSrc: [...frameSrc, TURNSTILE_ORIGIN],
      connectSrc: ["'self'", TURNSTILE_ORIGIN],
      formAction: ["'self'"],
      frameAncestors,
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
    // X-Frame-Options cannot name origins: where framing is allowed at all, CSP frame-ancestors says by whom.
    xFrameOptions: frameAncestors.length === 1 && frameAncestors[0] === NOT_FRAMED ? 'DENY' : false,
    referrerPolicy: 'strict-origin-when-cross-origin',
    crossOriginEmbedderPolicy: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [], usb: [] },
    crossOriginResourcePolicy,
  });

const pageHeaders = headersWith('same-origin');
/**
 * Loaded by pages on other origins: article images (/media/*, by mail clients and webmail pages) and
 * /embed.js (a `<script src>` on the writer's site, a no-cors load that CORP same-origin would block).
 */
const crossOriginHeaders = headersWith('cross-origin');
/** The editor's pages frame its email preview; the sign-up form page frames /embed (both same origin). */
const ownFramesHeaders = headersWith('same-origin', ["'self'"]);
const EDITOR_PATH = /^\/admin\/issues\/(?:new|[a-z0-9-]+\/edit)$/;
/** /embed: framed by this service (the dashboard's preview) and the SIGNUP_ORIGINS, nobody else. */
const embedHeaders = headersWith('same-origin', [], [
  (c) => {
    const config = configOrNull(c);
    return config ? frameAncestors(config) : NOT_FRAMED;
  },
]);
/**
 * The editor's email preview is the email itself: its inline styles and its images from anywhere, no
 * script at all, and framed only by the dashboard's own pages.
 */
const emailPreviewHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ['https:', 'http:', 'data:'], frameAncestors: ["'self'"], baseUri: ["'self'"], formAction: ["'none'"] },
  xFrameOptions: 'SAMEORIGIN',
  referrerPolicy: 'no-referrer',
  crossOriginEmbedderPolicy: false,
});
const EMAIL_PREVIEW_PATH = /^\/admin\/issues\/(?:[a-z0-9-]+\/)?preview$/;

export const securityHeaders: MiddlewareHandler<AppEnv> = (c, next) => {
  const path = c.req.path;
  if (path.startsWith('/media/') || path === EMBED_SCRIPT_PATH) return crossOriginHeaders(c, next);
  if (path === EMBED_PATH) return embedHeaders(c, next);
  if (EMAIL_PREVIEW_PATH.test(path)) return emailPreviewHeaders(c, next);
  if (EDITOR_PATH.test(path) || path === SIGNUP_FORM_ADMIN_PATH) return ownFramesHeaders(c, next);
  return pageHeaders(c, next);
};

/**
 * /api/docs (Scalar's renderer, served from this Worker): scripts only from this origin, inline styles
 * (the renderer sets them at run time), data: fonts; nothing from any other host, no framing.
 */
export const docsSecurityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'strict-origin-when-cross-origin',
  crossOriginEmbedderPolicy: false,
});

export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: (c) => fail(c as Context<AppEnv>, 413, 'payload_too_large', `The request body is larger than ${Math.round(maxSize / 1024)} KB. Send less.`, 'Too much data'),
  });
}

const publicLimit = limitBody(PUBLIC_BODY_LIMIT);

/**
 * 64 KB on every public route, whether or not the body says its length (chunked bodies are counted as
 * they stream). The admin API and the dashboard's upload are left to set their own, larger limit after
 * they have checked the token or session, so nobody unauthenticated can make the Worker read megabytes.
 */
export const limitPublicBodies: MiddlewareHandler<AppEnv> = (c, next) =>
  c.req.path.startsWith('/api/') || ADMIN_UPLOAD_PATHS.test(c.req.path) ? next() : publicLimit(c, next);

/**
 * The dashboard's CSV upload and the editor's posts (an article with an image): like /api/*, they set
 * their own limit once the session is checked (src/admin/dashboard.ts, src/admin/editor.ts).
 */
const ADMIN_UPLOAD_PATHS = /^\/admin\/(?:subscribers\/import|media|issues\/(?:new|check|preview|[a-z0-9-]+\/edit))$/;

const sameSiteOnly = csrf({
  origin: (origin, c) => origin === new URL(c.req.url).origin || origin === new URL(getConfig(c.env).publicUrl).origin,
});

/**
 * Routes a browser on another site may post to:
 * - /unsubscribe and /preferences/not-me: the signed token is the only authority (nothing ambient to
 *   forge), and RFC 8058 one-click posts come from mail providers, some of them from a webmail page
 *   on their own origin (not-me is the List-Unsubscribe of the change-of-address email);
 * - /webhooks/*: server to server, Svix-signed;
 * - /api/*: bearer token only, no cookie, so nothing a forged post could ride on.
 * And /subscribe from the SIGNUP_ORIGINS only (the writer's own sites), matched exactly
 * (src/embed/origins.ts): a sign-up carries nothing ambient either, and gets the same checks as here.
 */
const CROSS_SITE_ALLOWED = /^\/(?:unsubscribe$|preferences\/not-me$|webhooks\/|api\/)/;

/** The one route a form on a SIGNUP_ORIGINS site may post to. */
const SIGNUP_PATH = '/subscribe';

/**
 * Form posts from another site are refused with 403 (Hono's CSRF check on Origin and Sec-Fetch-Site).
 * A post that carries neither header (curl, a mail provider's server) is not a browser's cross-site
 * post and goes through; so do JSON posts, which a browser only sends cross-site after a CORS
 * preflight that this service never grants.
 */
export const refuseCrossSitePosts: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (CROSS_SITE_ALLOWED.test(c.req.path)) return next();
  // A sign-up form on one of the writer's own sites (SIGNUP_ORIGINS): that route only, exact origin only.
  if (c.req.path === SIGNUP_PATH && isSignupOrigin(c.get('config'), c.req.header('origin'))) return next();
  if (c.req.header('origin') === undefined && c.req.header('sec-fetch-site') === undefined) return next();
  try {
    return await sameSiteOnly(c, next);
  } catch (error) {
    // Only the CSRF check's own refusal (thrown before next() runs) becomes this 403.
    if (error instanceof HTTPException && error.status === 403 && error.res) {
      return fail(c, 403, 'cross_site_request', 'This form was posted from another site. Use the form on this site instead.', 'Not allowed');
    }
    throw error;
  }
};

/** Hono's CORS for the sign-up route: the allowed origin echoed, `Vary: Origin`, no credentials. */
const signupCorsHeaders = cors({
  origin: (origin, c) => (isSignupOrigin((c as Context<AppEnv>).get('config'), origin) ? origin : null),
  allowMethods: ['POST'],
  allowHeaders: ['Content-Type', 'Accept'],
  credentials: false,
  maxAge: 7200,
});

/**
 * CORS on POST /subscribe, for the script (/embed.js) and any `fetch` on an allowed site. A preflight
 * (`OPTIONS` with `Origin`) is answered for SIGNUP_ORIGINS only; any other origin gets 403 and no CORS
 * header, so its browser never sends the request. Other routes get no CORS at all.
 */
export const signupCors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header('origin');
  if (c.req.method === 'OPTIONS' && origin === undefined) return next(); // not a preflight: 405 with Allow
  if (c.req.method === 'OPTIONS' && !isSignupOrigin(c.get('config'), origin)) {
    return fail(c, 403, 'cross_site_request', 'This origin may not post sign-ups here. The newsletter\'s operator can add it to SIGNUP_ORIGINS.', 'Not allowed');
  }
  return signupCorsHeaders(c, next);
};

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The methods some route of `app` answers at `path` (HEAD with GET), for a 405 instead of a 404.
 * Asks the app's own router, so routes added by any capability are known without a list here.
 */
export function allowedMethods(app: Hono<AppEnv>, path: string): string[] {
  const allowed: string[] = [];
  for (const method of METHODS) {
    try {
      const [matches] = app.router.match(method, path) as unknown as [[[unknown, { method: string }], unknown][]];
      if (matches.some(([[, route]]) => route?.method !== 'ALL')) allowed.push(method);
    } catch {
      // A router that cannot say: fall back to 404.
    }
  }
  if (allowed.includes('GET')) allowed.splice(1, 0, 'HEAD');
  return allowed;
}

/** 404 for an address nothing answers; 405 with `Allow` for a known address asked with the wrong method. */
export function notFound(app: Hono<AppEnv>) {
  return (c: Context<AppEnv>): Response => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      c.header('Allow', allowed.join(', '));
      return fail(c, 405, 'method_not_allowed', `${c.req.method} is not used here; this address answers ${allowed.join(', ')}.`, 'Not allowed');
    }
    return fail(c, 404, 'not_found', 'There is nothing at this address. Start from the home page.', 'Not found');
  };
}

const HTTP_ERRORS: Partial<Record<number, [code: string, message: string]>> = {
  400: ['bad_request', 'The request could not be read.'],
  401: ['unauthorized', 'This needs credentials.'],
  403: ['forbidden', 'This is not allowed.'],
  404: ['not_found', 'There is nothing at this address.'],
  405: ['method_not_allowed', 'This method is not used here.'],
  408: ['request_timeout', 'The request took too long to arrive.'],
  413: ['payload_too_large', `The request body is too large.`],
  415: ['unsupported_media_type', 'This content type is not accepted here.'],
  429: ['rate_limited', 'Too many requests. Wait a minute and try again.'],
};

/**
 * Every thrown error ends here: an HTTPException (from Hono or a handler) becomes its 4xx in the contract's
 * shape; a missing secret a 500 that says so; anything else a clean 500 with a request id, the detail
 * only in the log.
 */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof HTTPException && error.status < 500) {
    let [code, fallback] = HTTP_ERRORS[error.status] ?? ['bad_request', 'The request could not be handled.'];
    // @hono/zod-openapi's JSON validator throws this for a body that does not parse.
    if (error.status === 400 && /^Malformed JSON/.test(error.message)) [code, fallback] = ['invalid_json', 'The body is not valid JSON.'];
    if (error.status === 415) fallback = 'This content type is not accepted here: GET /api/openapi.json lists what each route takes.';
    const message = error.status === 400 && code === 'invalid_json' ? 'The body is not valid JSON. Send an object like {"to": "you@example.com"}.' : error.status === 415 ? fallback : error.message || fallback;
    const authenticate = error.res?.headers.get('www-authenticate');
    if (authenticate) c.header('WWW-Authenticate', authenticate);
    return fail(c, error.status as ContentfulStatusCode, code, message);
  }
  const requestId = crypto.randomUUID();
  c.header('X-Request-Id', requestId);
  if (error instanceof ConfigError) {
    console.error(`config error [${requestId}]: ${error.message}`);
    return fail(c, 500, 'not_configured', `This service is not configured correctly yet; the operator can find the problem in the logs (request ${requestId}).`, 'Not configured');
  }
  let path = '?';
  try {
    path = new URL(c.req.url).pathname;
  } catch {}
  console.error(`unexpected error [${requestId}] ${c.req.method} ${path}: ${error?.stack ?? error}`);
  const message = `Something went wrong on our side. Please try again in a minute (request ${requestId}).`;
  try {
    return fail(c, 500, 'internal_error', message, 'Something went wrong');
  } catch (renderError) {
    // Even the error page failed: answer in the contract's shape without rendering anything.
    console.error(`error page failed [${requestId}]: ${(renderError as Error)?.stack ?? renderError}`);
    return c.json({ error: { code: 'internal_error', message } }, 500);
  }
}
