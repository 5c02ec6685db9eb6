// Progress and outcome of one send: its counters (kept in step with every delivery record, see
// send-store.ts), read in one row whatever the size of the list. `pending` is what is left of the
// audience; it is 0 once the send is done.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sends, type SendStatus } from '../db/schema';
import { catalogue, type CatalogueEntry, findArticle, issueStatus, type IssueStatus, nextDue } from './catalog';
import { scheduleMap, scheduleOf } from './schedules';
import type { WeeklySlot } from './slot';

/** What the admin API and the dashboard call a send's state. */
export type IssueSendStatus = 'sending' | 'halted' | 'paused' | 'sent';

export interface IssueStats {
  status: IssueStatus;
  /** Why a send is halted or paused (or how it was cancelled), else null. */
  reason: string | null;
  recipients: number;
  sent: number;
  failed: number;
  unknown: number;
  skipped: number;
  /** Readers who had paused their subscription when their chunk went (not counted as skipped). */
  paused: number;
  /** Readers Resend accepted and then refused itself (`email.suppressed`: its own suppression list); not counted as sent. */
  suppressed: number;
  pending: number;
  delivered: number;
  bounced: number;
  complained: number;
  opened: number;
  clicked: number;
}

export function apiStatus(status: SendStatus): IssueSendStatus {
  if (status === 'planning') return 'sending';
  if (status === 'cancelled') return 'sent';
  return status;
}

export async function sendStats(db: Db, sendId: number): Promise<IssueStats | null> {
  const { status, reason, finishedAt, recipients, sent, failed, unknown, skipped, paused, suppressed, delivered, bounced, complained, opened, clicked } = sends;
  const s = await db
    .select({ status, reason, finishedAt, recipients, sent, failed, unknown, skipped, paused, suppressed, delivered, bounced, complained, opened, clicked })
    .from(sends)
    .where(eq(sends.id, sendId))
    .get();
  if (!s) return null;
  const done = s.sent + s.failed + s.unknown + s.skipped + s.paused + s.suppressed;
  const finished = s.status === 'sent' || (s.status === 'cancelled' && s.finishedAt !== null);
  return {
    status: apiStatus(s.status),
    reason: s.reason,
    recipients: s.recipients,
    sent: s.sent,
    failed: s.failed,
    unknown: s.unknown,
    skipped: s.skipped,
    paused: s.paused,
    suppressed: s.suppressed,
    pending: finished ? 0 : Math.max(0, s.recipients - done),
    delivered: s.delivered,
    bounced: s.bounced,
    complained: s.complained,
    opened: s.opened,
    clicked: s.clicked,
  };
}

/** The numbers of a send that never happened. */
export const ZERO = { reason: null, recipients: 0, sent: 0, failed: 0, unknown: 0, skipped: 0, paused: 0, suppressed: 0, pending: 0, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0 };

const sendRow = { id: sends.id, slug: sends.slug, status: sends.status, reason: sends.reason, title: sends.title, date: sends.articleDate, startedAt: sends.startedAt };
export type SendSummary = { id: number; slug: string; status: SendStatus; reason: string | null; title: string; date: string; startedAt: number };

/** An article (of either source, or sent and since removed or imported) and the state of its send. */
export interface IssueSummary {
  slug: string;
  title: string;
  date: string;
  status: IssueStatus;
  /** When it goes (ISO): its scheduled time, or the next weekly slot for the article that takes it; else null. */
  sendAt: string | null;
  reason: string | null;
}

function stateOf(article: CatalogueEntry | undefined, send: SendSummary | undefined, now: number, sendAt: number | null): IssueStatus {
  return article ? issueStatus(article, send?.status, now, sendAt) : apiStatus(send!.status);
}

/**
 * Every article, newest first, with its state: both sources of the catalogue, and those sent and
 * since removed from content/ or imported (from the stored send). GET /api/issues and the dashboard
 * both read this.
 */
export async function issueList(db: Db, slot: WeeklySlot, now = Date.now()): Promise<{ issues: IssueSummary[]; sends: SendSummary[] }> {
  const [stored, entries, scheduled] = await Promise.all([db.select(sendRow).from(sends), catalogue(db), scheduleMap(db)]);
  const bySlug = new Map(stored.map((s) => [s.slug, s]));
  const due = nextDue(entries, new Set(bySlug.keys()), now, slot, scheduled);
  const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
  const issues: IssueSummary[] = entries.map((a) => {
    const send = bySlug.get(a.slug);
    const at = send ? null : (scheduled.get(a.slug) ?? null);
    const sendAt = send ? null : (at ?? (due?.article.slug === a.slug ? due.sendsAt : null));
    return { slug: a.slug, title: a.title, date: a.date, status: stateOf(a, send, now, at), sendAt: iso(sendAt), reason: send?.reason ?? null };
  });
  const listed = new Set(issues.map((i) => i.slug));
  for (const s of stored) {
    if (!listed.has(s.slug)) issues.push({ slug: s.slug, title: s.title, date: s.date, status: stateOf(undefined, s, now, null), sendAt: null, reason: s.reason });
  }
  issues.sort((a, b) => b.date.localeCompare(a.date) || a.slug.localeCompare(b.slug));
  return { issues, sends: stored };
}

/** One issue's state and numbers (all zero for an article never sent); null for a slug nobody knows. */
export async function issueStats(db: Db, slug: string, now = Date.now(), send?: SendSummary | null): Promise<IssueStats | null> {
  const row = send === undefined ? await db.select(sendRow).from(sends).where(eq(sends.slug, slug)).get() : send;
  if (row) return sendStats(db, row.id);
  const article = await findArticle(db, slug);
  return article ? { ...ZERO, status: issueStatus(article, undefined, now, await scheduleOf(db, slug)) } : null;
}
