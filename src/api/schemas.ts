// Shared pieces of the API's schemas: the error body, and fields built on the service's own pure
// checks (normalizeEmail, the cursor), so a rule is stated once and the API, the form and the
// dashboard apply the same one. A field that fails its check reports its own error code through
// the issue's `params.code` (see validationFailed in openapi.ts).
import { z } from '@hono/zod-openapi';
import { SUBSCRIBER_STATUSES } from '../db/schema';
import { normalizeEmail } from '../subscribers/address';
import { decodeCursor, DEFAULT_PAGE, MAX_PAGE } from '../subscribers/listing';

type Check<T> = (raw: unknown) => { ok: true; value: T } | { ok: false; code: string; message: string };

/**
 * A zod field from one of the service's checks: its value when valid, its code and message when not.
 * A required field runs the check on a missing value too (so `{}` is `invalid_email`, not a generic
 * "required"), through a pass-through preprocess that keeps the key required in the spec.
 */
export function checked<T>(check: Check<T>, { required = true } = {}) {
  const input = required ? z.preprocess((raw) => raw, z.unknown()) : z.unknown().optional();
  return input.transform((raw, ctx): T => {
    const result = check(raw);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message, params: { code: result.code } });
    return z.NEVER;
  });
}

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: 'Stable, machine-readable: branch on this.', example: 'invalid_email' }),
      message: z.string().openapi({ description: 'For people: what is wrong and how to fix it.' }),
    }),
  })
  .openapi('Error');

/** A normalised address (trimmed, lower-cased, IDN domain in ASCII), or 400 invalid_email. */
export const Email = checked(normalizeEmail).openapi({ type: 'string', format: 'email', example: 'reader@example.com', description: 'An email address (case-insensitive).' });

export const SubscriberStatus = z.enum(SUBSCRIBER_STATUSES, { error: `status must be one of ${SUBSCRIBER_STATUSES.join(', ')}.` });

export const Slug = z
  .string()
  .max(200)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
  .openapi({ example: 'gut-health-and-skin-clarity', description: 'The article file name without its date prefix and .md.' });

export const PageLimit = checked<number>((raw) => {
  if (raw === undefined || raw === '') return { ok: true, value: DEFAULT_PAGE };
  if (typeof raw !== 'string' || !/^[0-9]{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE) {
    return { ok: false, code: 'invalid_limit', message: `limit must be a whole number from 1 to ${MAX_PAGE}.` };
  }
  return { ok: true, value: Number(raw) };
}, { required: false }).openapi({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE, description: 'Items per page.' });

/** The opaque paging cursor: `nextCursor` of the previous page; decodes to the last id seen. */
export const Cursor = checked<number>((raw) => {
  if (raw === undefined || raw === '') return { ok: true, value: 0 };
  const id = typeof raw === 'string' ? decodeCursor(raw) : null;
  return id === null ? { ok: false, code: 'invalid_cursor', message: 'cursor is not one this API gave out: pass nextCursor from the previous page as it is.' } : { ok: true, value: id };
}, { required: false }).openapi({ type: 'string', description: '`nextCursor` from the previous page, as it is.' });

export const NextCursor = z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page.' });

export const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-12-06T10:00:00.000Z' });
