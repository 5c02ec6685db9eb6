// One way to answer: HTML pages for people, JSON for programs (`Accept: application/json`, or a JSON body).
// Errors in JSON: {"error": {"code", "message"}}; in HTML: a page that says what is wrong and what to do.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ReactElement } from 'react';
import { MessagePage } from '../web/pages';
import { renderPage } from '../web/render';
import type { AppEnv } from './types';

export function wantsJson(c: Context<AppEnv>): boolean {
  if (/^\/(api|webhooks)\//.test(c.req.path)) return true; // machine-only routes always answer JSON
  const accept = c.req.header('accept') ?? '';
  if (/application\/json/i.test(accept) && !/text\/html/i.test(accept)) return true;
  return !accept.includes('text/html') && /application\/json/i.test(c.req.header('content-type') ?? '');
}

export function site(c: Context<AppEnv>) {
  const config = c.get('config');
  return { name: config?.newsletterName ?? 'Newsletter', tagline: config?.tagline ?? '' };
}

export function page(c: Context<AppEnv>, element: ReactElement, status: ContentfulStatusCode = 200): Response {
  return c.html(renderPage(element), status);
}

/** An error answer in the shape the client asked for. `title` heads the HTML page. */
export function fail(c: Context<AppEnv>, status: ContentfulStatusCode, code: string, message: string, title = 'Something is not right'): Response {
  if (wantsJson(c)) return c.json({ error: { code, message } }, status);
  return page(c, MessagePage({ site: site(c), status, title, message }), status);
}
