// Progress and outcome of one send, from the delivery records (and the provider's events on them).
// `failed` counts both what the provider refused at once and what it reported failing later
// (`email.failed` webhook, `failed_at`); such a recipient no longer counts as `sent`.
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { deliveries, sends } from '../db/schema';

export interface IssueStats {
  recipients: number;
  sent: number;
  failed: number;
  pending: number;
  delivered: number;
  bounced: number;
  complained: number;
  opened: number;
  clicked: number;
}

export async function sendStats(db: Db, sendId: number): Promise<IssueStats | null> {
  // Sends whose delivery records were pruned keep their final numbers (src/issues/maintenance.ts).
  const archived = await db
    .select({ stats: sends.finalStats })
    .from(sends)
    .where(and(eq(sends.id, sendId), isNotNull(sends.finalStats)))
    .get();
  if (archived) return JSON.parse(archived.stats!) as IssueStats;
  const row = await db.get<(Omit<IssueStats, 'pending'> & { status: string }) | undefined>(sql`
    SELECT ${sends.recipients} AS recipients, ${sends.status} AS status,
           count(CASE WHEN ${deliveries.status} = 'sent' AND ${deliveries.failedAt} IS NULL THEN 1 END) AS sent,
           count(CASE WHEN ${deliveries.status} = 'failed' OR ${deliveries.failedAt} IS NOT NULL THEN 1 END) AS failed,
           count(${deliveries.deliveredAt}) AS delivered, count(${deliveries.bouncedAt}) AS bounced,
           count(${deliveries.complainedAt}) AS complained, count(${deliveries.openedAt}) AS opened, count(${deliveries.clickedAt}) AS clicked
      FROM ${sends} LEFT JOIN ${deliveries} ON ${deliveries.sendId} = ${sends.id}
     WHERE ${sends.id} = ${sendId} GROUP BY ${sends.id}`);
  if (!row) return null;
  const { status, ...counts } = row;
  // Those who left during the send are skipped, so once it is done nothing is pending.
  const pending = status === 'sent' ? 0 : Math.max(0, counts.recipients - counts.sent - counts.failed);
  return { ...counts, pending };
}
