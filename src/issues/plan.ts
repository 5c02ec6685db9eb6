// Starting a send: claim the article (once, ever), fix who gets it, split them into chunks, enqueue.
//
// Every step is idempotent, so a crash anywhere leaves a `planning` send that the next cron run
// (or the next admin request) finishes with resumePlanning(); duplicate chunk messages are harmless
// because delivering a chunk is idempotent too (see deliver.ts).
import type { Config, Env } from '../config';
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
export async function startSend(env: Env, config: Config, article: Article, now = Date.now()): Promise<StartResult> {
  const template = await renderIssueTemplate(config, article);
  // The claim: the unique slug makes this succeed once per article, whatever fires it how often.
  // Who gets the issue is fixed here: confirmed at this instant, ids up to the highest such id.
  const claimed = await env.DB.prepare(
    `INSERT INTO sends (slug, status, started_at, max_subscriber_id, recipients, subject, html, text, title, article_date, summary, markdown)
     SELECT ?1, 'planning', ?2, coalesce(max(id), 0), count(*), ?3, ?4, ?5, ?6, ?7, ?8, ?9
       FROM subscribers WHERE status = 'confirmed' AND confirmed_at <= ?2
     ON CONFLICT(slug) DO NOTHING
     RETURNING id, recipients`,
  )
    .bind(article.slug, now, template.subject, template.html, template.text, article.title, article.date, article.summary, article.markdown)
    .first<{ id: number; recipients: number }>();
  if (!claimed) return { started: false, reason: 'already_claimed' };
  const chunks = await planChunks(env, claimed.id);
  return { started: true, sendId: claimed.id, recipients: claimed.recipients, chunks };
}

export async function enqueueChunks(env: Env, messages: ChunkMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
    await env.SEND_QUEUE.sendBatch(messages.slice(i, i + QUEUE_BATCH).map((body) => ({ body, contentType: 'json' as const })));
  }
}

/** Finishes sends whose planning was cut short (a crash between claim and enqueue). */
export async function resumePlanning(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(`SELECT id FROM sends WHERE status = 'planning' AND started_at < ?1`)
    .bind(now - PLANNING_STALE_MS)
    .all<{ id: number }>();
  for (const { id } of results) await planChunks(env, id);
  return results.length;
}

/**
 * Splits the send's recipients into keyset ranges of at most CHUNK_SIZE confirmed subscribers,
 * records them, enqueues one message per unfinished chunk, then marks the send `sending` (or `sent`
 * if empty). The ranges are fixed once: a resumed plan enqueues the stored ranges again and never
 * recomputes them (readers who left meanwhile would shift every boundary after theirs).
 */
async function planChunks(env: Env, sendId: number): Promise<number> {
  const db = env.DB;
  const send = await db.prepare('SELECT max_subscriber_id AS maxId, chunks_total AS total FROM sends WHERE id = ?1').bind(sendId).first<{ maxId: number; total: number }>();
  if (!send) throw new Error(`send ${sendId} does not exist`);
  if (send.total === 0) {
    // Every CHUNK_SIZE-th confirmed id starts a chunk: one indexed scan, no per-subscriber rows out.
    const { results: starts } = await db
      .prepare(
        `SELECT id FROM (
           SELECT s.id, row_number() OVER (ORDER BY s.id) AS n
             FROM subscribers s, sends d
            WHERE d.id = ?1 AND s.status = 'confirmed' AND s.id <= d.max_subscriber_id AND s.confirmed_at <= d.started_at)
         WHERE (n - 1) % ?2 = 0 ORDER BY id`,
      )
      .bind(sendId, CHUNK_SIZE)
      .all<{ id: number }>();
    const ranges = starts.map((s, i) => [i, s.id, i + 1 < starts.length ? starts[i + 1].id - 1 : send.maxId]);
    // One atomic batch, guarded by `chunks_total = 0`: a concurrent planner that got here first wins
    // and this one inserts nothing.
    const unplanned = '(SELECT chunks_total FROM sends WHERE id = ?1) = 0';
    const statements: D1PreparedStatement[] = [];
    for (let i = 0; i < ranges.length; i += CHUNK_ROWS_PER_STATEMENT) {
      statements.push(
        db
          .prepare(
            `INSERT OR IGNORE INTO send_chunks (send_id, chunk, from_id, to_id, status, attempts)
             SELECT ?1, value->>0, value->>1, value->>2, 'pending', 0 FROM json_each(?2) WHERE ${unplanned}`,
          )
          .bind(sendId, JSON.stringify(ranges.slice(i, i + CHUNK_ROWS_PER_STATEMENT))),
      );
    }
    statements.push(db.prepare(`UPDATE sends SET chunks_total = ?2 WHERE id = ?1 AND ${unplanned}`).bind(sendId, ranges.length));
    await db.batch(statements);
  }

  // Enqueue what the stored plan says is unfinished (a resumed plan may find some chunks done).
  const { results: open } = await db
    .prepare(`SELECT chunk, from_id AS fromId, to_id AS toId FROM send_chunks WHERE send_id = ?1 AND status = 'pending' ORDER BY chunk`)
    .bind(sendId)
    .all<{ chunk: number; fromId: number; toId: number }>();
  await enqueueChunks(env, open.map((r) => ({ type: 'chunk', sendId, ...r })));

  const done = await db
    .prepare(
      `UPDATE sends SET status = CASE WHEN chunks_finished >= chunks_total THEN 'sent' ELSE 'sending' END,
                        finished_at = CASE WHEN chunks_finished >= chunks_total THEN ?2 ELSE finished_at END
        WHERE id = ?1 AND status = 'planning' RETURNING chunks_total AS total`,
    )
    .bind(sendId, Date.now())
    .first<{ total: number }>();
  return done?.total ?? open.length;
}
