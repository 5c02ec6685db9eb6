// What the dashboard knows about issues and sends, in the contract's shapes: the same list and stats
// as the admin API (src/issues/stats.ts), and the operator's resume and cancel (src/issues/control.ts).
import type { Env } from '../config';
import type { Db } from '../db/client';
import { cancel, resume } from '../issues/control';
import { type IssueStats, issueList, issueStats, type IssueSummary, type SendSummary, ZERO } from '../issues/stats';

export type DashboardStats = IssueStats;
export { issueList, type IssueSummary };

/** One issue's state and numbers; a slug nobody knows reads as a draft with nothing sent. */
export async function dashboardStats(db: Db, slug: string, now = Date.now(), send?: SendSummary | null): Promise<DashboardStats> {
  return (await issueStats(db, slug, now, send)) ?? { ...ZERO, status: 'draft' };
}

type Acted = { ok: true } | { ok: false; code: string; message: string };

/** A send paused by the circuit breaker continues (exactly once still holds). */
export async function resumeSend(db: Db, env: Env, slug: string): Promise<Acted> {
  const result = await resume(db, env, slug);
  return result.ok ? { ok: true } : result;
}

/** A paused send ends: its readers not yet sent are skipped. */
export async function cancelSend(db: Db, _env: Env, slug: string): Promise<Acted> {
  const result = await cancel(db, slug);
  return result.ok ? { ok: true } : result;
}
