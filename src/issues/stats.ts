// Progress and outcome of one send, from the delivery records (and the provider's events on them).
// `failed` counts both what the provider refused at once and what it reported failing later
// (`email.failed` webhook, `failed_at`); such a recipient no longer counts as `sent`.

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

export async function sendStats(db: D1Database, sendId: number): Promise<IssueStats | null> {
  // Sends whose delivery records were pruned keep their final numbers (src/issues/maintenance.ts).
  const archived = await db.prepare('SELECT final_stats AS stats FROM sends WHERE id = ?1 AND final_stats IS NOT NULL').bind(sendId).first<{ stats: string }>();
  if (archived) return JSON.parse(archived.stats) as IssueStats;
  const row = await db
    .prepare(
      `SELECT s.recipients, s.status,
              count(CASE WHEN d.status = 'sent' AND d.failed_at IS NULL THEN 1 END) AS sent,
              count(CASE WHEN d.status = 'failed' OR d.failed_at IS NOT NULL THEN 1 END) AS failed,
              count(d.delivered_at) AS delivered, count(d.bounced_at) AS bounced,
              count(d.complained_at) AS complained, count(d.opened_at) AS opened, count(d.clicked_at) AS clicked
         FROM sends s LEFT JOIN deliveries d ON d.send_id = s.id
        WHERE s.id = ?1 GROUP BY s.id`,
    )
    .bind(sendId)
    .first<Omit<IssueStats, 'pending'> & { status: string }>();
  if (!row) return null;
  const { status, ...counts } = row;
  // Those who left during the send are skipped, so once it is done nothing is pending.
  const pending = status === 'sent' ? 0 : Math.max(0, counts.recipients - counts.sent - counts.failed);
  return { ...counts, pending };
}
