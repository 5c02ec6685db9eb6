// What a reader may do on their own page, as plain functions of their row and the time: which
// actions the page offers, which a POST may take, and the JSON the page answers with.
import type { SubscriberStatus } from '../db/schema';

export interface Reader {
  id: number;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  createdAt: number;
  confirmedAt: number | null;
  leftAt: number | null;
  pausedUntil: number | null;
  pendingEmail: string | null;
  emailChangeSentAt: number | null;
  /** Bumped by every move: only preferences links of this generation work. */
  tokenGeneration: number;
}

export const ACTIONS = ['pause', 'resume', 'change_email', 'export', 'erase', 'unsubscribe', 'resubscribe'] as const;
export type Action = (typeof ACTIONS)[number];
/**
 * Actions that whoever holds the page's link (a forwarded email) must not take alone: they answer
 * 202 `link_sent` and email a one-time link to the reader's current address, which acts after one
 * button press (src/preferences/links.ts). Pause, resume and unsubscribe act at once: they only
 * ever mean less mail.
 */
export const EMAILED_ACTIONS = ['export', 'erase', 'change_email', 'resubscribe'] as const;
export type EmailedAction = (typeof EMAILED_ACTIONS)[number];
export function isEmailed(action: Action): action is EmailedAction {
  return (EMAILED_ACTIONS as readonly string[]).includes(action);
}

export const PAUSE_WEEKS = [2, 4, 8] as const;
export type PauseWeeks = (typeof PAUSE_WEEKS)[number];
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** After leaving, the page offers "Resubscribe" (no new confirmation email) for this long. */
export const RESUBSCRIBE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/** A new address's confirmation link lasts as long as a sign-up's (CONFIRM_TOKEN_TTL_MS). */
export const EMAIL_CHANGE_LINK_MS = 7 * 24 * 60 * 60 * 1000;

export function parseAction(value: unknown): Action | null {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value) ? (value as Action) : null;
}

/** 2, 4 or 8, as a number (JSON) or a string (a form). */
export function parseWeeks(value: unknown): PauseWeeks | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,2}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  return (PAUSE_WEEKS as readonly number[]).includes(n) ? (n as PauseWeeks) : null;
}

export function pauseEnd(weeks: PauseWeeks, now: number): number {
  return now + weeks * WEEK_MS;
}

export function isPaused(r: Reader, now: number): boolean {
  return r.status === 'confirmed' && r.pausedUntil !== null && r.pausedUntil > now;
}

/** Until when "Resubscribe" works, or null if it does not (never left, left otherwise, or too long ago). */
export function resubscribeUntil(r: Reader, now: number): number | null {
  if (r.status !== 'unsubscribed' || r.leftAt === null) return null;
  const until = r.leftAt + RESUBSCRIBE_WINDOW_MS;
  return now <= until ? until : null;
}

/** The new address awaiting its confirmation, while its link can still work. */
export function pendingEmail(r: Reader, now: number): string | null {
  if (r.status !== 'confirmed' || r.pendingEmail === null || r.emailChangeSentAt === null) return null;
  return now - r.emailChangeSentAt <= EMAIL_CHANGE_LINK_MS ? r.pendingEmail : null;
}

/** What the page offers this reader now. */
export function offeredActions(r: Reader, now: number): Action[] {
  const confirmed = r.status === 'confirmed';
  const offered: Record<Action, boolean> = {
    pause: confirmed,
    resume: isPaused(r, now),
    change_email: confirmed,
    export: true,
    erase: true,
    unsubscribe: confirmed || r.status === 'pending',
    resubscribe: resubscribeUntil(r, now) !== null,
  };
  return ACTIONS.filter((a) => offered[a]);
}

/**
 * Why a POST of `action` cannot be done now, or null if it can. Repeats are fine: resuming when not
 * paused, unsubscribing when out already, resubscribing when subscribed (like the one-click link).
 */
export function refusal(action: Action, r: Reader, now: number): string | null {
  const stopped = r.status === 'bounced' || r.status === 'complained';
  const inactive = stopped
    ? 'Mail to this address is stopped (it bounced, or was reported as spam), so there is nothing to change here. You can still download or erase your data.'
    : r.status === 'pending'
      ? 'This subscription is not confirmed yet: use the link in the confirmation email first.'
      : 'You are not subscribed right now, so there is nothing to pause or move.';
  switch (action) {
    case 'pause':
    case 'resume':
    case 'change_email':
      return r.status === 'confirmed' ? null : inactive;
    case 'resubscribe':
      if (r.status === 'confirmed' || resubscribeUntil(r, now) !== null) return null;
      if (r.status === 'unsubscribed') return 'It has been more than 30 days since you left: subscribe again on the home page, and confirm through the email we send.';
      return stopped ? inactive : 'This subscription is not confirmed yet: use the link in the confirmation email first.';
    default:
      return null;
  }
}

export interface PreferencesView {
  email: string;
  name: string | null;
  /** As in the admin API: pending, confirmed, unsubscribed, bounced or complained. */
  status: SubscriberStatus;
  subscribedSince: string | null;
  /** When the reader last left (unsubscribed, bounced, complained). */
  leftAt: string | null;
  /** While a pause lasts: weekly sends skip the reader until then. */
  pausedUntil: string | null;
  /** A new address waiting for its confirmation link to be used. */
  pendingEmail: string | null;
  resubscribeUntil: string | null;
  actions: Action[];
}

export function preferencesView(r: Reader, now: number): PreferencesView {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    email: r.email,
    name: r.name,
    status: r.status,
    subscribedSince: iso(r.confirmedAt),
    leftAt: iso(r.leftAt),
    pausedUntil: isPaused(r, now) ? iso(r.pausedUntil) : null,
    pendingEmail: pendingEmail(r, now),
    resubscribeUntil: iso(resubscribeUntil(r, now)),
    actions: offeredActions(r, now),
  };
}
