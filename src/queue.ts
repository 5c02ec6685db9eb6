// The queue consumers: SEND_QUEUE (issue chunks, confirmation and welcome emails) and its dead-letter queue.
// A message is acked only once its outcome is recorded; a failure retries it with a delay; an
// unexpected throw retries it too (the queue redelivers), which is safe because every handler is idempotent.
import { and, eq } from 'drizzle-orm';
import { ConfigError, type Env, getConfig } from './config';
import { type Db, getDb } from './db/client';
import { subscribers } from './db/schema';
import { failChunk } from './issues/dead-letter';
import { CHUNK_STALL_MS } from './issues/maintenance';
import { deliverChunk } from './issues/deliver';
import { type MailTransport, type SendResult, transportFor } from './mail/transport';
import type { QueueMessage } from './messages';
import { sendConfirmation, sendWelcome } from './subscribers/notices';
import { sendEmailChangeConfirmation } from './preferences/notices';

/** Messages of one batch handled at once; the pacer keeps their provider calls apart. */
const CONCURRENCY = 6;

export async function handleQueue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  const db = getDb(env.DB);
  if (batch.queue.endsWith('-dlq')) return handleDeadLetters(batch, db);
  let config;
  try {
    config = getConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Misconfigured: send nothing. Chunks stay pending in D1 and housekeeping re-enqueues them once
    // no chunk of their send has moved for a while, so acking them spends none of their retries
    // (which would end in the dead-letter queue and fail their readers). Other mail waits and retries.
    console.error(`queue: not sending anything: ${error.message}`);
    for (const message of batch.messages) {
      if (message.body.type === 'chunk') message.ack();
      else message.retry({ delaySeconds: 300 });
    }
    return;
  }
  const transport = transportFor(env, config);
  await forEachConcurrently(batch.messages, CONCURRENCY, async (message) => {
    try {
      await handleMessage(env, db, config, transport, message);
    } catch (error) {
      console.error(`queue: ${describe(message.body)} attempt ${message.attempts} failed: ${(error as Error).stack ?? error}`);
      message.retry({ delaySeconds: retryDelaySeconds(null, message.attempts) });
    }
  });
}

async function handleMessage(env: Env, db: Db, config: ReturnType<typeof getConfig>, transport: MailTransport, message: Message<QueueMessage>): Promise<void> {
  const body = message.body;
  if (body.type === 'chunk') {
    const result = await deliverChunk(env, config, transport, body, {}, db);
    if (result.kind === 'halted') {
      // Loud, and without spending retries: housekeeping tries the chunk again later.
      console.error(`queue: ${describe(body)} halted, the provider refuses every batch: ${result.reason}. Fix the configuration; pending chunks are retried every ${CHUNK_STALL_MS / 60_000} minutes.`);
      message.ack();
    } else if (result.kind === 'retry') {
      const delaySeconds = retryDelaySeconds(result.retryAfterMs, message.attempts);
      console.warn(`queue: ${describe(body)} will retry in ${delaySeconds}s: ${result.reason}`);
      message.retry({ delaySeconds });
    } else {
      if (result.kind === 'done') console.log(`queue: ${describe(body)} sent ${result.sent}, failed ${result.failed} (d1 rows written ${result.rowsWritten})`);
      message.ack();
    }
    return;
  }
  const result =
    body.type === 'confirmation'
      ? await sendConfirmation(env, config, transport, body)
      : body.type === 'email_change'
        ? await sendEmailChangeConfirmation(db, config, transport, body)
        : await sendWelcome(env, config, transport, body);
  settle(message, result);
}

/** Transactional mail: retry what may work later, log and drop what never will. */
function settle(message: Message<QueueMessage>, result: SendResult | null): void {
  if (result && !result.ok && result.retryable) {
    message.retry({ delaySeconds: retryDelaySeconds(result.retryAfterMs, message.attempts) });
    return;
  }
  if (result && !result.ok) console.error(`queue: ${describe(message.body)} refused: ${result.message}`);
  else if (result?.ok && 'error' in result.outcomes[0]) console.error(`queue: ${describe(message.body)} refused: ${result.outcomes[0].error}`);
  message.ack();
}

async function handleDeadLetters(batch: MessageBatch<QueueMessage>, db: Db): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    console.error(`dead letter: ${describe(body)} failed every retry`);
    if (body.type === 'chunk') await failChunk(db, body, 'failed after every retry');
    else if (body.type === 'confirmation') {
      // Let the reader ask again at once rather than wait out the 15-minute rule.
      await db
        .update(subscribers)
        .set({ confirmationSentAt: null })
        .where(and(eq(subscribers.id, body.subscriberId), eq(subscribers.confirmationSentAt, body.requestedAt)));
    }
    message.ack();
  }
}

/**
 * The provider's `retry-after` when it gave one, else exponential backoff: 2 s, 4 s, 8 s … at most
 * 15 minutes, so the 15 retries of wrangler.toml ride out about 1.8 hours of provider outage before a
 * chunk is dead-lettered (and its readers recorded as failed).
 */
export function retryDelaySeconds(retryAfterMs: number | null, attempts: number): number {
  if (retryAfterMs !== null) return Math.max(1, Math.ceil(retryAfterMs / 1000));
  return Math.min(900, 2 ** Math.max(1, attempts));
}

function describe(body: QueueMessage): string {
  return body.type === 'chunk' ? `chunk ${body.sendId}/${body.chunk}` : `${body.type} for subscriber ${body.subscriberId}`;
}

async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
