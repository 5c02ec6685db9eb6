// The `resend` transport: Resend's batch endpoint through the official SDK (RESEND_BASE_URL honoured).
// Batches are sent in permissive mode, so one permanently invalid address fails only itself.
import { Resend } from 'resend';
import type { MailTransport, OutgoingEmail, SendResult } from './transport';

export class ResendTransport implements MailTransport {
  readonly paced = true;
  private readonly client: Resend;

  constructor(apiKey: string, baseUrl: string | null) {
    this.client = new Resend(apiKey, baseUrl ? { baseUrl: baseUrl.replace(/\/+$/, '') } : undefined);
  }

  async sendBatch(emails: OutgoingEmail[], idempotencyKey: string): Promise<SendResult> {
    const payload = emails.map((e) => ({
      from: e.from,
      to: [e.to],
      subject: e.subject,
      html: e.html,
      text: e.text,
      headers: e.headers,
      ...(e.replyTo ? { replyTo: e.replyTo } : {}),
      ...(e.tags?.length ? { tags: e.tags } : {}),
    }));
    const { data, error, headers } = await this.client.batch.send(payload, { idempotencyKey, batchValidation: 'permissive' });
    if (error || !data) {
      const status = error?.statusCode ?? null;
      return {
        ok: false,
        retryable: isRetryable(status, error?.name),
        retryAfterMs: status === 429 ? retryAfterMs(headers) : null,
        code: error?.name ?? null,
        // No `ratelimit-remaining` header on a 429 means we cannot tell: assume the window is spent.
        windowExhausted: status === 429 && (headers?.['ratelimit-remaining'] ?? '0') === '0',
        status,
        message: `${error?.name ?? 'unknown_error'}: ${error?.message ?? 'no answer'}`,
      };
    }
    // Permissive mode: `data` holds the accepted emails in order, `errors` the refused ones by index.
    const refused = new Map((data.errors ?? []).map((e) => [e.index, e.message]));
    const accepted = data.data[Symbol.iterator]();
    const outcomes = emails.map((_, i) => {
      const reason = refused.get(i);
      if (reason !== undefined) return { error: reason };
      const next = accepted.next();
      return next.done ? { error: 'no id returned by Resend' } : { id: next.value.id };
    });
    return { ok: true, outcomes };
  }
}

/** 429, 5xx, a network failure (no status) and a concurrent use of the same key may all succeed later. */
function isRetryable(status: number | null, name: string | undefined): boolean {
  if (status === null || status === 429 || status >= 500) return true;
  return name === 'concurrent_idempotent_requests';
}

/** `retry-after` in seconds, else `ratelimit-reset` (seconds until the window resets). */
function retryAfterMs(headers: Record<string, string> | null): number | null {
  const value = headers?.['retry-after'] ?? headers?.['ratelimit-reset'];
  const seconds = Number(value);
  return value !== undefined && Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : null;
}
