// The one interface every email leaves through, and the choice between its two implementations.
// A transport owns everything about talking to the provider: the 100-email batch limit, the shared
// pace (src/mail/pacer.ts), retrying what is worth retrying at once, and what each answer means
// (SendOutcome). Callers never check how a transport paces or what a status code meant.
import type { Config, Env } from '../config';
import type { Db } from '../db/client';
import { OutboxTransport } from './outbox';
import { ResendTransport } from './resend';

/** Resend's batch limit, and so the most emails one call may carry. */
export const MAX_BATCH = 100;

export interface OutgoingEmail {
  to: string;
  from: string;
  replyTo: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  /** Resend tags (ASCII letters, digits, `_`, `-`): they come back in the provider's webhooks. */
  tags: Record<string, string>;
}

/** Per email, in order: the provider's id, or why that one address was refused for good. */
export type EmailOutcome = { id: string } | { error: string };

export type SendOutcome =
  /** The provider took the batch: one outcome per email, in order. */
  | { kind: 'accepted'; outcomes: EmailOutcome[] }
  /**
   * Nothing is known to be sent; the same batch under the same key may be tried again after `afterMs`.
   * `rateLimited`: only 429s (they never spend a chunk's retry budget). `uncertain`: some attempt may
   * have been accepted although its answer said otherwise (a 5xx, a network error, no answer).
   */
  | { kind: 'retry'; afterMs: number | null; rateLimited: boolean; uncertain: boolean; message: string }
  /** 409 invalid_idempotent_request: an earlier request under this key, with another payload, was accepted. */
  | { kind: 'conflict'; message: string }
  /** The provider refuses the request as a whole, for a reason that is not about these readers (a bad key, an unverified domain, a quota). */
  | { kind: 'refused'; uncertain: boolean; message: string };

/**
 * The emails of one call, or how to build them: a paced transport builds them only when the call's
 * turn has come, so a queue batch of many chunks waiting for their slots holds no payloads (100
 * emails are about 2 MB) and leaves out whoever left while it waited.
 */
export type Batch = OutgoingEmail[] | (() => Promise<OutgoingEmail[]>);

export interface MailTransport {
  /** Sends 1 to MAX_BATCH emails in one provider call; the key makes a retry of the same batch a no-op at the provider. */
  send(batch: Batch, idempotencyKey: string): Promise<SendOutcome>;
}

/** The batch's emails; none when everyone left while the call waited for its turn (then nothing is sent). */
export async function built(batch: Batch): Promise<OutgoingEmail[]> {
  const emails = typeof batch === 'function' ? await batch() : batch;
  if (emails.length > MAX_BATCH) throw new Error(`a provider batch holds at most ${MAX_BATCH} emails, got ${emails.length}`);
  return emails;
}

export function transportFor(env: Env, config: Config, db: Db): MailTransport {
  return config.transport === 'resend' ? new ResendTransport(db, config) : new OutboxTransport(db);
}

