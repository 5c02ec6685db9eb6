// The `resend` transport: Resend's batch endpoint through the official SDK (RESEND_BASE_URL honoured).
// Batches are sent in permissive mode, so one permanently invalid address fails only itself.
//
// Every call is paced (src/mail/pacer.ts), and what each answer means is decided here, once:
//  - 200: accepted (per-email refusals in permissive mode are that reader's outcome);
//  - 429: retried at once (a new pace slot) while the waits stay short, never counted as a failure;
//    an over-rate 429 also holds every consumer for as long as the headers say;
//  - 5xx, no answer: tried twice more at the next slots, then handed back; the batch may have been
//    accepted (a lost answer), which the caller must remember (`uncertain`); several in a row hold
//    every consumer between probes (the pacer);
//  - 429 daily/monthly_quota_exceeded: refused (the send halts), not a rate limit;
//  - 409 invalid_idempotent_request: an earlier attempt under this key was accepted (`conflict`);
//  - 409 concurrent_idempotent_requests: another attempt is in flight; hand back and try later;
//  - anything else (401, 403, 422 on the whole request, quotas): `refused`, not about these readers.
import { Resend } from 'resend';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { createPacer, type Pacer, retryAfterMs } from './pacer';
import { type Batch, built, type EmailOutcome, type MailTransport, type OutgoingEmail, type SendOutcome } from './transport';

/** 429s are retried within one call while the time spent waiting on them stays under this. */
const RATE_LIMIT_INLINE_MS = 5_000;
const QUOTA_ERRORS = new Set(['daily_quota_exceeded', 'monthly_quota_exceeded']);
/** Provider calls per send() on 5xx or no answer before handing back. */
const SERVER_ERROR_ATTEMPTS = 3;

/** How hard one send() tries before handing back (tests lower them). */
export interface ResendTransportOptions {
  serverErrorAttempts?: number;
  rateLimitInlineMs?: number;
  /** Longest wait between probes of a provider that is down (0: no outage holds; tests of hours in simulated time). */
  outageMaxHoldMs?: number;
}

export class ResendTransport implements MailTransport {
  private readonly client: Resend;
  private readonly pacer: Pacer;
  private readonly serverErrorAttempts: number;
  private readonly rateLimitInlineMs: number;

  constructor(db: Db, config: Config, options: ResendTransportOptions = {}) {
    const baseUrl = config.resendBaseUrl;
    this.client = new Resend(config.resendApiKey!, baseUrl ? { baseUrl: baseUrl.replace(/\/+$/, '') } : undefined);
    this.pacer = createPacer(db, config.sendRatePerSecond, { outageMaxHoldMs: options.outageMaxHoldMs });
    this.serverErrorAttempts = options.serverErrorAttempts ?? SERVER_ERROR_ATTEMPTS;
    this.rateLimitInlineMs = options.rateLimitInlineMs ?? RATE_LIMIT_INLINE_MS;
  }

  async send(batch: Batch, idempotencyKey: string): Promise<SendOutcome> {
    let emails: OutgoingEmail[] | null = null;
    const toPayload = (list: OutgoingEmail[]) => list.map((e) => ({
      from: e.from,
      to: [e.to],
      subject: e.subject,
      html: e.html,
      text: e.text,
      headers: e.headers,
      tags: Object.entries(e.tags).map(([name, value]) => ({ name, value })),
      replyTo: e.replyTo,
    }));
    let payload: ReturnType<typeof toPayload> = [];
    let uncertain = false;
    let serverErrors = 0;
    let rateLimitedMs = 0;
    for (;;) {
      // Built once, when the first turn comes; a retry sends the very same batch.
      await this.pacer.wait(async () => {
        if (emails === null) {
          emails = await built(batch);
          payload = toPayload(emails);
        }
      });
      if (emails!.length === 0) return { kind: 'accepted', outcomes: [] };
      const { data, error, headers } = await this.client.batch.send(payload, { idempotencyKey, batchValidation: 'permissive' });
      const status = error ? (error.statusCode ?? null) : 200;
      // A quota 429 says nothing about the pace: the pacer must not hold everyone for its retry-after.
      const quota = QUOTA_ERRORS.has(error?.name ?? '');
      const hold = quota ? null : await this.pacer.observe({ status, headers });
      if (!error && data) return { kind: 'accepted', outcomes: outcomesOf(emails!.length, data) };
      const name = error?.name ?? 'unknown_error';
      const message = `${status ?? 'no answer'} ${name}: ${error?.message ?? 'no answer'}`;
      // A spent quota is a 429 too, but no pace fixes it: every batch is refused until the operator
      // raises the plan or the quota renews, which is what a halted send (probed by housekeeping) is for.
      if (quota) return { kind: 'refused', uncertain, message };
      if (status === 429) {
        const wait = hold ?? retryAfterMs(headers) ?? 1000;
        rateLimitedMs += wait;
        if (rateLimitedMs > this.rateLimitInlineMs) return { kind: 'retry', afterMs: wait, rateLimited: !uncertain && serverErrors === 0, uncertain, message };
        // An over-rate 429 already holds the pacer; any other one waits here, for this batch only.
        if (hold === null) await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      if (status === null || status >= 500) {
        uncertain = true;
        if (++serverErrors < this.serverErrorAttempts) continue;
        return { kind: 'retry', afterMs: retryAfterMs(headers, false), rateLimited: false, uncertain, message };
      }
      if (name === 'invalid_idempotent_request') return { kind: 'conflict', message };
      if (name === 'concurrent_idempotent_requests') return { kind: 'retry', afterMs: 1000, rateLimited: false, uncertain, message };
      return { kind: 'refused', uncertain, message };
    }
  }
}

/** Permissive mode: `data` holds the accepted emails in order, `errors` the refused ones by index. */
function outcomesOf(count: number, data: { data: { id: string }[]; errors?: { index: number; message: string }[] }): EmailOutcome[] {
  const refused = new Map((data.errors ?? []).map((e) => [e.index, e.message]));
  const accepted = data.data[Symbol.iterator]();
  return Array.from({ length: count }, (_, i) => {
    const reason = refused.get(i);
    if (reason !== undefined) return { error: reason };
    const next = accepted.next();
    return next.done ? { error: 'no id returned by Resend' } : { id: next.value.id };
  });
}
