// Who is calling the API, and may they do this? Two credentials, both `Authorization: Bearer …`:
// ADMIN_TOKEN (the owner: every scope) and API keys (src/keys/store.ts: the scopes they were given).
// `authenticate` runs once for every /api route (src/api/routes.ts); each route then declares the one
// scope it needs beside its schemas (apiRoute in openapi.ts), checked by `requireScope`.
// A token in the query string is never looked at. The owner's token is compared in constant time
// (sameSecret); a key is found by the SHA-256 of what was presented, which leaks nothing usable.
import type { MiddlewareHandler } from 'hono';
import { sameSecret, throttleBearerFailures } from '../admin/auth';
import { SIGN_IN_WINDOW_MS } from '../admin/throttle';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { findKey } from '../keys/store';
import { SCOPES, type Scope } from './scopes';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const MAX_HEADER = 4096;

export type Principal = { kind: 'owner'; scopes: readonly Scope[] } | { kind: 'key'; keyId: string; scopes: readonly Scope[] };

/**
 * Bearer auth for every /api route. `declaresScope` says whether the request matches a route that
 * declares a scope (in the spec): a key is refused (403) anywhere else, so a route added in the old
 * style, without a scope, is the owner's alone until it declares one. Deny by default.
 */
export const authenticate = (declaresScope: (method: string, path: string) => boolean): MiddlewareHandler<AppEnv> => async (c, next) => {
  const expected = c.get('config').adminToken;
  const header = c.req.header('authorization') ?? '';
  const presented = header.length <= MAX_HEADER ? BEARER.exec(header)?.[1] : undefined;
  // Set by identify (a closure, so TypeScript cannot follow it: read back through `found()`).
  let principal: Principal | null = null;
  const found = (): Principal | null => principal;
  const identify = async (): Promise<boolean> => {
    if (presented && expected && (await sameSecret(presented, expected))) principal = { kind: 'owner', scopes: SCOPES };
    else if (presented) {
      const key = await findKey(c.get('db'), presented);
      if (key) {
        principal = { kind: 'key', keyId: key.id, scopes: key.scopes };
        const touch = key.touch().catch((error) => console.error(`api: lastUsedAt of ${key.id} not written: ${error}`));
        // After the answer when the runtime lets us (a request made without an execution context waits).
        try {
          c.executionCtx.waitUntil(touch);
        } catch {
          await touch;
        }
      }
    }
    return principal !== null;
  };
  // A header that is there at all is a guess, and counts against the client's throttle (the
  // sign-in's, under its own key); no header guesses nothing and is simply 401.
  const verdict = header ? await throttleBearerFailures(c.get('db'), c.req.header('cf-connecting-ip'), identify) : 'wrong';
  if (verdict === 'limited') {
    c.header('Retry-After', String(SIGN_IN_WINDOW_MS / 1000));
    return fail(c, 429, 'rate_limited', 'Too many wrong tokens from your network: wait a minute, then try again with the right one.', 'Slow down');
  }
  const who = found();
  if (!who) {
    c.header('WWW-Authenticate', 'Bearer realm="api"');
    const message = presented
      ? 'This bearer token is not the admin token or a current API key (a deleted key stops working at once).'
      : expected
        ? 'Send the admin token or an API key as "Authorization: Bearer <token>".'
        : 'Send an API key as "Authorization: Bearer <key>" (no ADMIN_TOKEN is configured: run `npx wrangler secret put ADMIN_TOKEN`, or set it in .dev.vars).';
    return fail(c, 401, 'unauthorized', message, 'Not signed in');
  }
  c.set('principal', who);
  if (who.kind === 'key' && !declaresScope(c.req.method, c.req.path)) {
    return fail(c, 403, 'insufficient_scope', 'This route declares no scope yet, so only the admin token may call it.', 'Not allowed');
  }
  await next();
};

/** 403 insufficient_scope unless the caller holds `scope` (the owner holds every scope). */
export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    if (!principal?.scopes.includes(scope)) {
      c.header('WWW-Authenticate', `Bearer realm="api", error="insufficient_scope", scope="${scope}"`);
      return fail(c, 403, 'insufficient_scope', `This key lacks the "${scope}" scope this route needs. Create a key with it (POST /api/keys, or the dashboard's Integrations page).`, 'Not allowed');
    }
    await next();
  };
}
