// The WEBHOOK_QUEUE consumer: one delivery attempt per message; a failed attempt is queued again as a
// new message with the backoff's delay (enqueued before this one is acked: a crash between duplicates,
// and the claim in deliverWebhook makes the duplicate a no-op).
import type { Env } from '../../config';
import type { Db } from '../../db/client';
import { deliverWebhook } from './deliver';
import type { WebhookMessage } from './notify';

export async function handleWebhookDeliveries(batch: MessageBatch<WebhookMessage>, db: Db, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const { deliveryId } = message.body;
      try {
        const result = await deliverWebhook(db, deliveryId);
        if (result.kind === 'retry') {
          console.warn(`webhooks: delivery ${deliveryId} failed (${result.error}); next attempt in ${result.afterSeconds} s`);
          await env.WEBHOOK_QUEUE.send({ deliveryId }, { contentType: 'json', delaySeconds: result.afterSeconds });
        } else if (result.kind === 'failed') console.error(`webhooks: delivery ${deliveryId} given up: ${result.error}`);
        message.ack();
      } catch (error) {
        console.error(`webhooks: delivery ${deliveryId} attempt threw: ${(error as Error)?.stack ?? error}`);
        message.retry({ delaySeconds: 30 });
      }
    }),
  );
}
