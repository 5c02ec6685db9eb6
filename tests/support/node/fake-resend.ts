/**
 * A fake of the Resend HTTP API, served by a Node `http` server on 127.0.0.1.
 *
 * Used by
 *  - vitest's globalSetup: code running inside workerd reaches it with `fetch`
 *    through `RESEND_BASE_URL` (the `resend` SDK takes it as `baseUrl`);
 *  - the benchmark, which pushes tens of thousands of emails through it.
 *
 * Test code in workerd cannot touch Node memory, so everything the Node API
 * offers (`configure`, `reset`, `state`, scripted faults) is also reachable over
 * unauthenticated JSON control endpoints under `/__control/`.
 *
 * Resend API surface that is faked:
 *  - `POST /emails`        one email        → 200 `{"id"}`
 *  - `POST /emails/batch`  1..100 emails    → 200 `{"data":[{"id"}...]}` (+ `"errors"` in permissive mode)
 *  - `GET  /emails/:id`    a stored email in Resend's shape (no auth needed here)
 *  - `DELETE /suppressions/:email`  removes an address from the team's suppression list
 * with Bearer auth, validation, `x-batch-validation`, `Idempotency-Key` (forgettable, as after
 * Resend's 24 hours), a rate limit of one of three honest kinds (token bucket, sliding window, fixed
 * window: limiters.ts) with `ratelimit-*` / `retry-after` headers, injectable faults, storms and
 * outages (`forceStatus`), and signed webhooks (bounces, complaints, deliveries) for chosen addresses.
 * Errors have the body `{"statusCode", "name", "message"}`, which the SDK JSON-parses, except the
 * scripted answers of an intermediary (`tooLarge`: an HTML 413; `proxy429`: JSON without statusCode).
 * The rate limit is the team's (every key and the `foreignLoad` app share it); with `jitterMs` a
 * request is stamped after its body arrived and a random network delay, not on arrival.
 *
 * Order of processing for an API request (each step may answer early):
 *   read body → auth → rate-limit token → Idempotency-Key check → idempotency lookup
 *   (in flight → 409, other body → 409, same body → replay) → fault outcome (script,
 *   else seeded random draws) → validation → accept.  All state changes (emails
 *   recorded, key bound or released) happen after `latencyMs`, just before answering,
 *   so a key stays "in flight" for the whole latency window.
 *
 * Run directly for manual testing / the benchmark:
 *   npx tsx tests/support/node/fake-resend.ts --port 3999 --rate 10 --limiter sliding
 * (also --latency MS, --jitter MS, --foreign SHARE, --foreign-pattern even|bursty, --seed N, --api-key KEY, --fault-429 P,
 *  --fault-500 P, --fault-lost P, --invalid a@x.com,b@y.com, --no-bodies). Prints the URL.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLimiter, LIMITER_KINDS, type Limiter, type LimiterKind } from './limiters.ts';

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** Probabilities (0..1) per API request, drawn independently in this order. */
export interface FakeResendFaults {
  /** 429 `rate_limit_exceeded` with `retry-after: 1`; nothing accepted. */
  rateLimited?: number;
  /** 500 `internal_server_error`; nothing accepted. */
  serverError?: number;
  /** Emails accepted and recorded, success remembered for the key, but the client gets a 500. */
  lostAnswer?: number;
}

/** Another app on the same Resend team: its share of the team's rate and how its requests come. */
export interface ForeignLoad {
  share: number;
  pattern?: 'even' | 'bursty';
}

export interface FakeResendOptions {
  /** The rate the provider enforces, per API key. Default 10. 0 = unlimited. */
  ratePerSecond?: number;
  /** How "N per second" is enforced (see limiters.ts). Default `token`. */
  limiter?: LimiterKind;
  /**
   * Every API request is refused with this status until `untilMs` (epoch ms): a 429 storm
   * (`ratelimit-remaining: 0`, `retry-after`) or a 5xx outage. Nothing is accepted meanwhile.
   */
  forceStatus?: { status: 429 | 500 | 502 | 503; untilMs: number } | null;
  /**
   * Provider events to emit, Svix-signed with `secret` (a `whsec_…` key) as Resend does: a
   * permanent bounce for each accepted email to an address in `bounce`, a complaint for `complain`,
   * and `email.delivered` for every other one when `delivered` is set. Each event carries the email's
   * tags as Resend's webhooks do (`data.tags`, an object). With `url`, events are POSTed there;
   * without, they wait to be collected at `GET /__control/webhooks` (workerd tests relay them).
   */
  webhooks?: { secret: string; url?: string; bounce?: string[]; complain?: string[]; delivered?: boolean } | null;
  /** Delay added before answering each API call. Default 0. */
  latencyMs?: number;
  /**
   * Network jitter: each API request reaches the rate limiter 0..jitterMs late (uniform, seeded), and
   * is stamped after its body has arrived, as a limiter behind a real network and a body-reading
   * gateway sees it. 0 (default): stamped on arrival, before the body.
   */
  jitterMs?: number;
  /**
   * Another app on the same Resend team (password resets, a staging deploy): it sends `share` of the
   * team's rate against the same limiter (the limit is per team, not per key), evenly spaced with
   * ±20 % jitter (`pattern: 'even'`, the default: a queue worker draining at a steady pace) or as
   * independent requests at random moments (`'bursty'`: Poisson arrivals, as password resets come, so
   * three in a window one second and six the next). Its accepted and refused requests are counted
   * apart (`foreignRequests`, `foreign429`).
   */
  foreignLoad?: ForeignLoad | null;
  /**
   * Resend's own suppression list: an accepted email to one of these addresses is not delivered and
   * is reported by `email.suppressed` (reason `previous_bounce`, or `previous_complaint` for those in
   * `complaints`). `DELETE /suppressions/:email` removes an address (as the API does).
   */
  suppressed?: string[];
  suppressedComplaints?: string[];
  /**
   * Late account failures: every email accepted while this is set is reported by `email.failed` with
   * this reason (e.g. `reached_daily_quota`) instead of being delivered.
   */
  failAccepted?: string | null;
  faults?: FakeResendFaults;
  /** Seed of the PRNG used for fault draws. Default 1. */
  seed?: number;
  /** Addresses treated as permanently invalid (422 in strict batch mode, per-index error in permissive mode). */
  invalidRecipients?: string[];
  /** Required Bearer key. Default 're_test_key'. */
  apiKey?: string;
  /** Store html/text bodies of accepted emails. Default true; set false for big benchmarks. */
  keepBodies?: boolean;
}

/**
 * Parse, validate and hash request bodies on a worker thread (the CLI does, for the benchmark): the
 * server's own event loop then stamps every request the moment it arrives, as a provider's rate
 * limiter does, instead of late and bunched behind the parsing of the last 2 MB batch.
 */
export interface FakeResendServerOptions {
  offload?: boolean;
}

/** Outcomes that can be scripted with `POST /__control/script`. */
/**
 * `quotaExceeded`: a 429 `daily_quota_exceeded` (the account's quota, not the rate). `conflict`: a 409
 * `invalid_idempotent_request` for a key this fake never accepted: a provider that also remembers
 * refused requests under their keys is free to answer so.
 */
/**
 * `concurrent`: a 409 `concurrent_idempotent_requests` (as if another request under the key were in
 * flight; nothing bound). `tooLarge`: a 413 with an HTML page, as a proxy in front of the API sends.
 * `proxy429`: a 429 whose JSON body has no `statusCode` (an intermediary's), with `retry-after: 1`.
 */
export type FaultOutcome = 'rateLimited' | 'serverError' | 'lostAnswer' | 'invalid' | 'quotaExceeded' | 'conflict' | 'concurrent' | 'tooLarge' | 'proxy429' | 'ok';
export const FAULT_OUTCOMES: readonly FaultOutcome[] = ['rateLimited', 'serverError', 'lostAnswer', 'invalid', 'quotaExceeded', 'conflict', 'concurrent', 'tooLarge', 'proxy429', 'ok'];

export interface EmailTag {
  name: string;
  value: string;
}

/** An accepted email as recorded by the fake. */
export interface StoredEmail {
  id: string;
  from: string;
  /** Always an array, as given (may include display names: `Name <a@b.c>`). */
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  /** null when not sent, or when `keepBodies` is false. */
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
  /** `reply_to`, normalised to an array ([] when absent). */
  replyTo: string[];
  tags: EmailTag[];
  idempotencyKey: string | null;
  /** Index in the batch request; null for `POST /emails`. */
  batchIndex: number | null;
  /** ISO timestamp. */
  acceptedAt: string;
}

export interface FakeResendCounters {
  /** API requests received (`POST /emails`, `POST /emails/batch`), whatever their outcome. */
  requests: number;
  /** Emails accepted (including those of lost answers). */
  accepted: number;
  /** API requests that accepted at least one email (including lost answers). */
  acceptedRequests: number;
  /** 429s because the client went faster than the limiter allows. */
  paceLimited429: number;
  /** Answers refused by `forceStatus` (a storm or an outage). */
  forced: number;
  /** Webhook events emitted. */
  webhooks: number;
  /** 429s injected by `faults.rateLimited` or the script. */
  injected429: number;
  /** Injected 500s that accepted nothing. */
  serverErrors: number;
  /** Injected "accepted but answered 500". */
  lostAnswers: number;
  /** Requests answered from the idempotency store. */
  idempotentReplays: number;
  /** 409 invalid_idempotent_request + concurrent_idempotent_requests. */
  conflicts409: number;
  /** 422 validation_error answers (whole request rejected). */
  validationErrors: number;
  /** Emails rejected individually in permissive batches (the request itself got 200). */
  rejectedEmails: number;
  /** 401/403 answers. */
  authErrors: number;
  /** Requests of the other app on the team (`foreignLoad`), and how many of them were refused 429. */
  foreignRequests: number;
  foreign429: number;
  /** Accepted emails reported `email.suppressed` / `email.failed` instead of delivered. */
  suppressedEmails: number;
  failedEmails: number;
  /** Addresses removed from the suppression list through the API. */
  suppressionsRemoved: number;
}

export interface ResolvedFakeResendOptions {
  ratePerSecond: number;
  limiter: LimiterKind;
  forceStatus: { status: 429 | 500 | 502 | 503; untilMs: number } | null;
  webhooks: { secret: string; url?: string; bounce?: string[]; complain?: string[]; delivered?: boolean } | null;
  latencyMs: number;
  jitterMs: number;
  foreignLoad: ForeignLoad | null;
  suppressed: string[];
  suppressedComplaints: string[];
  failAccepted: string | null;
  faults: Required<FakeResendFaults>;
  seed: number;
  invalidRecipients: string[];
  apiKey: string;
  keepBodies: boolean;
}

export interface FakeResendState {
  /** Present unless a summary was asked for. In acceptance order. */
  emails?: StoredEmail[];
  /** Present in summaries: bare lower-cased address (to, cc and bcc) → number of accepted emails. */
  recipients?: Record<string, number>;
  emailCount: number;
  counters: FakeResendCounters;
  options: ResolvedFakeResendOptions;
  /** Scripted outcomes not consumed yet. */
  script: FaultOutcome[];
}

export interface FakeResend {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  configure(o: Partial<FakeResendOptions>): void;
  /** Forget idempotency keys only, as Resend does after 24 hours. */
  forgetIdempotencyKeys(): void;
  /** Signed webhook requests not delivered to a URL yet (taken: each is returned once). */
  takeWebhooks(): SignedWebhook[];
  /** Forget emails, idempotency keys, counters, scripted faults and rate buckets; reseed the PRNG; keep options. */
  reset(): void;
  state(opts?: { summary?: boolean }): FakeResendState;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Constants and small helpers
// ---------------------------------------------------------------------------

const MAX_BODY_BYTES = 50 * 1024 * 1024;
const MAX_BATCH = 100;
const MAX_RECIPIENTS = 50;
const MAX_IDEMPOTENCY_KEY = 256;
/** Advertised by `ratelimit-*` headers when the rate is unlimited (0). */
const UNLIMITED_ADVERTISED = 1_000_000;

/** The one team this fake serves: its rate limit is shared by all its keys and apps. */
const TEAM = 'team';

const DEFAULTS: ResolvedFakeResendOptions = {
  ratePerSecond: 10,
  limiter: 'token',
  forceStatus: null,
  webhooks: null,
  latencyMs: 0,
  jitterMs: 0,
  foreignLoad: null,
  suppressed: [],
  suppressedComplaints: [],
  failAccepted: null,
  faults: { rateLimited: 0, serverError: 0, lostAnswer: 0 },
  seed: 1,
  invalidRecipients: [],
  apiKey: 're_test_key',
  keepBodies: true,
};

/** Resend's error names used here (subset of the SDK's RESEND_ERROR_CODE_KEY). */
type ErrorName =
  | 'validation_error'
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_idempotency_key'
  | 'invalid_idempotent_request'
  | 'concurrent_idempotent_requests'
  | 'rate_limit_exceeded'
  | 'daily_quota_exceeded'
  | 'internal_server_error';

/** A fully decided answer: status, serialised JSON body, extra headers. */
interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, body: JSON.stringify(value), headers };
}

function htmlAnswer(status: number, title: string, headers: Record<string, string> = {}): Answer {
  return { status, body: `<html><head><title>${status} ${title}</title></head><body><center><h1>${status} ${title}</h1></center><hr><center>nginx</center></body></html>`, headers: { ...headers, 'content-type': 'text/html' } };
}

function errorAnswer(status: number, name: ErrorName, message: string, headers: Record<string, string> = {}): Answer {
  return jsonAnswer(status, { statusCode: status, name, message }, headers);
}

/** A webhook request as Resend (through Svix) sends it: JSON body and the three `svix-*` headers. */
export interface SignedWebhook {
  headers: Record<string, string>;
  body: string;
}

/** Svix/Standard Webhooks signing: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the `whsec_` key. */
export function signWebhook(secret: string, body: string, id = `msg_${randomUUID().replaceAll('-', '')}`, timestamp = Math.floor(Date.now() / 1000)): SignedWebhook {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    body,
    headers: { 'content-type': 'application/json', 'svix-id': id, 'svix-timestamp': String(timestamp), 'svix-signature': `v1,${signature}` },
  };
}

/** mulberry32: tiny seeded PRNG, returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sleep with an unref'd timer, so a pending answer never keeps the process alive on its own. */
function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clampProbability(p: number | undefined, fallback: number): number {
  if (p === undefined || !Number.isFinite(p)) return fallback;
  return Math.min(1, Math.max(0, p));
}

/** Read the whole request body; past `limit` bytes keep draining but stop buffering. */
function readBody(req: IncomingMessage, limit: number): Promise<{ raw: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve({ raw: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks, size), tooLarge }));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(answer.body),
    ...answer.headers,
  });
  res.end(answer.body);
}

// ---------------------------------------------------------------------------
// Address and email validation
// ---------------------------------------------------------------------------

/** Bare address: a local part without spaces/brackets, a dotted domain. Deliberately simple. */
const ADDRESS_RE = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
/** `Display Name <address>` form. */
const NAMED_RE = /^([^<>]*)<([^<>]+)>$/;
const TAG_PART_RE = /^[A-Za-z0-9_-]{1,256}$/;
const FORMAT_HINT = 'The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.';

/** Extract the bare address of `a@b.c` or `Name <a@b.c>`; null when malformed. */
function bareAddress(s: string): string | null {
  const trimmed = s.trim();
  const named = NAMED_RE.exec(trimmed);
  const addr = named ? named[2]!.trim() : trimmed;
  return ADDRESS_RE.test(addr) ? addr : null;
}

/** An email after validation, before an id is assigned. */
type ValidEmail = Pick<StoredEmail, 'from' | 'to' | 'cc' | 'bcc' | 'subject' | 'html' | 'text' | 'headers' | 'replyTo' | 'tags'> & {
  /** Bare lower-cased addresses of to + cc + bcc (for the recipients summary). */
  recipientKeys: string[];
};

type Validation = { ok: true; email: ValidEmail } | { ok: false; message: string };

/**
 * Validate one email of the Resend API shape (snake_case, as the SDK sends it).
 * `invalid` holds lower-cased addresses treated as permanently invalid.
 */
function validateEmail(input: unknown, inBatch: boolean, invalid: ReadonlySet<string>): Validation {
  const fail = (message: string): Validation => ({ ok: false, message });
  if (!isPlainObject(input)) return fail('The email must be a JSON object.');

  // from
  if (input.from === undefined || input.from === null || input.from === '') return fail('Missing `from` field.');
  if (typeof input.from !== 'string' || bareAddress(input.from) === null) return fail(`Invalid \`from\` field. ${FORMAT_HINT}`);

  // to / cc / bcc
  const recipientKeys: string[] = [];
  const addressList = (field: 'to' | 'cc' | 'bcc', required: boolean): string[] | string => {
    const v = input[field];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) {
      return required ? `Missing \`${field}\` field.` : [];
    }
    const list: unknown[] = Array.isArray(v) ? v : [v];
    if (list.length > MAX_RECIPIENTS) return `Too many recipients in \`${field}\` field. The maximum is ${MAX_RECIPIENTS}.`;
    const out: string[] = [];
    for (const item of list) {
      if (typeof item !== 'string') return `Invalid \`${field}\` field. Expected a string or an array of strings.`;
      const bare = bareAddress(item);
      if (bare === null) return `Invalid \`${field}\` field. ${FORMAT_HINT}`;
      const key = bare.toLowerCase();
      if (invalid.has(key)) return `Invalid \`${field}\` field. The address \`${bare}\` is not a valid recipient.`;
      recipientKeys.push(key);
      out.push(item);
    }
    return out;
  };
  const to = addressList('to', true);
  if (typeof to === 'string') return fail(to);
  const cc = addressList('cc', false);
  if (typeof cc === 'string') return fail(cc);
  const bcc = addressList('bcc', false);
  if (typeof bcc === 'string') return fail(bcc);

  // subject
  if (input.subject === undefined || input.subject === null || input.subject === '') return fail('Missing `subject` field.');
  if (typeof input.subject !== 'string') return fail('Invalid `subject` field. Expected a string.');

  // html / text
  const html = input.html ?? null;
  const text = input.text ?? null;
  if (html !== null && typeof html !== 'string') return fail('Invalid `html` field. Expected a string.');
  if (text !== null && typeof text !== 'string') return fail('Invalid `text` field. Expected a string.');
  if (!html && !text) return fail('Missing `html` or `text` field.');

  // headers
  const headers: Record<string, string> = {};
  if (input.headers !== undefined && input.headers !== null) {
    if (!isPlainObject(input.headers)) return fail('Invalid `headers` field. Expected an object of strings.');
    for (const [k, v] of Object.entries(input.headers)) {
      if (typeof v !== 'string') return fail(`Invalid \`headers\` field. The value of \`${k}\` must be a string.`);
      headers[k] = v;
    }
  }

  // reply_to
  const replyTo: string[] = [];
  if (input.reply_to !== undefined && input.reply_to !== null) {
    const list: unknown[] = Array.isArray(input.reply_to) ? input.reply_to : [input.reply_to];
    for (const item of list) {
      if (typeof item !== 'string' || bareAddress(item) === null) return fail(`Invalid \`reply_to\` field. ${FORMAT_HINT}`);
      replyTo.push(item);
    }
  }

  // tags
  const tags: EmailTag[] = [];
  if (input.tags !== undefined && input.tags !== null) {
    if (!Array.isArray(input.tags)) return fail('Invalid `tags` field. Expected an array of {name, value}.');
    for (const t of input.tags) {
      if (!isPlainObject(t) || typeof t.name !== 'string' || typeof t.value !== 'string') {
        return fail('Invalid `tags` field. Expected an array of {name, value}.');
      }
      if (!TAG_PART_RE.test(t.name) || !TAG_PART_RE.test(t.value)) {
        return fail('Invalid `tags` field. Tag names and values can only contain ASCII letters, numbers, underscores or dashes.');
      }
      tags.push({ name: t.name, value: t.value });
    }
  }

  // Batch limitations (documented by Resend: no attachments, no scheduling in batches).
  if (inBatch) {
    if (Array.isArray(input.attachments) && input.attachments.length > 0) return fail('The `attachments` field is not supported in batch sending.');
    if (input.scheduled_at !== undefined && input.scheduled_at !== null) return fail('The `scheduled_at` field is not supported in batch sending.');
  }

  return {
    ok: true,
    email: { from: input.from, to, cc, bcc, recipientKeys, subject: input.subject, html, text, headers, replyTo, tags },
  };
}

// ---------------------------------------------------------------------------
// Token bucket
// ---------------------------------------------------------------------------

interface RateDecision {
  ok: boolean;
  /** `ratelimit-*` headers (and `retry-after` when refused). */
  headers: Record<string, string>;
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/** Idempotency record: in flight until the first request finishes; then its final answer. */
type IdempotencyEntry = { state: 'pending'; hash: string } | { state: 'done'; hash: string; answer: Answer };

function resolveOptions(base: ResolvedFakeResendOptions, o: Partial<FakeResendOptions>): ResolvedFakeResendOptions {
  const num = (v: number | undefined, fallback: number): number => (v !== undefined && Number.isFinite(v) && v >= 0 ? v : fallback);
  return {
    ratePerSecond: num(o.ratePerSecond, base.ratePerSecond),
    limiter: o.limiter !== undefined && LIMITER_KINDS.includes(o.limiter) ? o.limiter : base.limiter,
    forceStatus: o.forceStatus === undefined ? base.forceStatus : o.forceStatus,
    webhooks: o.webhooks === undefined ? base.webhooks : o.webhooks,
    latencyMs: num(o.latencyMs, base.latencyMs),
    jitterMs: num(o.jitterMs, base.jitterMs),
    foreignLoad: o.foreignLoad === undefined ? base.foreignLoad : o.foreignLoad && Number.isFinite(o.foreignLoad.share) && o.foreignLoad.share > 0 ? { share: Math.min(1, o.foreignLoad.share), pattern: o.foreignLoad.pattern === 'bursty' ? 'bursty' : 'even' } : null,
    suppressed: Array.isArray(o.suppressed) ? o.suppressed.map((a) => String(a).toLowerCase()) : base.suppressed,
    suppressedComplaints: Array.isArray(o.suppressedComplaints) ? o.suppressedComplaints.map((a) => String(a).toLowerCase()) : base.suppressedComplaints,
    failAccepted: o.failAccepted === undefined ? base.failAccepted : typeof o.failAccepted === 'string' && o.failAccepted !== '' ? o.failAccepted : null,
    faults: {
      rateLimited: clampProbability(o.faults?.rateLimited, base.faults.rateLimited),
      serverError: clampProbability(o.faults?.serverError, base.faults.serverError),
      lostAnswer: clampProbability(o.faults?.lostAnswer, base.faults.lostAnswer),
    },
    seed: o.seed !== undefined && Number.isFinite(o.seed) ? o.seed : base.seed,
    invalidRecipients: Array.isArray(o.invalidRecipients) ? o.invalidRecipients.filter((s) => typeof s === 'string') : base.invalidRecipients,
    apiKey: typeof o.apiKey === 'string' && o.apiKey !== '' ? o.apiKey : base.apiKey,
    keepBodies: typeof o.keepBodies === 'boolean' ? o.keepBodies : base.keepBodies,
  };
}

function emptyCounters(): FakeResendCounters {
  return {
    requests: 0,
    accepted: 0,
    acceptedRequests: 0,
    paceLimited429: 0,
    forced: 0,
    webhooks: 0,
    injected429: 0,
    serverErrors: 0,
    lostAnswers: 0,
    idempotentReplays: 0,
    conflicts409: 0,
    validationErrors: 0,
    rejectedEmails: 0,
    authErrors: 0,
    foreignRequests: 0,
    foreign429: 0,
    suppressedEmails: 0,
    failedEmails: 0,
    suppressionsRemoved: 0,
  };
}

export async function startFakeResend(options: FakeResendOptions & FakeResendServerOptions & { port?: number } = {}): Promise<FakeResend> {
  const { port = 0, offload = false, ...rest } = options;
  const processBody: BodyProcessor = offload ? offloaded() : async (job: BodyJob) => processBodyNow(job);
  let opts = resolveOptions(DEFAULTS, rest);
  let invalidSet = new Set(opts.invalidRecipients.map((a) => a.trim().toLowerCase()));

  // Mutable state, all replaced by reset().
  let emails: StoredEmail[] = [];
  let byId = new Map<string, StoredEmail>();
  let recipients = new Map<string, number>();
  let idempotency = new Map<string, IdempotencyEntry>();
  let counters = emptyCounters();
  let script: FaultOutcome[] = [];
  let buckets = new Map<string, Limiter>();
  let webhookQueue: SignedWebhook[] = [];
  let random = mulberry32(opts.seed);
  let jitterRandom = mulberry32(opts.seed + 7919);
  /** The other app on the team (`foreignLoad`): its next request, while one is configured. */
  let foreignTimer: ReturnType<typeof setTimeout> | null = null;
  const scheduleForeign = (): void => {
    if (foreignTimer) clearTimeout(foreignTimer);
    foreignTimer = null;
    const load = opts.foreignLoad;
    if (!load || opts.ratePerSecond <= 0) return;
    const spacing = 1000 / (opts.ratePerSecond * load.share);
    // Bursty: exponential gaps (a Poisson process of the same mean rate). 1 - u keeps log() finite.
    const gap = load.pattern === 'bursty' ? -spacing * Math.log(1 - jitterRandom()) : spacing * (0.8 + 0.4 * jitterRandom());
    foreignTimer = setTimeout(() => {
      counters.foreignRequests++;
      if (!takeToken(TEAM).ok) counters.foreign429++;
      scheduleForeign();
    }, gap);
    foreignTimer.unref?.();
  };
  /** Bumped by reset(): requests in flight across a reset do not record into the new state. */
  let generation = 0;

  const configure = (o: Partial<FakeResendOptions>): void => {
    const before = opts;
    opts = resolveOptions(opts, o);
    invalidSet = new Set(opts.invalidRecipients.map((a) => a.trim().toLowerCase()));
    if (opts.seed !== before.seed || o.seed !== undefined) random = mulberry32(opts.seed);
    if (opts.ratePerSecond !== before.ratePerSecond || opts.limiter !== before.limiter || opts.apiKey !== before.apiKey) buckets = new Map();
    if (opts.seed !== before.seed || o.seed !== undefined) jitterRandom = mulberry32(opts.seed + 7919);
    if (o.foreignLoad !== undefined || opts.ratePerSecond !== before.ratePerSecond) scheduleForeign();
  };

  const reset = (): void => {
    generation++;
    emails = [];
    byId = new Map();
    recipients = new Map();
    idempotency = new Map();
    counters = emptyCounters();
    script = [];
    buckets = new Map();
    webhookQueue = [];
    random = mulberry32(opts.seed);
    jitterRandom = mulberry32(opts.seed + 7919);
  };

  const state = (o: { summary?: boolean } = {}): FakeResendState => {
    const base = {
      emailCount: emails.length,
      counters: { ...counters },
      options: { ...opts, faults: { ...opts.faults }, invalidRecipients: [...opts.invalidRecipients] },
      script: [...script],
    };
    if (o.summary) return { ...base, recipients: Object.fromEntries(recipients) };
    return { ...base, emails: [...emails] };
  };

  /** Count one request against `key`'s limiter; returns the headers every answer carries. */
  const takeToken = (key: string): RateDecision => {
    const rate = opts.ratePerSecond;
    if (rate <= 0) {
      const n = String(UNLIMITED_ADVERTISED);
      return { ok: true, headers: { 'ratelimit-limit': n, 'ratelimit-remaining': n, 'ratelimit-reset': '0' } };
    }
    let limiter = buckets.get(key);
    if (!limiter) {
      limiter = createLimiter(opts.limiter, rate);
      buckets.set(key, limiter);
    }
    return limiter.take(performance.now());
  };

  /** Next fault outcome: the script first, else three independent seeded draws. */
  const nextOutcome = (): FaultOutcome => {
    const scripted = script.shift();
    if (scripted) return scripted;
    const f = opts.faults;
    // Always draw all three so the PRNG sequence does not depend on the outcomes.
    const r429 = random();
    const r500 = random();
    const rLost = random();
    if (r429 < f.rateLimited) return 'rateLimited';
    if (r500 < f.serverError) return 'serverError';
    if (rLost < f.lostAnswer) return 'lostAnswer';
    return 'ok';
  };

  /** Record accepted emails (O(1) per email). */
  const record = (accepted: { id: string; email: ValidEmail; batchIndex: number | null }[], idempotencyKey: string | null): void => {
    const acceptedAt = new Date().toISOString();
    for (const { id, email, batchIndex } of accepted) {
      const stored: StoredEmail = {
        id,
        from: email.from,
        to: email.to,
        cc: email.cc,
        bcc: email.bcc,
        subject: email.subject,
        html: opts.keepBodies ? email.html : null,
        text: opts.keepBodies ? email.text : null,
        headers: email.headers,
        replyTo: email.replyTo,
        tags: email.tags,
        idempotencyKey,
        batchIndex,
        acceptedAt,
      };
      emails.push(stored);
      byId.set(id, stored);
      for (const r of email.recipientKeys) recipients.set(r, (recipients.get(r) ?? 0) + 1);
    }
    counters.accepted += accepted.length;
    if (accepted.length > 0) counters.acceptedRequests++;
  };

  /** Provider events for accepted emails, as configured in `webhooks` (see FakeResendOptions). */
  const emitWebhooks = (accepted: { id: string; email: ValidEmail }[]): void => {
    const hooks = opts.webhooks;
    const suppressed = new Set(opts.suppressed);
    const suppressedComplaints = new Set(opts.suppressedComplaints);
    for (const { email } of accepted) {
      const to = email.recipientKeys[0]!;
      if (opts.failAccepted) counters.failedEmails++;
      else if (suppressed.has(to) || suppressedComplaints.has(to)) counters.suppressedEmails++;
    }
    if (!hooks) return;
    const bounce = new Set((hooks.bounce ?? []).map((a) => a.toLowerCase()));
    const complain = new Set((hooks.complain ?? []).map((a) => a.toLowerCase()));
    for (const { id, email } of accepted) {
      const to = email.recipientKeys[0]!;
      // Resend's order: an account failure or its own suppression list come before any delivery.
      const type = opts.failAccepted
        ? 'email.failed'
        : suppressed.has(to) || suppressedComplaints.has(to)
          ? 'email.suppressed'
          : bounce.has(to)
            ? 'email.bounced'
            : complain.has(to)
              ? 'email.complained'
              : hooks.delivered
                ? 'email.delivered'
                : null;
      if (!type) continue;
      const data: Record<string, unknown> = {
        email_id: id,
        from: email.from,
        to: email.to,
        subject: email.subject,
        created_at: new Date().toISOString(),
        tags: Object.fromEntries(email.tags.map((t) => [t.name, t.value])),
      };
      if (type === 'email.bounced') data.bounce = { type: 'Permanent', subType: 'General', message: 'The recipient does not exist.' };
      // Shapes as in Resend's OpenAPI description (resend/resend-openapi).
      if (type === 'email.failed') data.failed = { reason: opts.failAccepted };
      if (type === 'email.suppressed') {
        const complaint = suppressedComplaints.has(to);
        data.suppressed = {
          type: 'OnAccountSuppressionList',
          reason: complaint ? 'previous_complaint' : 'previous_bounce',
          message: `The address is on the team's suppression list after a ${complaint ? 'complaint' : 'hard bounce'}.`,
          diagnosticCode: [],
        };
      }
      const signed = signWebhook(hooks.secret, JSON.stringify({ type, created_at: new Date().toISOString(), data }));
      counters.webhooks++;
      if (hooks.url) {
        fetch(hooks.url, { method: 'POST', headers: signed.headers, body: signed.body }).catch((error: unknown) => {
          console.error(`[fake-resend] webhook to ${hooks.url} failed: ${String(error)}`);
        });
      } else {
        webhookQueue.push(signed);
      }
    }
  };

  /** `POST /emails` and `POST /emails/batch`. */
  /**
   * What a provider's gateway decides from the request line and headers alone, the moment a request
   * arrives and before its body is read: auth, a storm or an outage, and the rate limit. Timing the
   * limit here (not after a 2 MB body was read and parsed) is how an HTTP rate limiter sees requests,
   * and keeps the fake's own processing time out of its windows.
   */
  const admit = (req: IncomingMessage): { ok: false; answer: Answer } | { ok: true; rl: Record<string, string> } => {
    counters.requests++;
    if (process.env.FAKE_RESEND_TRACE) console.log(`TRACE ${Math.round(performance.timeOrigin + performance.now())} ${req.headers['idempotency-key']}`);

    // --- auth
    const auth = req.headers.authorization;
    const bearer = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
    if (!bearer) {
      counters.authErrors++;
      return { ok: false, answer: errorAnswer(401, 'missing_api_key', 'Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY') };
    }
    const apiKey = bearer[1]!;
    if (apiKey !== opts.apiKey) {
      counters.authErrors++;
      return { ok: false, answer: errorAnswer(403, 'invalid_api_key', 'API key is invalid') };
    }

    // --- a storm or an outage: every request refused until it ends, nothing accepted
    const forced = opts.forceStatus;
    if (forced && Date.now() < forced.untilMs) {
      counters.forced++;
      if (forced.status === 429) {
        const limit = String(Math.max(1, Math.floor(opts.ratePerSecond)));
        return {
          ok: false,
          answer: errorAnswer(429, 'rate_limit_exceeded', 'Too many requests. You can only make a limited number of requests per second. Please slow down.', {
            'ratelimit-limit': limit,
            'ratelimit-remaining': '0',
            'ratelimit-reset': '1',
            'retry-after': '1',
          }),
        };
      }
      return { ok: false, answer: errorAnswer(forced.status, 'internal_server_error', 'The service is unavailable. Please try again later.') };
    }

    // --- rate limit (replays and conflicts count too)
    // The limit is per team: every key of the team (and the other app's requests) share one limiter.
    void apiKey;
    const rate = takeToken(TEAM);
    if (!rate.ok) {
      counters.paceLimited429++;
      if (process.env.FAKE_RESEND_TRACE) console.log(`TRACE429 ${Math.round(performance.timeOrigin + performance.now())}`);
      return { ok: false, answer: errorAnswer(429, 'rate_limit_exceeded', 'Too many requests. You can only make a limited number of requests per second. Please slow down.', rate.headers) };
    }
    return { ok: true, rl: rate.headers };
  };

  /** `POST /emails` and `POST /emails/batch`, once admitted. */
  const handleSend = async (req: IncomingMessage, raw: Buffer, isBatch: boolean, rl: Record<string, string>): Promise<Answer> => {
    const gen = generation;
    const latency = opts.latencyMs;

    // --- Idempotency-Key
    const keyHeader = req.headers['idempotency-key'];
    const idemKey = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    if (idemKey !== undefined && (idemKey.length === 0 || idemKey.length > MAX_IDEMPOTENCY_KEY)) {
      await sleep(latency);
      return errorAnswer(400, 'invalid_idempotency_key', `The key must be between 1-${MAX_IDEMPOTENCY_KEY} chars.`, rl);
    }
    const processed = await processBody({ url: req.url ?? '', raw, isBatch, mode: req.headers['x-batch-validation'], invalid: [...invalidSet], keepBodies: opts.keepBodies });
    let pending: IdempotencyEntry | null = null;
    if (idemKey !== undefined) {
      // The path is part of the hash: the same key reused on another endpoint is another request.
      const hash = processed.hash;
      const existing = idempotency.get(idemKey);
      if (existing?.state === 'pending') {
        counters.conflicts409++;
        await sleep(latency);
        return errorAnswer(409, 'concurrent_idempotent_requests', 'Same idempotency key used while original request is still in progress.', rl);
      }
      if (existing && existing.hash !== hash) {
        counters.conflicts409++;
        await sleep(latency);
        return errorAnswer(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload. Change your idempotency key or payload.', rl);
      }
      if (existing) {
        // Replay: no fault, nothing sent again; fresh rate-limit headers.
        counters.idempotentReplays++;
        await sleep(latency);
        return { ...existing.answer, headers: { ...existing.answer.headers, ...rl } };
      }
      pending = { state: 'pending', hash };
      idempotency.set(idemKey, pending);
    }

    // --- decide the answer (state changes are applied after the latency, in finish())
    const outcome = nextOutcome();
    let answer: Answer;
    let accepted: { id: string; email: ValidEmail; batchIndex: number | null }[] = [];
    let rejectedEmails = 0;
    const countOnFinish: (keyof FakeResendCounters)[] = [];

    if (outcome === 'rateLimited') {
      countOnFinish.push('injected429');
      answer = errorAnswer(429, 'rate_limit_exceeded', 'Too many requests. You can only make a limited number of requests per second. Please slow down.', { ...rl, 'retry-after': '1' });
    } else if (outcome === 'serverError') {
      countOnFinish.push('serverErrors');
      answer = errorAnswer(500, 'internal_server_error', 'An unexpected error occurred.', rl);
    } else if (outcome === 'invalid') {
      countOnFinish.push('validationErrors');
      answer = errorAnswer(422, 'validation_error', 'Scripted validation error.', rl);
    } else if (outcome === 'quotaExceeded') {
      answer = errorAnswer(429, 'daily_quota_exceeded', 'You have reached your daily email sending quota.', { ...rl, 'retry-after': '3600' });
    } else if (outcome === 'concurrent') {
      countOnFinish.push('conflicts409');
      answer = errorAnswer(409, 'concurrent_idempotent_requests', 'Same idempotency key used while original request is still in progress.', rl);
    } else if (outcome === 'tooLarge') {
      answer = htmlAnswer(413, 'Request Entity Too Large', rl);
    } else if (outcome === 'proxy429') {
      countOnFinish.push('injected429');
      answer = jsonAnswer(429, { message: 'Too Many Requests' }, { 'retry-after': '1' });
    } else if (outcome === 'conflict') {
      countOnFinish.push('conflicts409');
      answer = errorAnswer(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload. Change your idempotency key or payload.', rl);
    } else {
      const result = processed.validation;
      if (!result.ok) {
        countOnFinish.push('validationErrors');
        answer = errorAnswer(422, 'validation_error', result.message, rl);
      } else {
        accepted = result.accepted.map(({ email, index }) => ({ id: randomUUID(), email, batchIndex: isBatch ? index : null }));
        rejectedEmails = result.errors.length;
        const ids = accepted.map((a) => ({ id: a.id }));
        answer = isBatch
          ? jsonAnswer(200, result.permissive ? { data: ids, errors: result.errors } : { data: ids }, rl)
          : jsonAnswer(200, ids[0], rl);
      }
    }

    await sleep(latency);

    // --- finish: apply state changes unless a reset happened meanwhile
    if (gen !== generation) return outcome === 'lostAnswer' ? errorAnswer(500, 'internal_server_error', 'An unexpected error occurred.', rl) : answer;
    for (const c of countOnFinish) counters[c]++;
    counters.rejectedEmails += rejectedEmails;
    const success = answer.status >= 200 && answer.status < 300;
    if (success) {
      record(accepted, idemKey ?? null);
      emitWebhooks(accepted);
    }
    if (idemKey !== undefined && pending && idempotency.get(idemKey) === pending) {
      // Only accepted requests bind the key; the remembered answer is the real (success) one.
      if (success) idempotency.set(idemKey, { state: 'done', hash: pending.hash, answer });
      else idempotency.delete(idemKey);
    }
    if (outcome === 'lostAnswer') {
      counters.lostAnswers++;
      return errorAnswer(500, 'internal_server_error', 'An unexpected error occurred.', rl);
    }
    return answer;
  };

  /**
   * `DELETE /suppressions/:email` (Resend's "Remove Suppression", by id or email): 200
   * `{"object":"suppression","id","deleted":true}`, 404 when the address is not on the list.
   */
  const removeSuppression = (req: IncomingMessage, address: string): Answer => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!bearer || bearer[1] !== opts.apiKey) {
      counters.authErrors++;
      return errorAnswer(bearer ? 403 : 401, bearer ? 'invalid_api_key' : 'missing_api_key', 'API key is invalid');
    }
    const key = address.trim().toLowerCase();
    const listed = opts.suppressed.includes(key) || opts.suppressedComplaints.includes(key);
    if (!listed) return errorAnswer(404, 'not_found', 'Suppression not found');
    opts = { ...opts, suppressed: opts.suppressed.filter((a) => a !== key), suppressedComplaints: opts.suppressedComplaints.filter((a) => a !== key) };
    counters.suppressionsRemoved++;
    return jsonAnswer(200, { object: 'suppression', id: createHash('sha256').update(key).digest('hex').slice(0, 32), deleted: true });
  };

  /** `GET /emails/:id` (no auth, no rate limit, no faults). */
  const handleGetEmail = (id: string): Answer => {
    const e = byId.get(id);
    if (!e) return errorAnswer(404, 'not_found', 'Email not found');
    return jsonAnswer(200, {
      object: 'email',
      id: e.id,
      to: e.to,
      from: e.from,
      created_at: e.acceptedAt,
      subject: e.subject,
      html: e.html,
      text: e.text,
      cc: e.cc.length ? e.cc : null,
      bcc: e.bcc.length ? e.bcc : null,
      reply_to: e.replyTo.length ? e.replyTo : null,
      tags: e.tags,
      scheduled_at: null,
      last_event: 'delivered',
    });
  };

  /** `/__control/*` endpoints (no auth). */
  const handleControl = (method: string, path: string, search: URLSearchParams, raw: Buffer): Answer => {
    const parseBody = (): { ok: true; value: unknown } | { ok: false; answer: Answer } => {
      if (raw.length === 0) return { ok: true, value: {} };
      try {
        return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
      } catch {
        return { ok: false, answer: errorAnswer(400, 'validation_error', 'Invalid JSON body.') };
      }
    };
    if (path === '/__control/state' && method === 'GET') {
      const summary = search.get('summary');
      return jsonAnswer(200, state({ summary: summary === '1' || summary === 'true' }));
    }
    if (path === '/__control/config' && method === 'POST') {
      const body = parseBody();
      if (!body.ok) return body.answer;
      if (!isPlainObject(body.value)) return errorAnswer(400, 'validation_error', 'Expected a JSON object of options.');
      configure(body.value as Partial<FakeResendOptions>);
      return jsonAnswer(200, { options: state({ summary: true }).options });
    }
    if (path === '/__control/forget-keys' && method === 'POST') {
      idempotency = new Map();
      return jsonAnswer(200, { ok: true });
    }
    if (path === '/__control/webhooks' && method === 'GET') {
      const taken = webhookQueue;
      webhookQueue = [];
      return jsonAnswer(200, { webhooks: taken });
    }
    if (path === '/__control/reset' && method === 'POST') {
      reset();
      return jsonAnswer(200, { ok: true });
    }
    if (path === '/__control/script' && method === 'POST') {
      const body = parseBody();
      if (!body.ok) return body.answer;
      const next = isPlainObject(body.value) ? body.value.next : undefined;
      if (!Array.isArray(next) || !next.every((o): o is FaultOutcome => FAULT_OUTCOMES.includes(o as FaultOutcome))) {
        return errorAnswer(400, 'validation_error', `Expected {"next": [...]} with items among ${FAULT_OUTCOMES.join(', ')}.`);
      }
      script.push(...next);
      return jsonAnswer(200, { script: [...script] });
    }
    if (['/__control/state', '/__control/config', '/__control/reset', '/__control/script', '/__control/forget-keys', '/__control/webhooks'].includes(path)) {
      return errorAnswer(405, 'method_not_allowed', `Method ${method} not allowed on ${path}.`);
    }
    return errorAnswer(404, 'not_found', `Unknown control endpoint ${path}.`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake-resend');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const api = (path === '/emails' || path === '/emails/batch') && method === 'POST';
    // Without jitter a request is stamped as it arrives; with it, after its body and 0..J ms more
    // (the network and a body-reading gateway between the client and the limiter).
    const jitter = opts.jitterMs;
    const clock = () => performance.timeOrigin + performance.now();
    const headersAt = clock();
    let admitted = api && jitter === 0 ? admit(req) : null;
    const { raw, tooLarge } = await readBody(req, MAX_BODY_BYTES);
    if (api && jitter > 0) {
      const drawn = jitterRandom() * jitter;
      const bodyAt = clock();
      await sleep(drawn);
      // FAKE_RESEND_TRACE: what the limiter's lateness is made of (the client's upload, the drawn
      // jitter, this process's timer lateness), per request: the bench's jitter figures rest on it.
      if (process.env.FAKE_RESEND_TRACE) {
        const late = clock() - bodyAt - drawn;
        console.log(`TRACEIN ${Math.round(headersAt)} body=${Math.round(bodyAt - headersAt)} j=${Math.round(drawn)} late=${Math.round(late)} ${req.headers['idempotency-key']}`);
      }
      admitted = admit(req);
    }
    if (admitted && !admitted.ok) {
      await sleep(opts.latencyMs);
      return send(res, admitted.answer);
    }
    if (tooLarge) return send(res, errorAnswer(413, 'validation_error', `Request body larger than ${MAX_BODY_BYTES} bytes.`));

    if (path.startsWith('/__control/')) return send(res, handleControl(method, path, url.searchParams, raw));
    if (path === '/emails' || path === '/emails/batch') {
      if (method !== 'POST') return send(res, errorAnswer(405, 'method_not_allowed', `Method ${method} not allowed on ${path}.`));
      return send(res, await handleSend(req, raw, path === '/emails/batch', admitted!.ok ? admitted!.rl : {}));
    }
    const sup = /^\/suppressions\/([^/]+)$/.exec(path);
    if (sup && method === 'DELETE') return send(res, removeSuppression(req, decodeURIComponent(sup[1]!)));
    const m = /^\/emails\/([^/]+)$/.exec(path);
    if (m && method === 'GET') return send(res, handleGetEmail(decodeURIComponent(m[1]!)));
    return send(res, errorAnswer(404, 'not_found', `Route ${method} ${path} not found.`));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake, not an injected fault: say so loudly.
      console.error('[fake-resend] handler error', err);
      send(res, errorAnswer(500, 'internal_server_error', `fake-resend bug: ${String(err)}`));
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actualPort } = server.address() as AddressInfo;
  scheduleForeign();

  return {
    url: `http://127.0.0.1:${actualPort}`,
    configure,
    reset,
    state,
    forgetIdempotencyKeys: () => {
      idempotency = new Map();
    },
    takeWebhooks: () => {
      const taken = webhookQueue;
      webhookQueue = [];
      return taken;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        processBody.close?.();
        if (foreignTimer) clearTimeout(foreignTimer);
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------
// Request-level validation (JSON, batch shape, batch-validation mode)
// ---------------------------------------------------------------------------

type RequestValidation =
  | { ok: false; message: string }
  | {
      ok: true;
      permissive: boolean;
      accepted: { email: ValidEmail; index: number }[];
      errors: { index: number; message: string }[];
    };

function validateRequest(raw: Buffer, isBatch: boolean, modeHeader: string | string[] | undefined, invalid: ReadonlySet<string>): RequestValidation {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, message: 'Invalid JSON body.' };
  }

  if (!isBatch) {
    const v = validateEmail(body, false, invalid);
    return v.ok ? { ok: true, permissive: false, accepted: [{ email: v.email, index: 0 }], errors: [] } : { ok: false, message: v.message };
  }

  const modeRaw = (Array.isArray(modeHeader) ? modeHeader[0] : modeHeader)?.trim().toLowerCase() || 'strict';
  if (modeRaw !== 'strict' && modeRaw !== 'permissive') {
    return { ok: false, message: 'Invalid `x-batch-validation` header. Expected `strict` or `permissive`.' };
  }
  const permissive = modeRaw === 'permissive';
  if (!Array.isArray(body)) return { ok: false, message: 'The batch must be a JSON array of emails.' };
  if (body.length === 0) return { ok: false, message: 'The batch must contain at least 1 email.' };
  if (body.length > MAX_BATCH) return { ok: false, message: `Too many emails in the batch: ${body.length}. The maximum is ${MAX_BATCH}.` };

  const accepted: { email: ValidEmail; index: number }[] = [];
  const errors: { index: number; message: string }[] = [];
  for (let i = 0; i < body.length; i++) {
    const v = validateEmail(body[i], true, invalid);
    if (v.ok) accepted.push({ email: v.email, index: i });
    else if (permissive) errors.push({ index: i, message: v.message });
    else return { ok: false, message: `Invalid email at index ${i} (emails[${i}]): ${v.message}` };
  }
  return { ok: true, permissive, accepted, errors };
}

// ---------------------------------------------------------------------------
// Body processing: inline, or on a worker thread
// ---------------------------------------------------------------------------

interface BodyJob {
  url: string;
  raw: Buffer;
  isBatch: boolean;
  mode: string | string[] | undefined;
  invalid: string[];
  keepBodies: boolean;
}
interface ProcessedBody {
  /** SHA-256 of path + body: the idempotency fingerprint. */
  hash: string;
  validation: RequestValidation;
}
type BodyProcessor = ((job: BodyJob) => Promise<ProcessedBody>) & { close?: () => void };

function processBodyNow(job: BodyJob): ProcessedBody {
  const raw = Buffer.isBuffer(job.raw) ? job.raw : Buffer.from(job.raw);
  const hash = createHash('sha256').update(job.url).update('\n').update(raw).digest('base64');
  const validation = validateRequest(raw, job.isBatch, job.mode, new Set(job.invalid));
  if (!job.keepBodies && validation.ok) for (const a of validation.accepted) (a.email.html = null), (a.email.text = null);
  return { hash, validation };
}

/** A worker thread running processBodyNow (this same module), answering jobs in order. */
function offloaded(): BodyProcessor {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'fake-resend-body' } });
  worker.unref();
  let next = 0;
  const waiting = new Map<number, (result: ProcessedBody) => void>();
  worker.on('message', ({ id, result }: { id: number; result: ProcessedBody }) => {
    waiting.get(id)?.(result);
    waiting.delete(id);
  });
  const processor: BodyProcessor = (job) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      worker.postMessage({ id, job });
    });
  processor.close = () => void worker.terminate();
  return processor;
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'fake-resend-body') {
  parentPort!.on('message', ({ id, job }: { id: number; job: BodyJob }) => parentPort!.postMessage({ id, result: processBodyNow(job) }));
}

// ---------------------------------------------------------------------------
// CLI: npx tsx tests/support/node/fake-resend.ts --port 3999 --rate 10
// ---------------------------------------------------------------------------

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      rate: { type: 'string' },
      limiter: { type: 'string' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      foreign: { type: 'string' },
      'foreign-pattern': { type: 'string' },
      seed: { type: 'string' },
      'api-key': { type: 'string' },
      'fault-429': { type: 'string' },
      'fault-500': { type: 'string' },
      'fault-lost': { type: 'string' },
      invalid: { type: 'string' },
      'no-bodies': { type: 'boolean', default: false },
    },
  });
  const n = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const fake = await startFakeResend({
    port: Number(values.port),
    ratePerSecond: n(values.rate),
    limiter: values.limiter as LimiterKind | undefined,
    latencyMs: n(values.latency),
    jitterMs: n(values.jitter),
    foreignLoad: values.foreign ? { share: Number(values.foreign), pattern: values['foreign-pattern'] === 'bursty' ? 'bursty' : 'even' } : undefined,
    seed: n(values.seed),
    apiKey: values['api-key'],
    faults: { rateLimited: n(values['fault-429']), serverError: n(values['fault-500']), lostAnswer: n(values['fault-lost']) },
    invalidRecipients: values.invalid ? values.invalid.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    keepBodies: !values['no-bodies'],
    offload: true,
  });
  console.log(fake.url);
  const stop = (): void => {
    fake.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (isMainThread && isMainModule()) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
