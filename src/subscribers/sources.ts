// What each newsletter tool's subscriber export means, one plain function of a row per tool.
//
// A file is recognised by its header row, as the tool writes it (nobody edits it by hand first):
//  - Mailchimp: `Email Address`, `OPTIN_TIME`/`CONFIRM_TIME`…; its audience export is three files,
//    told apart by one column: `UNSUB_TIME` (the unsubscribed file), `CLEAN_TIME` (the cleaned file:
//    addresses that bounced for good), neither (the subscribed file). Times in UTC. A row of the
//    subscribed layout with neither an opt-in nor a confirmation time has no consent on record.
//  - Substack: `email`, `email_disabled`, `created_at`… (the subscriber/sign-up export).
//  - Ghost: `email`, `subscribed_to_emails`, `created_at`, `deleted_at`… (the members CSV).
//  - beehiiv: `email`, `status`, `First Name`, `Last Name`, `tier`/`unsubscribed_at`…
//  - listmonk: `uuid,email,name,attributes,status,created_at,updated_at` (its subscriber export).
//  - anything else with an email column: the plain `email,name,status` file (our own export too).
// TryGhost/migrate (mg-mailchimp-members, mg-substack-members-csv, mg-beehiiv-members) reads the same
// files; the layouts and the Substack deletion-request rule follow what it learnt.
//
// A row says what the tool knew: a `SourceState` (the importer only ever lowers the requested status
// with it, see import.ts), a name, and the original sign-up, consent and leaving times (null when
// the file does not say). Tools where signing up is the consent (Substack, Ghost, beehiiv, listmonk)
// give their sign-up time as the consent time. Some rows are not readers at all and are skipped with
// a reason (a Substack deletion request, a member Ghost deleted, a state nobody documented).

export const IMPORT_FORMATS = ['plain', 'mailchimp', 'substack', 'ghost', 'beehiiv', 'listmonk'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The reader's state at the source: `subscribed` keeps the requested status, the rest lower it. */
export type SourceState = 'subscribed' | 'pending' | 'unsubscribed' | 'bounced' | 'complained';

export type SourceRow =
  | { kind: 'reader'; email: string; name: string | null; state: SourceState; createdAt: number | null; confirmedAt: number | null; leftAt: number | null }
  | { kind: 'skip'; email: string; reason: string };

/** A data row: cells by header name, trimmed and lower-cased (`'Email Address'` → `'email address'`). */
export type Row = Readonly<Record<string, string>>;

export interface Layout {
  format: ImportFormat;
  /** For messages: which export this is (`Mailchimp (unsubscribed file)`). */
  label: string;
  map(row: Row): SourceRow;
}

const EMAIL_HEADERS = ['email', 'e-mail', 'email address', 'email_address', 'emailaddress'];
const NAME_HEADERS = ['name', 'full name', 'full_name', 'fullname'];

/** What the header row of each layout must hold: said when a file is of no layout known. */
export const EXPECTED_HEADERS =
  'The first row must be a header naming the columns: "email" (optionally "name" and "status"), or an export as it comes from ' +
  'Mailchimp ("Email Address", "First Name", "Last Name", "OPTIN_TIME", "CONFIRM_TIME", and "UNSUB_TIME" or "CLEAN_TIME" in those files), ' +
  'Substack ("email", "email_disabled", "created_at"), Ghost ("email", "name", "subscribed_to_emails", "created_at"), ' +
  'beehiiv ("email", "First Name", "Last Name", "status", "created_at", "unsubscribed_at") or listmonk ("uuid", "email", "name", "attributes", "status", "created_at").';

/** The layout of a file from its header cells, or null when it has no email column at all. */
export function recognizeLayout(header: readonly string[]): Layout | null {
  const has = new Set(header.map((h) => h.trim().toLowerCase()));
  const any = (...names: string[]) => names.some((n) => has.has(n));
  if (has.has('email address') && any('optin_time', 'confirm_time', 'member_rating', 'leid', 'euid')) {
    if (has.has('unsub_time')) return { format: 'mailchimp', label: 'Mailchimp (unsubscribed file)', map: (row) => mailchimp(row, 'unsubscribed') };
    if (has.has('clean_time')) return { format: 'mailchimp', label: 'Mailchimp (cleaned file)', map: (row) => mailchimp(row, 'bounced') };
    return { format: 'mailchimp', label: 'Mailchimp (subscribed file)', map: (row) => mailchimp(row, 'subscribed') };
  }
  if (has.has('email') && has.has('uuid') && has.has('attributes') && has.has('status')) return { format: 'listmonk', label: 'listmonk', map: listmonk };
  if (has.has('email') && has.has('subscribed_to_emails')) return { format: 'ghost', label: 'Ghost', map: ghost };
  if (has.has('email') && has.has('email_disabled')) return { format: 'substack', label: 'Substack', map: substack };
  if (has.has('email') && has.has('status') && any('tier', 'subscription_tier', 'unsubscribed_at', 'first name', 'last name')) return { format: 'beehiiv', label: 'beehiiv', map: beehiiv };
  if (any(...EMAIL_HEADERS)) return { format: 'plain', label: 'CSV', map: plain };
  return null;
}

// ---- one function per source -----------------------------------------------------------------

function plain(row: Row): SourceRow {
  const status = (row.status ?? '').trim().toLowerCase();
  const state: SourceState = status === 'unsubscribed' || status === 'bounced' || status === 'complained' || status === 'pending' ? status : 'subscribed';
  return reader(first(row, EMAIL_HEADERS), first(row, NAME_HEADERS) || fullName(row), state, {});
}

function mailchimp(row: Row, file: 'subscribed' | 'unsubscribed' | 'bounced'): SourceRow {
  const optin = parseTime(row.optin_time);
  const confirmed = parseTime(row.confirm_time);
  // A contact with neither time has no consent on record there (Mailchimp's non-subscribed,
  // transactional contacts come in a file laid out like the subscribed one): they confirm here first.
  const state = file === 'subscribed' && optin === null && confirmed === null ? 'pending' : file;
  return reader(row['email address'], fullName(row), state, {
    createdAt: optin ?? confirmed,
    confirmedAt: confirmed ?? optin,
    leftAt: file === 'unsubscribed' ? parseTime(row.unsub_time) : file === 'bounced' ? parseTime(row.clean_time) : null,
  });
}

const SUBSTACK_DELETION = /@deletion-request\.substack\.com$/i;

function substack(row: Row): SourceRow {
  const email = row.email ?? '';
  // Substack replaces the address of a reader who asked it to delete their data with this placeholder.
  if (SUBSTACK_DELETION.test(email.trim())) return { kind: 'skip', email, reason: 'A Substack deletion request: the reader asked Substack to delete their data, so they are not imported.' };
  const created = parseTime(row.created_at);
  return reader(email, row.name || fullName(row), truthy(row.email_disabled) ? 'unsubscribed' : 'subscribed', { createdAt: created, confirmedAt: created });
}

function ghost(row: Row): SourceRow {
  const email = row.email ?? '';
  if ((row.deleted_at ?? '').trim() !== '') return { kind: 'skip', email, reason: 'Deleted in Ghost (deleted_at is set).' };
  const created = parseTime(row.created_at);
  // Ghost sets email_disabled when an address bounced for good or complained (not in every export).
  const state: SourceState = truthy(row.email_disabled) ? 'bounced' : truthy(row.subscribed_to_emails) ? 'subscribed' : 'unsubscribed';
  return reader(email, row.name ?? '', state, { createdAt: created, confirmedAt: created });
}

const BEEHIIV_STATES: Record<string, SourceState> = {
  active: 'subscribed',
  // Not yet through beehiiv's own checks or double opt-in: they confirm again here.
  pending: 'pending',
  validating: 'pending',
  needs_attention: 'pending',
  inactive: 'unsubscribed',
  // beehiiv found the address undeliverable.
  invalid: 'bounced',
};

function beehiiv(row: Row): SourceRow {
  const email = row.email ?? '';
  const status = (row.status ?? '').trim().toLowerCase();
  const left = parseTime(row.unsubscribed_at);
  const state = left !== null ? 'unsubscribed' : BEEHIIV_STATES[status];
  if (!state) return { kind: 'skip', email, reason: `beehiiv status "${status.slice(0, 40)}" is not one of active, pending, validating, needs_attention, inactive, invalid.` };
  // An account moved to beehiiv from Substack keeps its first sign-up there.
  const created = parseTime(row['subscription date (substack)']) ?? parseTime(row.created_at);
  return reader(email, fullName(row) || row.name || '', state, { createdAt: created, confirmedAt: created, leftAt: left });
}

const LISTMONK_STATES: Record<string, SourceState> = { enabled: 'subscribed', disabled: 'unsubscribed', blocklisted: 'unsubscribed' };

function listmonk(row: Row): SourceRow {
  const email = row.email ?? '';
  const status = (row.status ?? '').trim().toLowerCase();
  const state = LISTMONK_STATES[status];
  if (!state) return { kind: 'skip', email, reason: `listmonk status "${status.slice(0, 40)}" is not one of enabled, disabled, blocklisted.` };
  const created = parseTime(row.created_at);
  return reader(email, row.name ?? '', state, { createdAt: created, confirmedAt: created, leftAt: state === 'subscribed' ? null : parseTime(row.updated_at) });
}

// ---- helpers ----------------------------------------------------------------------------------

function reader(email: string | undefined, name: string, state: SourceState, times: { createdAt?: number | null; confirmedAt?: number | null; leftAt?: number | null }): SourceRow {
  const trimmed = name.trim();
  return { kind: 'reader', email: email ?? '', name: trimmed === '' ? null : trimmed, state, createdAt: times.createdAt ?? null, confirmedAt: times.confirmedAt ?? null, leftAt: times.leftAt ?? null };
}

function first(row: Row, names: readonly string[]): string {
  for (const n of names) if (row[n] !== undefined) return row[n];
  return '';
}

/** First and last name (Mailchimp, beehiiv), each trimmed, joined by one space. */
function fullName(row: Row): string {
  return [row['first name'] ?? row.first_name ?? row.fname ?? '', row['last name'] ?? row.last_name ?? row.lname ?? '']
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(' ');
}

function truthy(cell: string | undefined): boolean {
  return ['true', 'yes', '1', 't'].includes((cell ?? '').trim().toLowerCase());
}

const TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?(?:\s+[A-Z]{2,5})?$/i;

/**
 * A time as these tools write it: ISO 8601 (`2018-08-27T15:06:27.713Z`), Mailchimp's UTC
 * `2018-02-05 19:28:23`, beehiiv's `2023-03-24 10:23:10 UTC`, Go's `2024-01-15 10:20:30.123 +0000 UTC`
 * (listmonk). No zone means UTC. Unix ms, or null for an empty or unreadable cell.
 */
export function parseTime(cell: string | undefined): number | null {
  const m = TIME.exec((cell ?? '').trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone = 'Z'] = m;
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (/^[+-]/.test(zone)) {
    const digits = zone.replace(':', '');
    const offset = (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))) * 60_000;
    time -= zone[0] === '+' ? offset : -offset;
  }
  // Date.UTC rolls 2023-02-31 over into March: a date that does not exist is not read.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null;
  return Number.isFinite(time) ? time : null;
}
