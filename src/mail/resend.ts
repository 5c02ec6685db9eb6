// The `resend` transport: Resend's batch endpoint through the official SDK (RESEND_BASE_URL honoured).
// Batches are sent in permissive mode, so one permanently invalid address fails only itself.
//
// Every call is paced (src/mail/pacer.ts), and what each answer means is decided here, once. The
// status is the HTTP answer's own (ProviderClient below), never only what a JSON body claims: a proxy
// or a load balancer in front of Resend may answer with a body that has no `statusCode`, or HTML.
//  - 200: accepted (per-email refusals in permissive mode are that reader's outcome);
//  - 429: retried after at least `retry-after` (a new pace slot) while the waits stay short, never
//    counted as a failure; an over-rate 429 also holds this isolate's other calls until its log says
//    the provider's window frees, and a second one within `retry-after` holds every consumer that
//    long (the pacer);
//  - 5xx, no answer: tried twice more at the next slots, then handed back; the batch may have been
//    accepted (a lost answer), which the caller must remember (`uncertain`); several in a row hold
//    every consumer between probes (the pacer);
//  - 429 daily/monthly_quota_exceeded: refused (the send halts), not a rate limit;
//  - 409 invalid_idempotent_request: Resend's docs (dashboard/emails/idempotency-keys): "this
//    idempotency key has already been used on a request that had a different payload", and keys are
//    kept for "an email with the same idempotency key [that] has already been sent": an earlier
//    attempt under this key was accepted (`conflict`);
//  - 409 concurrent_idempotent_requests: "another request with the same idempotency key is currently
//    in progress … it is safe to retry this request later": that other request may be accepted, so the
//    outcome is uncertain, and it comes back later under the same key;
//  - 413, or an answer that is not Resend's JSON (an HTML error page): refused with a message that
//    says what came back, so the halted send tells the operator what happened;
//  - anything else (401, 403, 422 on the whole request): `refused`, not about these readers.
import { Resend } from 'resend';
import type { Config } from '../config';
import type { Db } from '../db/client';
import { createPacer, type Pacer, retryAfterMs, uploadsSettled } from './pacer';
import { type Batch, built, type EmailOutcome, type MailTransport, type OutgoingEmail, type SendOutcome } from './transport';

/** 429s are retried within one call while the time spent waiting on them stays under this. */
const RATE_LIMIT_INLINE_MS = 5_000;
const QUOTA_ERRORS = new Set(['daily_quota_exceeded', 'monthly_quota_exceeded']);
/** Provider calls per send() on 5xx or no answer before handing back. */
const SERVER_ERROR_ATTEMPTS = 3;
/** A concurrent use of the key is finished within seconds (one batch call); come back after this. */
const CONCURRENT_RETRY_MS = 2_000;

/** What one HTTP exchange with Resend came to: the SDK's result shape, plus the HTTP status (null: no answer). */
export interface ProviderAnswer<T> {
  data: T | null;
  error: { name: string; message: string } | null;
  headers: Record<string, string> | null;
  status: number | null;
}

/**
 * The SDK's client with one change: its request method keeps the HTTP status. The SDK takes the
 * status from the JSON body (`statusCode`) and, when a body parses but has none (an intermediary's
 * JSON), reports no status at all, which reads like a lost answer; an HTML body becomes "Internal
 * server error" whatever the status was (a 413 included). Request building, auth and the
 * Idempotency-Key header stay the SDK's.
 */
export class ProviderClient extends Resend {
  override async fetchRequest<T>(path: string, options: RequestInit = {}): Promise<never> {
    return (await this.exchange<T>({ path, init: options })) as never;
  }

  /**
   * The batch call as the SDK builds it (body, auth, Idempotency-Key), without sending it. The body
   * of 100 personalised emails is 2 MB of JSON: stringifying and encoding it takes the isolate
   * milliseconds, by a varying amount, so it is done before the call's slot, and only the upload
   * comes after the start (a limiter that stamps after the body sees less of our own spread).
   */
  async prepareBatch(payload: Parameters<Resend['batch']['send']>[0], options: Parameters<Resend['batch']['send']>[1]): Promise<PreparedCall> {
    const builder = new RequestBuilder(this.key ?? '', { baseUrl: this.baseUrl, userAgent: this.userAgent });
    await builder.batch.send(payload, options);
    const call = builder.built;
    if (!call) throw new Error('the Resend SDK built no request for this batch (has its batch API changed?)');
    const body = typeof call.init.body === 'string' ? new TextEncoder().encode(call.init.body) : call.init.body;
    return { path: call.path, init: { ...call.init, body } };
  }

  /** Sends a prepared call (a retry sends the very same bytes under the same key). */
  async send<T>(call: PreparedCall): Promise<ProviderAnswer<T>> {
    return this.exchange<T>(call);
  }

  private async exchange<T>({ path, init: options }: PreparedCall): Promise<ProviderAnswer<T>> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, options);
      text = await response.text();
    } catch (error) {
      return { data: null, error: { name: 'no_answer', message: `no answer from the provider (${(error as Error).message})` }, headers: null, status: null };
    }
    const headers = Object.fromEntries(response.headers.entries());
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok && body !== undefined) return { data: body as T, error: null, headers, status: response.status };
    return { data: null, error: describeError(response, body, text), headers, status: response.status };
  }
}

/** One HTTP call to the provider, built and ready to upload. */
export interface PreparedCall {
  path: string;
  init: RequestInit;
}

/** The SDK's client that only records the request it would make (ProviderClient.prepareBatch). */
class RequestBuilder extends Resend {
  built: PreparedCall | null = null;
  override async fetchRequest(path: string, options: RequestInit = {}): Promise<never> {
    this.built = { path, init: options };
    return { data: null, error: null, headers: null } as never;
  }
}

/** The provider's own error when its body is Resend's JSON; else what really came back, said plainly. */
function describeError(response: Response, body: unknown, text: string): { name: string; message: string } {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof fields.name === 'string' && typeof fields.message === 'string') return { name: fields.name, message: fields.message };
  const type = response.headers.get('content-type')?.split(';')[0]?.trim() || 'no content type';
  const what = response.status === 413
    ? 'the request was too large for the provider or a proxy in front of it (413 Payload Too Large): a batch of 100 personalised emails must stay under its body limit'
    : `the provider answered ${response.status} ${response.statusText || ''} with ${type} instead of its JSON error (a proxy or an outage page?)`.replace('  ', ' ');
  const excerpt = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return { name: response.status === 413 ? 'payload_too_large' : 'unexpected_answer', message: excerpt ? `${what}: "${excerpt}"` : what };
}

/** How hard one send() tries before handing back (tests lower them). */
export interface ResendTransportOptions {
  serverErrorAttempts?: number;
  rateLimitInlineMs?: number;
  /** Longest wait between probes of a provider that is down (0: no outage holds; tests of hours in simulated time). */
  outageMaxHoldMs?: number;
}

export class ResendTransport implements MailTransport {
  private readonly client: ProviderClient;
  private readonly pacer: Pacer;
  private readonly serverErrorAttempts: number;
  private readonly rateLimitInlineMs: number;

  constructor(db: Db, config: Config, options: ResendTransportOptions = {}) {
    this.client = providerClient(config);
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
    // Assigned inside the pacer's callback, which TypeScript's narrowing does not follow: typed by
    // a cast, or it would take `call` for null forever after.
    let call = null as PreparedCall | null;
    let uncertain = false;
    let serverErrors = 0;
    let rateLimitedMs = 0;
    for (;;) {
      // Built once, when the first turn comes, down to the request's bytes; a retry sends the very same batch.
      const turn = await this.pacer.wait(async () => {
        if (emails === null) {
          emails = await built(batch);
          if (emails.length > 0) call = await this.client.prepareBatch(toPayload(emails), { idempotencyKey, batchValidation: 'permissive' });
        }
      });
      if (call === null) return { kind: 'accepted', outcomes: [] };
      const answer = await this.client.send<BatchData>(call);
      const { data, error, headers, status } = answer;
      // A quota 429 says nothing about the pace: the pacer must not hold everyone for its retry-after.
      const quota = QUOTA_ERRORS.has(error?.name ?? '');
      const hold = quota ? null : await this.pacer.observe({ status, headers }, turn);
      if (!error && data) {
        // The chunk's finish (rows written, counters) waits for the latest call's upload, not the pace.
        await uploadsSettled(turn.startedAt);
        return { kind: 'accepted', outcomes: outcomesOf(emails!.length, data) };
      }
      const name = error?.name ?? 'unknown_error';
      const message = `${status ?? 'no answer'} ${name}: ${error?.message ?? 'no answer'}`;
      // A spent quota is a 429 too, but no pace fixes it: every batch is refused until the operator
      // raises the plan or the quota renews, which is what a halted send (probed by housekeeping) is for.
      if (quota) return { kind: 'refused', uncertain, message };
      if (status === 429) {
        const wait = hold ?? retryAfterMs(headers) ?? 1000;
        rateLimitedMs += wait;
        if (rateLimitedMs > this.rateLimitInlineMs) return { kind: 'retry', afterMs: wait, rateLimited: !uncertain && serverErrors === 0, uncertain, message };
        // This batch waits here (an over-rate 429: at least its retry-after, which the pacer said;
        // the others hold as long as the pacer decided); any other 429 holds this batch only.
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      if (status === null || status >= 500) {
        uncertain = true;
        if (++serverErrors < this.serverErrorAttempts) continue;
        return { kind: 'retry', afterMs: retryAfterMs(headers, false), rateLimited: false, uncertain, message };
      }
      if (name === 'invalid_idempotent_request') return { kind: 'conflict', message };
      // The other request under this key may be accepted: never a sure refusal, so the chunk's marker
      // stays and the retry (same key) is answered with that request's ids or a 409 that proves it.
      if (name === 'concurrent_idempotent_requests') return { kind: 'retry', afterMs: CONCURRENT_RETRY_MS, rateLimited: false, uncertain: true, message };
      return { kind: 'refused', uncertain, message };
    }
  }
}

type BatchData = { data: { id: string }[]; errors?: { index: number; message: string }[] };

/** The SDK client for this configuration (the batch transport, and lifting a suppression at Resend). */
export function providerClient(config: Config): ProviderClient {
  const baseUrl = config.resendBaseUrl;
  return new ProviderClient(config.resendApiKey!, baseUrl ? { baseUrl: baseUrl.replace(/\/+$/, '') } : undefined);
}

/** Permissive mode: `data` holds the accepted emails in order, `errors` the refused ones by index. */
function outcomesOf(count: number, data: BatchData): EmailOutcome[] {
  const refused = new Map((data.errors ?? []).map((e) => [e.index, e.message]));
  const accepted = data.data[Symbol.iterator]();
  return Array.from({ length: count }, (_, i) => {
    const reason = refused.get(i);
    if (reason !== undefined) return { error: reason };
    const next = accepted.next();
    return next.done ? { error: 'no id returned by Resend' } : { id: next.value.id };
  });
}
