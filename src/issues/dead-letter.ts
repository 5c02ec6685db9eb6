// A chunk that failed every retry: its recipients are recorded as failed (so the stats add up and
// the send can finish), never silently dropped and never sent later behind the reader's back.
import type { ChunkMessage } from '../messages';
import { finishChunkStatements } from './deliver';

export async function failChunk(db: D1Database, message: ChunkMessage, reason: string): Promise<void> {
  const { sendId, chunk } = message;
  const now = Date.now();
  await db.batch([
    // Its readers (the frozen list, or who would have been in it) get a failed record, unless the
    // chunk was finished meanwhile (a late success wins: the guard is in the same atomic batch).
    db.prepare(
      `INSERT OR IGNORE INTO deliveries (send_id, subscriber_id, status, error, created_at)
       SELECT ?1, s.id, 'failed', ?3, ?4 FROM subscribers s, send_chunks c
        WHERE c.send_id = ?1 AND c.chunk = ?2 AND c.status = 'pending' AND s.id BETWEEN c.from_id AND c.to_id
          AND CASE WHEN c.recipients IS NOT NULL
                   THEN s.id IN (SELECT value FROM json_each(c.recipients))
                   ELSE s.status = 'confirmed' AND s.confirmed_at <= (SELECT started_at FROM sends WHERE id = ?1) END`,
    ).bind(sendId, chunk, reason, now),
    ...finishChunkStatements(db, message, [], 'failed'),
  ]);
}
