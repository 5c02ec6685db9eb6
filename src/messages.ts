// What travels on SEND_QUEUE. Every consumer of a message is idempotent: delivery is at-least-once.

/** One chunk of one send: at most 100 readers, one provider batch call. Its range and readers live in its row. */
export interface ChunkMessage {
  type: 'chunk';
  sendId: number;
  chunk: number;
  /** Provider failures so far (sets the backoff; the retry budget itself is time-based, in the chunk row). */
  retries?: number;
  /** Housekeeping's try of a halted send: the one chunk that may call the provider while it is halted. */
  probe?: boolean;
}

/** A confirmation email for a sign-up (paced like everything else that reaches the provider). */
export interface ConfirmationMessage {
  type: 'confirmation';
  subscriberId: number;
  /** confirmation_sent_at of the request: names this one email, so a retry sends the identical one. */
  requestedAt: number;
}

export interface WelcomeMessage {
  type: 'welcome';
  subscriberId: number;
  confirmedAt: number;
}

/** The confirmation a reader's new address gets before their subscription moves there (preferences page). */
export interface EmailChangeMessage {
  type: 'email_change';
  subscriberId: number;
  /** email_change_sent_at of the request: names this one email, so a retry sends the identical one. */
  requestedAt: number;
}

/** A one-time link a reader asked for on their page, or the undo link to an old address after a move. */
export interface ReaderLinkMessage {
  type: 'reader_link';
  /** The reader_links row: what the link does and to whom it goes. */
  linkId: number;
  subscriberId: number;
}

export type QueueMessage = ChunkMessage | ConfirmationMessage | WelcomeMessage | EmailChangeMessage | ReaderLinkMessage;
