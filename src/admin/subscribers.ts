// Admin API, subscribers: list (cursor paging), CSV export (streamed), CSV import, lifting a
// bounce/complaint suppression (here and on Resend's own list), erase (GDPR).
// Auth is applied to every /api/* route in admin/routes.ts, and the body limit to all but the import,
// which streams its body and counts it itself.
import { Hono } from 'hono';
import { fail } from '../http/respond';
import type { AppEnv } from '../http/types';
import { normalizeEmail } from '../subscribers/address';
import { eraseSubscriber } from '../subscribers/erase';
import { IMPORT_BODY_LIMIT, IMPORT_TOO_LARGE, importSubscribers } from '../subscribers/import';
import { exportCsv, listSubscribers, parseListQuery, parseStatus } from '../subscribers/listing';
import { isSuppressed, liftAtProvider, liftSuppression } from '../subscribers/suppression';

export const adminSubscriberRoutes = new Hono<AppEnv>();

adminSubscriberRoutes.get('/api/subscribers', async (c) => {
  const query = parseListQuery({ status: c.req.query('status'), limit: c.req.query('limit'), cursor: c.req.query('cursor') });
  if (!query.ok) return fail(c, 400, query.code, query.message);
  return c.json(await listSubscribers(c.get('db'), query));
});

adminSubscriberRoutes.get('/api/subscribers/export', (c) => {
  const status = parseStatus(c.req.query('status'));
  if (status === false) return fail(c, 400, 'invalid_status', 'status must be one of pending, confirmed, unsubscribed, bounced, complained.');
  const day = new Date().toISOString().slice(0, 10);
  return c.body(exportCsv(c.get('db'), status), 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="subscribers-${status ?? 'all'}-${day}.csv"`,
    'Cache-Control': 'no-store',
  });
});

const CSV_TYPES = new Set(['text/csv', 'application/csv']);
/** The import streams its own body (no buffering body limit in front of it: see admin/routes.ts). */
export const IMPORT_PATH = '/api/subscribers/import';

adminSubscriberRoutes.post(IMPORT_PATH, async (c) => {
  const status = c.req.query('status') ?? 'pending';
  if (status !== 'pending' && status !== 'confirmed') {
    return fail(c, 400, 'invalid_status', 'status must be "pending" (each new subscriber gets a confirmation email, the default) or "confirmed" (consent collected elsewhere; no email).');
  }
  const [mediaType, ...params] = (c.req.header('content-type') ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (!CSV_TYPES.has(mediaType)) {
    return fail(c, 415, 'unsupported_media_type', 'Send the CSV as the request body with "Content-Type: text/csv".');
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '') || 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    return fail(c, 415, 'unsupported_charset', `The charset "${charset}" is not supported: send the CSV as UTF-8.`);
  }
  // A declared length over the limit is refused before a byte is read; an undeclared one is counted.
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > IMPORT_BODY_LIMIT) return fail(c, 413, IMPORT_TOO_LARGE.code, IMPORT_TOO_LARGE.message, 'Too much data');
  const dryRun = parseDryRun(c.req.query('dry_run'));
  if (dryRun === null) return fail(c, 400, 'invalid_dry_run', 'dry_run must be 1 (or true) to preview the import without storing anything, or 0 (or left out) to import.');
  const started = Date.now();
  const outcome = await importSubscribers(c.env, c.get('db'), c.req.raw.body, { status, decoder, dryRun });
  if (!outcome.ok) return fail(c, outcome.status, outcome.code, outcome.message);
  const { report } = outcome;
  console.log(`import${dryRun ? ' (dry run)' : ''}: ${report.format}, ${report.imported} imported, ${report.lowered} lowered, ${report.skipped} skipped, ${report.invalidTotal ?? report.invalid.length} invalid as ${status} in ${Date.now() - started} ms`);
  return c.json(report);
});

/** `?dry_run=1`: a preview. Anything but a clear yes or no is refused rather than guessed. */
export function parseDryRun(value: string | undefined): boolean | null {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  return null;
}

adminSubscriberRoutes.delete('/api/subscribers/:email/suppression', async (c) => {
  const email = normalizeEmail(c.req.param('email'));
  if (!email.ok) return fail(c, 400, email.code, email.message);
  const db = c.get('db');
  const notSuppressed = () => fail(c, 404, 'not_suppressed', `${email.value} is not bounced or complained, so there is no suppression to lift.`);
  if (!(await isSuppressed(db, email.value))) return notSuppressed();
  // Resend's own list first: a lift here alone would leave the reader unreachable (suppression.ts).
  const provider = await liftAtProvider(c.get('config'), email.value);
  if (!provider.ok) return fail(c, 502, 'provider_error', provider.message);
  if (!(await liftSuppression(db, email.value))) return notSuppressed();
  return c.json({ email: email.value, status: 'unsubscribed', provider: provider.provider });
});

adminSubscriberRoutes.delete('/api/subscribers/:email', async (c) => {
  const email = normalizeEmail(c.req.param('email'));
  if (!email.ok) return fail(c, 400, email.code, email.message);
  const { found } = await eraseSubscriber(c.get('db'), email.value);
  return c.json({ erased: true, found });
});
