// Admin API: importing back issues from Substack or Ghost into the archive (src/archive/import.ts).
// Auth is applied to every /api/* route in admin/routes.ts; the body limit is not: this route streams
// its body and counts it itself, like the subscriber import.
import { Hono } from 'hono';
import { importArchive } from '../archive/import';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { IMPORT_BODY_LIMIT } from '../subscribers/import';
import { parseDryRun } from './subscribers';

export const adminArchiveRoutes = new Hono<AppEnv>();

export const ARCHIVE_IMPORT_PATH = '/api/archive/import';

adminArchiveRoutes.post(ARCHIVE_IMPORT_PATH, async (c) => {
  const dryRun = parseDryRun(c.req.query('dry_run'));
  if (dryRun === null) return fail(c, 400, 'invalid_dry_run', 'dry_run must be 1 (or true) to preview the import without storing anything, or 0 (or left out) to import.');
  const siteUrl = parseSiteUrl(c.req.query('site_url'));
  if (siteUrl === false) return fail(c, 400, 'invalid_site_url', 'site_url must be the old site\'s address, like https://old.example.com.');
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > IMPORT_BODY_LIMIT) {
    return fail(c, 413, 'payload_too_large', `The export is larger than ${IMPORT_BODY_LIMIT / (1024 * 1024)} MB, the most one import reads. Export fewer posts at a time and import each file.`, 'Too much data');
  }
  const started = Date.now();
  const outcome = await importArchive(c.get('db'), c.req.raw.body, { dryRun, siteUrl });
  if (!outcome.ok) return fail(c, outcome.status, outcome.code, outcome.message);
  const { report } = outcome;
  console.log(`archive import${dryRun ? ' (dry run)' : ''}: ${report.format}, ${report.imported} imported, ${report.skipped.length} skipped in ${Date.now() - started} ms`);
  return c.json(report);
});

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
