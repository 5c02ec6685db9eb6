// Progress and outcome of one send: its counters (kept in step with every delivery record, see
// send-store.ts), read in one row whatever the size of the list. `pending` is what is left of the
// audience; it is 0 once the send is done.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sends, type SendStatus } from '../db/schema';

/** What the admin API and the dashboard call a send's state. */
export type IssueSendStatus = 'sending' | 'halted' | 'paused' | 'sent';

export interface IssueStats {
  status: IssueSendStatus | 'draft' | 'ready';
  /** Why a send is halted or paused (or how it was cancelled), else null. */
  reason: string | null;
  recipients: number;
  sent: number;
  failed: number;
  unknown: number;
  skipped: number;
  /** Readers who had paused their subscription when their chunk went (not counted as skipped). */
  paused: number;
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
  const s = await db.select().from(sends).where(eq(sends.id, sendId)).get();
  if (!s) return null;
  const done = s.sent + s.failed + s.unknown + s.skipped + s.paused;
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
    pending: finished ? 0 : Math.max(0, s.recipients - done),
    delivered: s.delivered,
    bounced: s.bounced,
    complained: s.complained,
    opened: s.opened,
    clicked: s.clicked,
  };
}
