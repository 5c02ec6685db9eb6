// A pause taken on the preferences page (issue 14) against the send path: the chunk messages of a
// send are captured rather than enqueued, and handed to the consumer one at a time, so a pause can be
// taken between chunks. Pauses go through the real route; mail lands in the outbox transport.
import { getDb } from '../src/db/client';
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Env, getConfig, readConfig } from '../src/config';
import type { Article } from '../src/issues/article';
import { deliverChunk } from '../src/issues/deliver';
import { startSend } from '../src/issues/plan';
import { sendStats } from '../src/issues/stats';
import { OutboxTransport } from '../src/mail/outbox';
import type { ChunkMessage, QueueMessage } from '../src/messages';
import { signPreferencesToken } from '../src/subscribers/tokens';
import { seedConfirmed } from './support/d1';
import { postJson } from './support/helpers';

let sendCounter = 0;
function article(): Article {
  const slug = `pause-${++sendCounter}`;
  return { slug, title: `Pause test ${sendCounter}`, date: '2026-01-01', summary: 'A test issue.', markdown: 'Hello **reader**.' };
}

/** A send whose chunk messages are captured rather than enqueued. */
async function planSend(a: Article): Promise<{ chunks: ChunkMessage[]; renv: Env; sendId: number }> {
  const chunks: ChunkMessage[] = [];
  const capture = {
    send: async (m: QueueMessage) => void chunks.push(m as ChunkMessage),
    sendBatch: async (ms: { body: QueueMessage }[]) => void chunks.push(...ms.map((m) => m.body as ChunkMessage)),
  } as unknown as Queue<QueueMessage>;
  const renv: Env = { ...env, SEND_QUEUE: capture };
  const started = await startSend(getDb(env.DB), renv, readConfig(renv), a);
  if (!started.started) throw new Error('send did not start');
  return { chunks, renv, sendId: started.sendId };
}

async function deliver(renv: Env, chunk: ChunkMessage) {
  const db = getDb(env.DB);
  const result = await deliverChunk(db, readConfig(renv), new OutboxTransport(db), chunk);
  expect(result.kind).toBe('done');
}

/** Pauses a reader through their own page, as they would. */
async function pauseThroughPage(id: number, weeks = 2) {
  const token = await signPreferencesToken(getConfig(env).tokenSecret, id);
  const response = await postJson(`/preferences?token=${token}`, { action: 'pause', weeks });
  expect(response.status).toBe(200);
}

/** How many copies of the issue each of `ids` got (outbox), and whether a delivery row records it. */
async function received(a: Article, ids: number[]): Promise<Map<number, number>> {
  const { results } = await env.DB.prepare(
    `SELECT s.id AS id, count(o.id) AS n FROM subscribers s LEFT JOIN outbox o ON o."to" = s.email AND o.subject = ?1
      WHERE s.id IN (SELECT value FROM json_each(?2)) GROUP BY s.id`,
  )
    .bind(a.title, JSON.stringify(ids))
    .all<{ id: number; n: number }>();
  return new Map(results.map((r) => [r.id, r.n]));
}

async function recorded(sendId: number): Promise<Set<number>> {
  const { results } = await env.DB.prepare('SELECT subscriber_id AS id FROM deliveries WHERE send_id = ?1').bind(sendId).all<{ id: number }>();
  return new Set(results.map((r) => r.id));
}

beforeEach(async () => {
  await env.DB.batch(['subscribers', 'deliveries', 'send_chunks', 'sends', 'outbox'].map((t) => env.DB.prepare(`DELETE FROM ${t}`)));
});

describe('a pause against the send path', () => {
  it('skips a paused reader: no email, no delivery record; everyone else gets it once', async () => {
    const ids = await seedConfirmed(env.DB, `paused-skip-${Date.now()}`, 5);
    await pauseThroughPage(ids[1]);
    const a = article();
    const { chunks, renv, sendId } = await planSend(a);
    for (const chunk of chunks) await deliver(renv, chunk);
    const counts = await received(a, ids);
    expect(counts.get(ids[1])).toBe(0);
    for (const id of ids.filter((id) => id !== ids[1])) expect(counts.get(id), String(id)).toBe(1);
    expect((await recorded(sendId)).has(ids[1])).toBe(false);
    expect((await env.DB.prepare('SELECT status FROM sends WHERE id = ?1').bind(sendId).first<{ status: string }>())!.status).toBe('sent');
  });

  it('honours a pause taken mid-send in every chunk not yet sent', async () => {
    const ids = await seedConfirmed(env.DB, `paused-mid-${Date.now()}`, 250);
    const a = article();
    const { chunks, renv, sendId } = await planSend(a);
    expect(chunks).toHaveLength(3);
    await deliver(renv, chunks[0]);
    // Three readers pause now: one whose chunk went out already, one in each chunk still to go.
    const [early, middle, late] = [ids[10], ids[150], ids[240]];
    for (const id of [early, middle, late]) await pauseThroughPage(id, 4);
    await deliver(renv, chunks[1]);
    await deliver(renv, chunks[2]);

    const counts = await received(a, ids);
    expect(counts.get(early)).toBe(1); // before the pause
    expect(counts.get(middle)).toBe(0);
    expect(counts.get(late)).toBe(0);
    const others = ids.filter((id) => ![early, middle, late].includes(id));
    expect(others.every((id) => counts.get(id) === 1)).toBe(true);
    const rows = await recorded(sendId);
    expect(rows.size).toBe(248);
    expect(rows.has(middle) || rows.has(late)).toBe(false);
    // The stats count them as paused, apart from sent and skipped.
    expect(await sendStats(getDb(env.DB), sendId)).toMatchObject({ status: 'sent', recipients: 250, sent: 248, paused: 2, skipped: 0, pending: 0 });
  });

  it('sends again once a pause has ended by itself, or the reader resumed', async () => {
    const ids = await seedConfirmed(env.DB, `paused-ended-${Date.now()}`, 3);
    const [ended, resumed, still] = ids;
    for (const id of ids) await pauseThroughPage(id, 2);

    const first = article();
    const one = await planSend(first);
    for (const chunk of one.chunks) await deliver(one.renv, chunk);
    expect([...(await received(first, ids)).values()]).toEqual([0, 0, 0]);

    // Two weeks on for one of them (the pause ran out); another presses "Resume now".
    await env.DB.prepare('UPDATE subscribers SET paused_until = ?2 WHERE id = ?1').bind(ended, Date.now() - 1).run();
    const token = await signPreferencesToken(getConfig(env).tokenSecret, resumed);
    expect((await postJson(`/preferences?token=${token}`, { action: 'resume' })).status).toBe(200);

    const second = article();
    const two = await planSend(second);
    for (const chunk of two.chunks) await deliver(two.renv, chunk);
    const counts = await received(second, ids);
    expect(counts.get(ended)).toBe(1);
    expect(counts.get(resumed)).toBe(1);
    expect(counts.get(still)).toBe(0);
  });
});
