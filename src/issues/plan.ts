// Starting a send: claim the article (once, ever), fix who gets it, split them into chunks, enqueue.
//
// Every step is idempotent, so a crash anywhere leaves a `planning` send that the next cron run
// (or the next admin request) finishes with resumePlanning(); duplicate chunk messages are harmless
// because delivering a chunk is idempotent too (see deliver.ts).
import { and, eq, lt, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Config, Env } from '../config';
import { type Db, getDb } from '../db/client';
import { type BatchStatements, selectList } from '../db/batch';
import { sendChunks, sends, subscribers } from '../db/schema';
import type { ChunkMessage } from '../messages';
import type { Article } from './article';
import { renderIssueTemplate } from './template';

export const CHUNK_SIZE = 100; // Resend's batch limit
const CHUNK_ROWS_PER_STATEMENT = 2000; // keeps each INSERT well under D1's 100 KB statement limit
const QUEUE_BATCH = 100; // Queues' sendBatch limit
/** A `planning` send older than this is taken to be abandoned by a crashed invocation. */
export const PLANNING_STALE_MS = 2 * 60 * 1000;

export type StartResult = { started: true; sendId: number; recipients: number; chunks: number } | { started: false; reason: 'already_claimed' };

/** Claims the article for sending and plans it; `already_claimed` if it is (or was) sent before. */
export async function startSend(env: Env, config: Config, article: Article, now = Date.now(), db: Db = getDb(env.DB)): Promise<StartResult> {
  const template = await renderIssueTemplate(config, article);
  // The claim: the unique slug makes this succeed once per article, whatever fires it how often.
  // Who gets the issue is fixed here: confirmed at this instant, ids up to the highest such id.
  const claimed = await db
    .insert(sends)
    .select(
      sql`SELECT ${selectList(sends, {
        slug: article.slug,
        status: sql`'planning'`,
        startedAt: now,
        maxSubscriberId: sql`coalesce(max(${subscribers.id}), 0)`,
        recipients: sql`count(*)`,
        subject: template.subject,
        html: template.html,
        text: template.text,
        title: article.title,
        articleDate: article.date,
        summary: article.summary,
        markdown: article.markdown,
      })}
            FROM ${subscribers} WHERE ${subscribers.status} = 'confirmed' AND ${subscribers.confirmedAt} <= ${now}`,
    )
    .onConflictDoNothing({ target: sends.slug })
    .returning({ id: sends.id, recipients: sends.recipients })
    .get();
  if (!claimed) return { started: false, reason: 'already_claimed' };
  const chunks = await planChunks(env, db, claimed.id);
  return { started: true, sendId: claimed.id, recipients: claimed.recipients, chunks };
}

export async function enqueueChunks(env: Env, messages: ChunkMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
    await env.SEND_QUEUE.sendBatch(messages.slice(i, i + QUEUE_BATCH).map((body) => ({ body, contentType: 'json' as const })));
  }
}

/** Finishes sends whose planning was cut short (a crash between claim and enqueue). */
export async function resumePlanning(env: Env, now = Date.now(), db: Db = getDb(env.DB)): Promise<number> {
  const stale = await db
    .select({ id: sends.id })
    .from(sends)
    .where(and(eq(sends.status, 'planning'), lt(sends.startedAt, now - PLANNING_STALE_MS)));
  for (const { id } of stale) await planChunks(env, db, id);
  return stale.length;
}

/**
 * Splits the send's recipients into keyset ranges of at most CHUNK_SIZE confirmed subscribers,
 * records them, enqueues one message per unfinished chunk, then marks the send `sending` (or `sent`
 * if empty). The ranges are fixed once: a resumed plan enqueues the stored ranges again and never
 * recomputes them (readers who left meanwhile would shift every boundary after theirs).
 */
async function planChunks(env: Env, db: Db, sendId: number): Promise<number> {
  const send = await db.select({ maxId: sends.maxSubscriberId, total: sends.chunksTotal }).from(sends).where(eq(sends.id, sendId)).get();
  if (!send) throw new Error(`send ${sendId} does not exist`);
  if (send.total === 0) {
    // Every CHUNK_SIZE-th confirmed id starts a chunk: one indexed scan, no per-subscriber rows out.
    const starts = await db.all<{ id: number }>(sql`
      SELECT id FROM (
        SELECT ${subscribers.id}, row_number() OVER (ORDER BY ${subscribers.id}) AS n
          FROM ${subscribers}, ${sends}
         WHERE ${sends.id} = ${sendId} AND ${subscribers.status} = 'confirmed' AND ${subscribers.id} <= ${sends.maxSubscriberId}
           AND ${subscribers.confirmedAt} <= ${sends.startedAt})
      WHERE (n - 1) % ${CHUNK_SIZE} = 0 ORDER BY id`);
    const ranges = starts.map((r, i) => [i, r.id, i + 1 < starts.length ? starts[i + 1].id - 1 : send.maxId]);
    // One atomic batch, guarded by `chunks_total = 0`: a concurrent planner that got here first wins
    // and this one inserts nothing. (Builder statements, because a raw `sql` one cannot be a batch
    // item: see src/db/batch.ts.)
    const unplanned = sql`(SELECT ${sends.chunksTotal} FROM ${sends} WHERE ${sends.id} = ${sendId}) = 0`;
    const statements: BatchItem<'sqlite'>[] = [];
    for (let i = 0; i < ranges.length; i += CHUNK_ROWS_PER_STATEMENT) {
      const slice = JSON.stringify(ranges.slice(i, i + CHUNK_ROWS_PER_STATEMENT));
      statements.push(
        db
          .insert(sendChunks)
          .select(
            sql`SELECT ${selectList(sendChunks, {
              sendId,
              chunk: sql`value->>0`,
              fromId: sql`value->>1`,
              toId: sql`value->>2`,
              status: sql`'pending'`,
              attempts: sql`0`,
            })}
                  FROM json_each(${slice}) WHERE ${unplanned}`,
          )
          .onConflictDoNothing(),
      );
    }
    statements.push(db.update(sends).set({ chunksTotal: ranges.length }).where(and(eq(sends.id, sendId), unplanned)));
    await db.batch(statements as BatchStatements);
  }

  // Enqueue what the stored plan says is unfinished (a resumed plan may find some chunks done).
  const open = await db
    .select({ chunk: sendChunks.chunk, fromId: sendChunks.fromId, toId: sendChunks.toId })
    .from(sendChunks)
    .where(and(eq(sendChunks.sendId, sendId), eq(sendChunks.status, 'pending')))
    .orderBy(sendChunks.chunk);
  await enqueueChunks(env, open.map((r) => ({ type: 'chunk', sendId, ...r })));

  const allFinished = sql`${sends.chunksFinished} >= ${sends.chunksTotal}`;
  const done = await db
    .update(sends)
    .set({
      status: sql`CASE WHEN ${allFinished} THEN 'sent' ELSE 'sending' END`,
      finishedAt: sql`CASE WHEN ${allFinished} THEN ${Date.now()} ELSE ${sends.finishedAt} END`,
    })
    .where(and(eq(sends.id, sendId), eq(sends.status, 'planning')))
    .returning({ total: sends.chunksTotal })
    .get();
  return done?.total ?? open.length;
}
