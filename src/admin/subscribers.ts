// Admin API, subscribers: list (cursor paging), CSV export (streamed), CSV import, lifting a
// bounce/complaint suppression (here and on Resend's own list), erase (GDPR). Each route's input, answers and scope are declared in
// its apiRoute (see src/api/openapi.ts); auth and the body limit are applied in src/api/routes.ts
// (not to the import, which streams its body and counts it itself).
import { apiRoute, createApiRouter, error, json, problem, z } from '../api/openapi';
import { Cursor, Email, NextCursor, PageLimit, SubscriberStatus, Timestamp } from '../api/schemas';
import { eraseSubscriber } from '../subscribers/erase';
import { IMPORT_BODY_LIMIT, IMPORT_TOO_LARGE, importSubscribers } from '../subscribers/import';
import { exportCsv, listSubscribers } from '../subscribers/listing';
import { isSuppressed, liftAtProvider, liftSuppression } from '../subscribers/suppression';

export const adminSubscriberRoutes = createApiRouter();

const Subscriber = z
  .object({
    email: z.string(),
    name: z.string().nullable(),
    status: SubscriberStatus,
    createdAt: Timestamp,
    confirmedAt: Timestamp.nullable(),
    pausedUntil: Timestamp.nullable().openapi({ description: 'Set while the reader has paused the weekly email (status stays confirmed).' }),
  })
  .openapi('Subscriber');

const EmailParam = z.object({ email: Email.openapi({ param: { name: 'email', in: 'path' } }) });

adminSubscriberRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/subscribers',
    scope: 'subscribers:read',
    tags: ['Subscribers'],
    summary: 'List subscribers, a page at a time',
    request: { query: z.object({ status: SubscriberStatus.optional(), limit: PageLimit, cursor: Cursor }) },
    responses: { 200: json(z.object({ subscribers: z.array(Subscriber), nextCursor: NextCursor }), 'A page of subscribers, oldest first') },
  }),
  async (c) => {
    const { status, limit, cursor } = c.req.valid('query');
    return c.json(await listSubscribers(c.get('db'), { status: status ?? null, limit, afterId: cursor }), 200);
  },
);

adminSubscriberRoutes.openapi(
  apiRoute({
    method: 'get',
    path: '/api/subscribers/export',
    scope: 'subscribers:read',
    tags: ['Subscribers'],
    summary: 'Every subscriber (or one status) as CSV',
    request: { query: z.object({ status: SubscriberStatus.optional() }) },
    responses: { 200: { description: 'CSV: email,name,status,created_at,confirmed_at', content: { 'text/csv': { schema: z.string() } } } },
  }),
  (c) => {
    const status = c.req.valid('query').status ?? null;
    const day = new Date().toISOString().slice(0, 10);
    return c.body(exportCsv(c.get('db'), status), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="subscribers-${status ?? 'all'}-${day}.csv"`,
      'Cache-Control': 'no-store',
    });
  },
);

const CSV_TYPES = new Set(['text/csv', 'application/csv']);
/** The import streams its own body (no buffering body limit in front of it: see src/api/routes.ts). */
export const IMPORT_PATH = '/api/subscribers/import';

const Line = z.object({ line: z.number().int(), reason: z.string() });
const ImportReport = z
  .object({
    format: z.enum(['plain', 'mailchimp', 'substack', 'ghost', 'beehiiv', 'listmonk']).openapi({ description: 'Which export the header was recognised as.' }),
    imported: z.number().int(),
    skipped: z.number().int(),
    lowered: z.number().int().openapi({ description: 'Readers already on the list whose state the file lowered (they are among `skipped`).' }),
    statuses: z
      .object({ confirmed: z.number().int(), pending: z.number().int(), unsubscribed: z.number().int(), bounced: z.number().int(), complained: z.number().int().optional() })
      .openapi({ description: 'Valid rows by the status the file gives them (`complained` only when there are any).' }),
    invalid: z.array(Line),
    invalidTotal: z.number().int().optional().openapi({ description: 'Present when there are more invalid rows than `invalid` lists.' }),
    skippedRows: z.array(Line).openapi({ description: 'Rows the source marks as no reader to import (a Substack deletion request...), with why.' }),
    dryRun: z.literal(true).optional().openapi({ description: 'Present for `?dry_run=1`: what the import would do; nothing was stored.' }),
  })
  .openapi('ImportReport');

/** `?dry_run=1`: a preview. Anything but a clear yes or no is refused rather than guessed. */
export function parseDryRun(value: string | undefined): boolean | null {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  return null;
}

/** The query flag of both imports: 1/true previews, 0/false/absent imports. */
export const DryRun = z
  .string()
  .optional()
  .refine((v) => parseDryRun(v) !== null, { message: 'dry_run must be 1 (or true) to preview the import without storing anything, or 0 (or left out) to import.', params: { code: 'invalid_dry_run' } })
  .transform((v) => parseDryRun(v) === true)
  .openapi({ type: 'string', enum: ['1', 'true', '0', 'false'], description: '1 (or true): answer what the import would do, store nothing, send no mail.' });

adminSubscriberRoutes.openapi(
  apiRoute({
    method: 'post',
    path: IMPORT_PATH,
    scope: 'subscribers:write',
    tags: ['Subscribers'],
    summary: 'Import subscribers from CSV: our own file or another tool\'s export (streamed, up to 64 MB)',
    request: {
      query: z.object({
        status: z
          .enum(['pending', 'confirmed'], { error: 'status must be "pending" (each new subscriber gets a confirmation email, the default) or "confirmed" (consent collected elsewhere; no email).' })
          .default('pending'),
        dry_run: DryRun,
      }),
      body: {
        content: {
          'text/csv': {
            schema: z.string().openapi({
              description: 'A header row with `email` and optional `name`, or an export of Mailchimp (subscribed, unsubscribed, cleaned), Substack, Ghost, beehiiv or listmonk as it comes. A row\'s own state only lowers `status`.',
            }),
          },
        },
        required: true,
      },
    },
    responses: { 200: json(ImportReport, 'What was imported (or, in a dry run, would be)'), 422: error('The file cannot be read as a list', ['empty_csv', 'missing_email_column', 'invalid_encoding']) },
  }),
  async (c) => {
    const { status, dry_run: dryRun } = c.req.valid('query');
    const [mediaType, ...params] = (c.req.header('content-type') ?? '').split(';').map((p) => p.trim().toLowerCase());
    if (!CSV_TYPES.has(mediaType)) {
      return problem(c, 415, 'unsupported_media_type', 'Send the CSV as the request body with "Content-Type: text/csv".');
    }
    const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '') || 'utf-8';
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(charset);
    } catch {
      return problem(c, 415, 'unsupported_charset', `The charset "${charset}" is not supported: send the CSV as UTF-8.`);
    }
    // A declared length over the limit is refused before a byte is read; an undeclared one is counted.
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > IMPORT_BODY_LIMIT) return problem(c, 413, IMPORT_TOO_LARGE.code, IMPORT_TOO_LARGE.message);
    const started = Date.now();
    const outcome = await importSubscribers(c.env, c.get('db'), c.req.raw.body, { status, decoder, dryRun });
    if (!outcome.ok) return problem(c, outcome.status, outcome.code, outcome.message);
    const { report } = outcome;
    console.log(`import${dryRun ? ' (dry run)' : ''}: ${report.format}, ${report.imported} imported, ${report.lowered} lowered, ${report.skipped} skipped, ${report.invalidTotal ?? report.invalid.length} invalid as ${status} in ${Date.now() - started} ms`);
    return c.json(report, 200);
  },
);

adminSubscriberRoutes.openapi(
  apiRoute({
    method: 'delete',
    path: '/api/subscribers/{email}/suppression',
    scope: 'subscribers:write',
    tags: ['Subscribers'],
    summary: 'Lift a bounce or complaint: the address becomes unsubscribed, so the form works for it again',
    request: { params: EmailParam },
    responses: {
      200: json(
        z.object({
          email: z.string(),
          status: z.literal('unsubscribed'),
          provider: z.enum(['removed', 'not_listed', 'none']).openapi({ description: "Resend's own suppression list: removed, the address was not on it, or no provider (outbox)." }),
        }),
        'Lifted',
      ),
      404: error('The address is not bounced or complained', ['not_suppressed']),
      502: error("Resend's suppression list could not be changed: nothing was lifted", ['provider_error']),
    },
  }),
  async (c) => {
    const { email } = c.req.valid('param');
    const db = c.get('db');
    const notSuppressed = () => problem(c, 404, 'not_suppressed', `${email} is not bounced or complained, so there is no suppression to lift.`);
    if (!(await isSuppressed(db, email))) return notSuppressed();
    // Resend's own list first: a lift here alone would leave the reader unreachable (suppression.ts).
    const provider = await liftAtProvider(c.get('config'), email);
    if (!provider.ok) return problem(c, 502, 'provider_error', provider.message);
    if (!(await liftSuppression(db, email))) return notSuppressed();
    return c.json({ email, status: 'unsubscribed' as const, provider: provider.provider }, 200);
  },
);

adminSubscriberRoutes.openapi(
  apiRoute({
    method: 'delete',
    path: '/api/subscribers/{email}',
    scope: 'subscribers:write',
    tags: ['Subscribers'],
    summary: "Erase a person's data (GDPR); the address stays suppressed by a hash only",
    request: { params: EmailParam },
    responses: { 200: json(z.object({ erased: z.literal(true), found: z.boolean() }), 'Erased (idempotent: `found` says whether there was a record)') },
  }),
  async (c) => {
    const { email } = c.req.valid('param');
    const { found } = await eraseSubscriber(c.get('db'), email);
    return c.json({ erased: true as const, found }, 200);
  },
);
