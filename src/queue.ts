// The queue consumers: SEND_QUEUE (issue chunks, confirmation and welcome emails) and its dead-letter
// queue. A message is acked only once its outcome is recorded. A provider failure of a chunk goes back
// as a fresh message with a delay (src/mail/retry.ts), so it never spends the queue's max_retries; an
// unexpected throw retries the message (the queue redelivers), which is safe because every handler is
// idempotent, and after max_retries it reaches the dead-letter queue.
import { and, eq } from 'drizzle-orm';
import { type Config, ConfigError, type Env, getConfig } from './config';
import { type Db, getDb } from './db/client';
import { subscribers } from './db/schema';
import { deliverChunk, failChunk } from './issues/deliver';
import { enqueueChunks, enqueueOpenChunks, wakeBackedOff } from './issues/plan';
import { retryDelaySeconds } from './mail/retry';
import { type MailTransport, type SendOutcome, transportFor } from './mail/transport';
import type { ChunkMessage, QueueMessage } from './messages';
import { sendConfirmation, sendWelcome } from './subscribers/notices';
import { sendReaderLink } from './preferences/links';
import { sendEmailChangeConfirmation } from './preferences/notices';
import { QUEUES } from './triggers';
import { handleWebhookDeliveries } from './webhooks/out/consumer';
import type { WebhookMessage } from './webhooks/out/notify';

/**
 * Messages of a batch in progress at once: about a second of calls at the configured rate, so
 * the next calls are always prepared (read, frozen) while earlier ones wait for their slots, and no
 * more: work done too early only competes with the calls leaving now.
 */
function concurrencyFor(ratePerSecond: number): number {
  return Math.min(50, Math.max(4, Math.ceil(ratePerSecond)));
}

export async function handleQueue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  const db = getDb(env.DB);
  if (batch.queue === QUEUES.deadLetters) return handleDeadLetters(batch, db, env);
  if (batch.queue === QUEUES.webhooks) return handleWebhookDeliveries(batch as unknown as MessageBatch<WebhookMessage>, db, env);
  if (batch.queue !== QUEUES.send) throw new Error(`unknown queue "${batch.queue}": src/triggers.ts names the queues of wrangler.toml`);
  let config: Config;
  try {
    config = getConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Misconfigured: send nothing. Chunks stay pending in D1 and housekeeping re-enqueues them once
    // their send has not moved for a while, so acking them spends nothing. Other mail waits and retries.
    console.error(`queue: not sending anything: ${error.message}`);
    for (const message of batch.messages) {
      if (message.body.type === 'chunk') message.ack();
      else message.retry({ delaySeconds: 300 });
    }
    return;
  }
  const transport = transportFor(env, config, db);
  // Several at once, in order: each waits for its own pace slot, so the pacer, not this loop, sets the
  // rate. Not the whole batch at once: a hundred messages reading D1 and building 2 MB batches
  // together would delay the calls that are due, and a rate limiter judges when calls arrive.
  await forEachConcurrently(batch.messages, concurrencyFor(config.sendRatePerSecond), async (message) => {
    try {
      await handleMessage(db, env, config, transport, message);
    } catch (error) {
      console.error(`queue: ${describe(message.body)} attempt ${message.attempts} failed: ${(error as Error).stack ?? error}`);
      message.retry({ delaySeconds: retryDelaySeconds(null, message.attempts) });
    }
  });
}

async function handleMessage(db: Db, env: Env, config: Config, transport: MailTransport, message: Message<QueueMessage>): Promise<void> {
  const body = message.body;
  if (body.type !== 'chunk') {
    const outcome =
      body.type === 'confirmation'
        ? await sendConfirmation(db, config, transport, body)
        : body.type === 'email_change'
          ? await sendEmailChangeConfirmation(db, config, transport, body)
          : body.type === 'reader_link'
            ? await sendReaderLink(db, config, transport, body)
            : await sendWelcome(db, config, transport, body);
    return settleNotice(message, outcome);
  }
  const result = await deliverChunk(db, config, transport, body);
  switch (result.kind) {
    case 'done':
      console.log(`queue: ${describe(body)} sent ${result.sent}, failed ${result.failed}, unknown ${result.unknown} (d1 rows written ${result.rowsWritten})`);
      // The canary is done: the rest goes after the wait. A halted send accepted again: the rest goes now.
      if (result.mainAt !== null || result.resumed) await enqueueOpenChunks(db, env, body.sendId, Date.now());
      else if (result.recoveredFrom !== null) {
        const woken = await wakeBackedOff(db, env, body.sendId, result.recoveredFrom, Date.now());
        if (woken > 0) console.log(`queue: the provider is back; ${woken} chunk(s) of send ${body.sendId} that were backing off go now`);
      }
      break;
    case 'waiting':
      if (result.afterMs !== null) await requeue(env, body, result.afterMs, body.retries ?? 0);
      break;
    case 'retry': {
      const retries = (body.retries ?? 0) + (result.rateLimited ? 0 : 1);
      console.warn(`queue: ${describe(body)} will retry: ${result.reason}`);
      await requeue(env, body, result.afterMs, retries);
      break;
    }
    case 'halted':
      console.error(`queue: ${describe(body)}: the provider refuses every batch (${result.reason}). The send is halted; fix the configuration, and housekeeping resumes it within 15 minutes.`);
      break;
    case 'already_done':
      break;
  }
  message.ack();
}

/** A fresh message (its own max_retries), enqueued before the old one is acked: a crash between duplicates, never loses. */
async function requeue(env: Env, body: ChunkMessage, afterMs: number | null, retries: number): Promise<void> {
  const delaySeconds = retryDelaySeconds(afterMs, retries);
  await enqueueChunks(env, [{ type: 'chunk', sendId: body.sendId, chunk: body.chunk, retries }], delaySeconds);
}

/** Transactional mail: retry what may work later; a refused address is logged and dropped. */
function settleNotice(message: Message<QueueMessage>, outcome: SendOutcome | null): void {
  if (outcome?.kind === 'retry') return message.retry({ delaySeconds: retryDelaySeconds(outcome.afterMs, message.attempts) });
  // Refused as a whole (a bad key, an unverified domain): try again later; max_retries bounds it.
  if (outcome?.kind === 'refused') {
    console.error(`queue: ${describe(message.body)} refused: ${outcome.message}`);
    return message.retry({ delaySeconds: 300 });
  }
  if (outcome?.kind === 'accepted' && 'error' in outcome.outcomes[0]) console.error(`queue: ${describe(message.body)} refused: ${outcome.outcomes[0].error}`);
  message.ack();
}

async function handleDeadLetters(batch: MessageBatch<QueueMessage>, db: Db, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    console.error(`dead letter: ${describe(body)} failed every retry`);
    if (body.type === 'chunk') await failChunk(db, getConfig(env), body, 'failed after every retry');
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

function describe(body: QueueMessage): string {
  return body.type === 'chunk' ? `chunk ${body.sendId}/${body.chunk}` : `${body.type} for subscriber ${body.subscriberId}`;
}

async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
