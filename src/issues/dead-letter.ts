// A chunk that failed every retry: its recipients are recorded as failed (so the stats add up and
// the send can finish), never silently dropped and never sent later behind the reader's back.
import type { ChunkMessage } from '../messages';
import { finishChunkStatements } from './deliver';

export async function failChunk(db: D1Database, message: ChunkMessage, reason: string): Promise<void> {
  const { sendId, chunk, fromId, toId } = message;
  const now = Date.now();
  await db.batch([
    // Those who would have been in the chunk but have no row yet get a failed one.
    db.prepare(
      `INSERT OR IGNORE INTO deliveries (send_id, subscriber_id, chunk, status, error, created_at)
       SELECT ?1, s.id, ?2, 'failed', ?5, ?6 FROM subscribers s
        WHERE s.id BETWEEN ?3 AND ?4 AND s.status = 'confirmed'
          AND s.confirmed_at <= (SELECT started_at FROM sends WHERE id = ?1)
          AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.send_id = ?1 AND d.chunk = ?2)`,
    ).bind(sendId, chunk, fromId, toId, reason, now),
    db.prepare(`UPDATE deliveries SET status = 'failed', error = ?3 WHERE send_id = ?1 AND chunk = ?2 AND status = 'queued'`).bind(sendId, chunk, reason),
    ...finishChunkStatements(db, message, [], 'failed'),
  ]);
}
