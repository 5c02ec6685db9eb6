// Admin API: importing back issues from Substack or Ghost into the archive (src/archive/import.ts).
// Declared like every /api route (src/api/openapi.ts); auth is applied in src/api/routes.ts, the body
// limit is not: this route streams its body and counts it itself, like the subscriber import.
import { apiRoute, createApiRouter, json, problem, z } from '../api/openapi';
import { importArchive } from '../archive/import';
import { IMPORT_BODY_LIMIT } from '../subscribers/import';
import { DryRun } from './subscribers';

export const adminArchiveRoutes = createApiRouter();

export const ARCHIVE_IMPORT_PATH = '/api/archive/import';

const ArchiveReport = z
  .object({
    format: z.enum(['substack', 'ghost']),
    imported: z.number().int(),
    skipped: z.array(z.object({ id: z.string(), reason: z.string() })).openapi({ description: 'Posts not imported (drafts, pages, paid-only, slugs taken...), each with why.' }),
    issues: z.array(z.object({ slug: z.string(), title: z.string(), date: z.string() })).openapi({ description: 'The issues imported (or, in a dry run, that would be), oldest first.' }),
    dryRun: z.literal(true).optional(),
  })
  .openapi('ArchiveImportReport');

/** An http(s) origin (a path is allowed: a Ghost site under /blog). null when absent, false when not a URL. */
function parseSiteUrl(value: string | undefined): string | null | false {
  if (value === undefined || value === '') return null;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return false;
  }
}

const SiteUrl = z
  .string()
  .optional()
  .refine((v) => parseSiteUrl(v) !== false, { message: "site_url must be the old site's address, like https://old.example.com.", params: { code: 'invalid_site_url' } })
  .transform((v) => parseSiteUrl(v) || null)
  .openapi({ type: 'string', description: "The old Ghost site's address, for its `__GHOST_URL__` links (posts that have them are skipped without it)." });

adminArchiveRoutes.openapi(
  apiRoute({
    method: 'post',
    path: ARCHIVE_IMPORT_PATH,
    scope: 'issues:write',
    tags: ['Issues'],
    summary: 'Import back issues from a Substack export (zip) or a Ghost export (JSON): archived as sent, never mailed',
    request: {
      query: z.object({ dry_run: DryRun, site_url: SiteUrl }),
      body: {
        content: {
          // Ghost's JSON export is sent as it is too (any Content-Type: the file's first bytes say what it
          // is). Not declared as application/json: the library would then parse 100 MB into memory to
          // validate it, where the importer streams it post by post.
          'application/zip': { schema: z.string().openapi({ format: 'binary', description: 'Substack: the export zip with posts.csv and posts/*.html.' }) },
          'application/octet-stream': { schema: z.string().openapi({ format: 'binary', description: "Ghost: the site's JSON export, as downloaded (application/json works too); or the Substack zip." }) },
        },
        required: true,
      },
    },
    responses: {
      200: json(ArchiveReport, 'What was imported (or, in a dry run, would be)'),
    },
  }),
  async (c) => {
    const { dry_run: dryRun, site_url: siteUrl } = c.req.valid('query');
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > IMPORT_BODY_LIMIT) {
      return problem(c, 413, 'payload_too_large', `The export is larger than ${IMPORT_BODY_LIMIT / (1024 * 1024)} MB, the most one import reads. Export fewer posts at a time and import each file.`);
    }
    const started = Date.now();
    const outcome = await importArchive(c.get('db'), c.req.raw.body, { dryRun, siteUrl });
    if (!outcome.ok) return problem(c, outcome.status, outcome.code, outcome.message);
    const { report } = outcome;
    console.log(`archive import${dryRun ? ' (dry run)' : ''}: ${report.format}, ${report.imported} imported, ${report.skipped.length} skipped in ${Date.now() - started} ms`);
    return c.json(report, 200);
  },
);
