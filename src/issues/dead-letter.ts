// A chunk that failed every retry: its recipients are recorded as failed (so the stats add up and
// the send can finish), never silently dropped and never sent later behind the reader's back.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { selectList } from '../db/batch';
import { deliveries, sendChunks, sends, subscribers } from '../db/schema';
import type { ChunkMessage } from '../messages';
import { finishChunkStatements } from './deliver';

export async function failChunk(db: Db, message: ChunkMessage, reason: string): Promise<void> {
  const { sendId, chunk } = message;
  const now = Date.now();
  await db.batch([
    // Its readers (the frozen list, or who would have been in it) get a failed record, unless the
    // chunk was finished meanwhile (a late success wins: the guard is in the same atomic batch).
    // A reader who already has a record keeps it (the primary key; ON CONFLICT DO NOTHING).
    db
      .insert(deliveries)
      .select(
        sql`SELECT ${selectList(deliveries, { sendId, subscriberId: subscribers.id, status: sql`'failed'`, error: reason, createdAt: now })}
              FROM ${subscribers}, ${sendChunks}
             WHERE ${sendChunks.sendId} = ${sendId} AND ${sendChunks.chunk} = ${chunk} AND ${sendChunks.status} = 'pending'
               AND ${subscribers.id} BETWEEN ${sendChunks.fromId} AND ${sendChunks.toId}
               AND CASE WHEN ${sendChunks.recipients} IS NOT NULL
                        THEN ${subscribers.id} IN (SELECT value FROM json_each(${sendChunks.recipients}))
                        ELSE ${subscribers.status} = 'confirmed'
                             AND ${subscribers.confirmedAt} <= (SELECT ${sends.startedAt} FROM ${sends} WHERE ${sends.id} = ${sendId}) END`,
      )
      .onConflictDoNothing(),
    ...finishChunkStatements(db, message, [], 'failed'),
  ]);
}
