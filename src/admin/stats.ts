// What the dashboard knows about issues and sends, in the contract's shapes. Every page reads issue
// state through the two functions here and nothing else, so the send path can change underneath.
//
// MERGE NOTE for the lead (issues 9, 13, 15): `dashboardStats` is THE adapter. The pages are written
// against the contract's stats `{status, reason, recipients, sent, failed, unknown, skipped, pending,
// delivered, bounced, complained, opened, clicked}` and the statuses `draft, ready, sending, halted,
// paused, sent`. Today it fills what `sendStats` lacks (`reason` null, `unknown` and `skipped` 0) and
// never says halted or paused; wire the counters and the new statuses in here (and in `issueList`,
// which mirrors GET /api/issues) and the pages follow.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sends } from '../db/schema';
import type { Article } from '../issues/article';
import { allArticles, findArticle, issueStatus } from '../issues/catalog';
import { sendStats } from '../issues/stats';

export const ISSUE_STATUSES = ['draft', 'ready', 'sending', 'halted', 'paused', 'sent'] as const;
export type IssueState = (typeof ISSUE_STATUSES)[number];

export interface DashboardStats {
  status: IssueState;
  /** Why a send is halted or paused, else null. */
  reason: string | null;
  recipients: number;
  sent: number;
  failed: number;
  unknown: number;
  skipped: number;
  pending: number;
  delivered: number;
  bounced: number;
  complained: number;
  opened: number;
  clicked: number;
}

export interface IssueSummary {
  slug: string;
  title: string;
  date: string;
  status: IssueState;
}

const sendRow = { id: sends.id, slug: sends.slug, status: sends.status, title: sends.title, date: sends.articleDate, startedAt: sends.startedAt };
type SendRow = { id: number; slug: string; status: string; title: string; date: string; startedAt: number };

const ZERO = { recipients: 0, sent: 0, failed: 0, unknown: 0, skipped: 0, pending: 0, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0 };

function stateOf(article: Article | undefined, sendStatus: string | undefined, now: number): IssueState {
  if (article) return issueStatus(article, sendStatus, now);
  return sendStatus === 'sent' ? 'sent' : 'sending';
}

/** THE stats adapter: one issue's state and numbers. `send` may be passed when the caller has it. */
export async function dashboardStats(db: Db, slug: string, now = Date.now(), send?: SendRow | null): Promise<DashboardStats> {
  const row = send === undefined ? await db.select(sendRow).from(sends).where(eq(sends.slug, slug)).get() : send;
  const status = stateOf(findArticle(slug), row?.status, now);
  if (!row) return { status, reason: null, ...ZERO };
  const counts = await sendStats(db, row.id);
  return { status, reason: null, ...ZERO, ...counts };
}

/** Every article (bundled, or sent and since removed from content/), newest first; plus the send rows. */
export async function issueList(db: Db, now = Date.now()): Promise<{ issues: IssueSummary[]; sends: SendRow[] }> {
  const stored = await db.select(sendRow).from(sends);
  const bySlug = new Map(stored.map((s) => [s.slug, s]));
  const issues: IssueSummary[] = allArticles().map((a) => ({ slug: a.slug, title: a.title, date: a.date, status: stateOf(a, bySlug.get(a.slug)?.status, now) }));
  const bundled = new Set(issues.map((i) => i.slug));
  for (const s of stored) if (!bundled.has(s.slug)) issues.push({ slug: s.slug, title: s.title, date: s.date, status: stateOf(undefined, s.status, now) });
  issues.sort((a, b) => b.date.localeCompare(a.date) || a.slug.localeCompare(b.slug));
  return { issues, sends: stored };
}

export type SendRecord = SendRow;

/**
 * TODO(lead, issue 15): resume and cancel of a send paused by the circuit breaker. Until that lands
 * no send is ever paused, so both answer "not paused" (409), as POST /api/issues/:slug/resume will.
 */
export async function resumeSend(_db: Db, _slug: string): Promise<{ ok: true } | { ok: false; code: 'not_paused'; message: string }> {
  return { ok: false, code: 'not_paused', message: 'This send is not paused, so there is nothing to resume.' };
}

/** TODO(lead, issue 15): see resumeSend. */
export async function cancelSend(_db: Db, _slug: string): Promise<{ ok: true } | { ok: false; code: 'not_paused'; message: string }> {
  return { ok: false, code: 'not_paused', message: 'This send is not paused, so there is nothing to cancel.' };
}
