// GET /api/openapi.json (OpenAPI 3.1, built from the routes' own declarations) and GET /api/docs, a
// reference page rendered by Scalar. Both public. The page loads nothing from another host: Scalar's
// standalone bundle is bundled into the Worker (a Text module, see wrangler.toml [[rules]]) and served
// at /api/docs/scalar.js, and the page's CSP (docsSecurityHeaders) allows only this origin, so the
// reference works offline under `npm run dev` and nothing about the API leaks to a CDN.
import { Hono } from 'hono';
import scalarBundle from '@scalar/api-reference/browser/standalone.js';
import type { AppEnv } from '../http/types';
import type { ApiRouter } from './openapi';
import { SCOPE_HELP, SCOPES } from './scopes';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';
const BUNDLE_PATH = '/api/docs/scalar.js';
const INIT_PATH = '/api/docs/init.js';
export const DOCS_PATHS = new Set([OPENAPI_PATH, DOCS_PATH, BUNDLE_PATH, INIT_PATH]);

const DESCRIPTION = `The newsletter's admin API. Every route takes \`Authorization: Bearer <token>\`: the owner's \`ADMIN_TOKEN\` (every scope) or an API key made with \`POST /api/keys\` or on the dashboard's Integrations page, holding only the scopes it was given.

Errors are JSON: \`{"error": {"code", "message"}}\`; branch on \`code\`. 401: no token, or not a current one (a deleted key stops working at once). 403 \`insufficient_scope\`: the key lacks the scope the route names under Authorizations.

Scopes: ${SCOPES.map((s) => `\`${s}\` (${SCOPE_HELP[s]})`).join('; ')}.

Outgoing webhooks (\`/api/webhooks\`) are signed per Standard Webhooks (\`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\`); verify them with any Standard Webhooks library and the endpoint's \`whsec_\` secret.`;

/** Registers the bearer scheme and serves the description, built once per isolate and origin. */
export function describeApi(api: ApiRouter): void {
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN (every scope) or an API key (`nlk_…`, its own scopes). Each operation lists the scope it needs.',
  });
  const cache = new Map<string, unknown>();
  api.get(OPENAPI_PATH, (c) => {
    const server = c.get('config').publicUrl;
    let document = cache.get(server);
    if (!document) {
      document = api.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: `${c.get('config').newsletterName} API`, version: '1.0.0', description: DESCRIPTION },
        servers: [{ url: server }],
        tags: [
          { name: 'Subscribers', description: 'The list' },
          { name: 'Issues', description: 'Articles and their sends' },
          { name: 'Keys', description: 'API keys and their scopes' },
          { name: 'Webhooks', description: 'Outgoing webhooks: endpoints and their delivery log' },
        ],
      });
      cache.set(server, document);
    }
    c.header('Cache-Control', 'no-cache');
    return c.json(document as object);
  });
}

export const docsRoutes = new Hono<AppEnv>();

docsRoutes.get(DOCS_PATH, (c) =>
  c.html(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="robots" content="noindex" />
    <title>API reference</title>
  </head>
  <body>
    <noscript><p>This reference needs JavaScript. The description itself is plain JSON at <a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a>.</p></noscript>
    <div id="app"></div>
    <script src="${BUNDLE_PATH}"></script>
    <script src="${INIT_PATH}"></script>
  </body>
</html>`),
);

// Configuration as a script of this origin (the CSP allows no inline script). No default fonts (they
// come from Scalar's host), no proxy, no links to Scalar's hosted services.
const INIT = `Scalar.createApiReference('#app', ${JSON.stringify({
  url: OPENAPI_PATH,
  withDefaultFonts: false,
  hideClientButton: true,
  showDeveloperTools: 'never',
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  persistAuth: false,
})});`;

docsRoutes.get(INIT_PATH, (c) => c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }));

docsRoutes.get(BUNDLE_PATH, (c) =>
  c.body(scalarBundle, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400' }),
);
