// Sign-up forms on the writer's own sites: the framable page (/embed) and the script (/embed.js).
// The rest of this capability lives where its rule is applied once for every route: the allowed
// origins (./origins.ts) in the CSRF check, CORS and CSP (src/http/middleware.ts), `return_to` in
// POST /subscribe (src/subscribers/routes.ts), the snippets in the dashboard (src/admin/dashboard.ts).
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { page, site, wantsJson } from '../http/respond';
import type { AppEnv } from '../http/types';
import { EMBED_PATH, EMBED_SCRIPT_PATH, frameAncestors, ownOrigin, type SignupResult } from './origins';
import { EmbedPage } from './page';
import { embedScript } from './script';

export const embedRoutes = new Hono<AppEnv>();

const RESULTS: readonly SignupResult[] = ['pending', 'invalid', 'limited'];
const THEMES = ['light', 'dark'] as const;

embedRoutes.get(EMBED_PATH, (c) => {
  const config = c.get('config');
  if (wantsJson(c)) return c.json({ subscribe: { method: 'POST', url: '/subscribe', fields: ['email', 'name'] } });
  const result = RESULTS.find((r) => r === c.req.query('subscribe')) ?? null;
  const theme = THEMES.find((t) => t === c.req.query('theme')) ?? null;
  // The CSP lists who may frame this page; the page lists whom it tells its height (the same origins).
  const frameOrigins = frameAncestors(config).replace("'self'", ownOrigin(config));
  return page(
    c,
    EmbedPage({
      site: site(c),
      // A plain post comes back here, in the same theme.
      returnTo: `${config.publicUrl}${EMBED_PATH}${theme ? `?theme=${theme}` : ''}`,
      result,
      frameOrigins,
      turnstileSiteKey: config.turnstile?.siteKey ?? null,
      nonce: c.get('secureHeadersNonce') ?? null,
      archiveUrl: `${config.publicUrl}/archive`,
      theme,
    }),
  );
});

// Cached an hour by browsers and the edge; the ETag makes the check after that a 304. A change of
// PUBLIC_URL or of the Turnstile key reaches every page within the hour.
embedRoutes.get(EMBED_SCRIPT_PATH, etag(), (c) =>
  c.body(embedScript(c.get('config')), 200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': 'public, max-age=3600',
  }),
);
