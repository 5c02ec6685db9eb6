// Cross-cutting HTTP concerns, composed in one place (app.ts): configuration, security headers,
// body size limits, cross-site form posts, and one error handler that never lets input cause a 5xx.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import { ConfigError, getConfig } from '../config';
import { fail } from './respond';
import type { AppEnv } from './types';

export const PUBLIC_BODY_LIMIT = 64 * 1024;
export const ADMIN_BODY_LIMIT = 32 * 1024 * 1024;

/** Validated configuration on the context; a missing secret is a loud 500 on every route that needs it. */
export const withConfig: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set('config', getConfig(c.env));
  await next();
};

/** CSP with a per-request nonce (only the confirm page's auto-submit script uses it), nosniff, no framing. */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: [NONCE, 'https://challenges.cloudflare.com'],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    frameSrc: ['https://challenges.cloudflare.com'],
    connectSrc: ["'self'", 'https://challenges.cloudflare.com'],
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
    onError: (c) => fail(c as Context<AppEnv>, 413, 'payload_too_large', `The request body is larger than ${Math.round(maxSize / 1024)} KB.`, 'Too much data'),
  });
}

const sameSiteOnly = csrf({
  origin: (origin, c) => origin === new URL(c.req.url).origin || origin === getConfig(c.env).publicUrl.replace(/^(https?:\/\/[^/]+).*$/, '$1'),
});

/**
 * Form posts from another site are refused (Hono's CSRF check on Origin / Sec-Fetch-Site).
 * A post that carries neither header (curl, a mail client's server) is not a browser's cross-site post.
 */
export const refuseCrossSitePosts: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header('origin') === undefined && c.req.header('sec-fetch-site') === undefined) return next();
  return sameSiteOnly(c, next);
};

/** Every thrown error ends here: known ones become their 4xx, anything else a clean 500 with a request id. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof HTTPException) {
    if (error.status === 403) return fail(c, 403, 'cross_site_request', 'This form was posted from another site. Use the form on this site.', 'Not allowed');
    return fail(c, error.status, 'bad_request', error.message || 'The request could not be read.');
  }
  const requestId = crypto.randomUUID();
  if (error instanceof ConfigError) {
    console.error(`config error [${requestId}]: ${error.message}`);
    return fail(c, 500, 'not_configured', `This service is not configured correctly yet; the operator can find the problem in the logs (request ${requestId}).`, 'Not configured');
  }
  console.error(`unexpected error [${requestId}] ${c.req.method} ${new URL(c.req.url).pathname}: ${error.stack ?? error}`);
  return fail(c, 500, 'internal_error', `Something went wrong on our side. Please try again in a minute (request ${requestId}).`, 'Something went wrong');
}
