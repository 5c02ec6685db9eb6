// The queue consumers: SEND_QUEUE (issue chunks, confirmation and welcome emails) and its dead-letter queue.
// A message is acked only once its outcome is recorded; a failure retries it with a delay; an
// unexpected throw retries it too (the queue redelivers), which is safe because every handler is idempotent.
import { ConfigError, type Env, getConfig } from './config';
import { failChunk } from './issues/dead-letter';
import { deliverChunk } from './issues/deliver';
import { type MailTransport, type SendResult, transportFor } from './mail/transport';
import type { QueueMessage } from './messages';
import { sendConfirmation, sendWelcome } from './subscribers/notices';

/** Messages of one batch handled at once; the pacer keeps their provider calls apart. */
const CONCURRENCY = 6;

export async function handleQueue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  if (batch.queue.endsWith('-dlq')) return handleDeadLetters(batch, env);
  let config;
  try {
    config = getConfig(env);
  } catch (error) {
    // Misconfigured: send nothing, keep every message for when the configuration is fixed.
    console.error(`queue: ${(error as Error).message}`);
    batch.retryAll({ delaySeconds: 60 });
    if (error instanceof ConfigError) return;
    throw error;
  }
  const transport = transportFor(env, config);
  await forEachConcurrently(batch.messages, CONCURRENCY, async (message) => {
    try {
      await handleMessage(env, config, transport, message);
    } catch (error) {
      console.error(`queue: ${describe(message.body)} attempt ${message.attempts} failed: ${(error as Error).stack ?? error}`);
      message.retry({ delaySeconds: retryDelaySeconds(null, message.attempts) });
    }
  });
}

async function handleMessage(env: Env, config: ReturnType<typeof getConfig>, transport: MailTransport, message: Message<QueueMessage>): Promise<void> {
  const body = message.body;
  if (body.type === 'chunk') {
    const result = await deliverChunk(env, config, transport, body);
    if (result.kind === 'retry') {
      const delaySeconds = retryDelaySeconds(result.retryAfterMs, message.attempts);
      console.warn(`queue: ${describe(body)} will retry in ${delaySeconds}s: ${result.reason}`);
      message.retry({ delaySeconds });
    } else {
      if (result.kind === 'done') console.log(`queue: ${describe(body)} sent ${result.sent}, failed ${result.failed} (d1 rows written ${result.rowsWritten})`);
      message.ack();
    }
    return;
  }
  const result = body.type === 'confirmation' ? await sendConfirmation(env, config, transport, body) : await sendWelcome(env, config, transport, body);
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

async function handleDeadLetters(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    console.error(`dead letter: ${describe(body)} failed every retry`);
    if (body.type === 'chunk') await failChunk(env.DB, body, 'failed after every retry');
    else if (body.type === 'confirmation') {
      // Let the reader ask again at once rather than wait out the 15-minute rule.
      await env.DB.prepare('UPDATE subscribers SET confirmation_sent_at = NULL WHERE id = ?1 AND confirmation_sent_at = ?2')
        .bind(body.subscriberId, body.requestedAt)
        .run();
    }
    message.ack();
  }
}

/** The provider's `retry-after` when it gave one, else exponential backoff: 1 s, 2 s, 4 s … at most 5 minutes. */
export function retryDelaySeconds(retryAfterMs: number | null, attempts: number): number {
  if (retryAfterMs !== null) return Math.max(1, Math.ceil(retryAfterMs / 1000));
  return Math.min(300, 2 ** Math.max(0, attempts - 1));
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
