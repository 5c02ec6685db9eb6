// The one interface every email leaves through, and the choice between its two implementations.
import type { Config, Env } from '../config';
import { OutboxTransport } from './outbox';
import { ResendTransport } from './resend';
import type { EmailTag } from './tags';

export interface OutgoingEmail {
  to: string;
  from: string;
  replyTo: string | null;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  /** Resend tags, so the provider's own logs can be filtered (`kind`, and `slug` for issues). */
  tags?: EmailTag[];
}

/** Per email, in order: the provider's id, or why that one address was refused for good. */
export type EmailOutcome = { id: string } | { error: string };

export type SendResult =
  | { ok: true; outcomes: EmailOutcome[] }
  | {
      ok: false;
      /** 429, 5xx, network: nothing is known to be sent; the same batch under the same key may be retried. */
      retryable: boolean;
      retryAfterMs: number | null;
      /** The provider's error name, e.g. `invalid_idempotent_request`, `invalid_api_key`. */
      code: string | null;
      /** A 429 that says the provider's window is used up for everyone sending with this key. */
      windowExhausted: boolean;
      status: number | null;
      message: string;
    };

export interface MailTransport {
  /** Whether calls count against the provider's rate limit (and so go through the pacer). */
  readonly paced: boolean;
  /** Sends up to 100 emails in one call; the key makes a retry of the same batch a no-op at the provider. */
  sendBatch(emails: OutgoingEmail[], idempotencyKey: string): Promise<SendResult>;
}

export function transportFor(env: Env, config: Config): MailTransport {
  return config.transport === 'resend'
    ? new ResendTransport(config.resendApiKey!, config.resendBaseUrl)
    : new OutboxTransport(env.DB);
}
