// The API (`/api/*`): its description and reference page (public), then bearer auth, then the body
// limit, then each capability's routes. Every route module is an OpenAPIHono router (see openapi.ts
// for how to add a route); mounting it here puts it in GET /api/openapi.json.
// The CSV and archive imports are left out of the body limit: Hono's buffers a body sent without a length, and the
// imports stream their own (up to IMPORT_BODY_LIMIT, counted as it reads). No CSRF check: the
// credential is a header a browser never adds by itself.
import { adminArchiveRoutes, ARCHIVE_IMPORT_PATH } from '../admin/archive';
import { adminArticleRoutes } from '../admin/articles';
import { adminIssueRoutes } from '../admin/issues';
import { adminSubscriberRoutes, IMPORT_PATH } from '../admin/subscribers';
import { ADMIN_BODY_LIMIT, limitBody } from '../http/middleware';
import { keyRoutes } from '../keys/routes';
import { mediaUploadRoutes } from '../media/routes';
import { outgoingWebhookRoutes } from '../webhooks/out/routes';
import { authenticate } from './auth';
import { DOCS_PATHS, docsRoutes, describeApi } from './docs';
import { createApiRouter } from './openapi';

export const apiRoutes = createApiRouter();

const bodyLimit = limitBody(ADMIN_BODY_LIMIT);
/** Public: the description and its reference page. Everything else under /api needs a bearer token. */
const auth = authenticate(declaresScope);
apiRoutes.use('/api/*', (c, next) => (DOCS_PATHS.has(c.req.path) ? next() : auth(c, next)));
/** The imports stream their own bodies, counted as they read (a buffering limit would hold 64 MB). */
const STREAMED = new Set([IMPORT_PATH, ARCHIVE_IMPORT_PATH]);
apiRoutes.use('/api/*', (c, next) => (STREAMED.has(c.req.path) || DOCS_PATHS.has(c.req.path) ? next() : bodyLimit(c, next)));

apiRoutes.route('/', adminSubscriberRoutes);
apiRoutes.route('/', adminIssueRoutes);
apiRoutes.route('/', adminArticleRoutes);
apiRoutes.route('/', mediaUploadRoutes);
apiRoutes.route('/', adminArchiveRoutes);
apiRoutes.route('/', keyRoutes);
apiRoutes.route('/', outgoingWebhookRoutes);

describeApi(apiRoutes);
apiRoutes.route('/', docsRoutes);

/** The operations of the spec, as method + path patterns (built once, after every route is mounted). */
let declared: { method: string; pattern: RegExp }[] | null = null;

function declaresScope(method: string, path: string): boolean {
  declared ??= apiRoutes.openAPIRegistry.definitions.flatMap((d) =>
    d.type === 'route' && d.route.security?.length
      ? [{ method: d.route.method.toUpperCase(), pattern: new RegExp(`^${d.route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`) }]
      : [],
  );
  const m = method === 'HEAD' ? 'GET' : method;
  return declared.some((d) => d.method === m && d.pattern.test(path));
}

