// The overview's data: subscribers by status, the last 12 weeks, the next article due, the last send.
// One D1 batch reads the counters (kept by triggers: migrations/0004_admin_counters.sql), at most
// 84 day rows and the send rows; the last send's numbers come through the stats adapter. Nothing
// here reads the subscriber list itself, so the cost does not grow with it.
import { gte } from 'drizzle-orm';
import type { Db } from '../db/client';
import { SUBSCRIBER_STATUSES, type SubscriberStatus, subscriberCounts, subscriberDays } from '../db/schema';
import { catalogue, nextDue, type NextDue } from '../issues/catalog';
import { scheduleMap } from '../issues/schedules';
import type { WeeklySlot } from '../issues/slot';
import { type DashboardStats, dashboardStats, issueList } from './stats';

export const DAY_MS = 86_400_000;
export const CHART_WEEKS = 12;

export type StatusCounts = Record<SubscriberStatus, number>;

export interface WeekPoint {
  /** Monday 00:00 UTC that starts the week, ms. */
  start: number;
  confirmed: number;
  left: number;
}

export interface Overview {
  counts: StatusCounts;
  total: number;
  weeks: WeekPoint[];
  nextDue: NextDue | null;
  lastSend: { slug: string; title: string; startedAt: number; stats: DashboardStats } | null;
}

/** Monday 00:00 UTC of the week holding `ms`, as a day number. */
export function weekStartDay(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  const weekday = (new Date(day * DAY_MS).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return day - weekday;
}

/** Day rows summed into the `weeks` weeks that end with the one holding `now`, oldest first. */
export function weekBuckets(days: readonly { day: number; confirmed: number; left: number }[], now: number, weeks = CHART_WEEKS): WeekPoint[] {
  const first = weekStartDay(now) - (weeks - 1) * 7;
  const buckets = Array.from({ length: weeks }, (_, i) => ({ start: (first + i * 7) * DAY_MS, confirmed: 0, left: 0 }));
  for (const d of days) {
    const i = Math.floor((d.day - first) / 7);
    if (i < 0 || i >= weeks) continue;
    buckets[i].confirmed += d.confirmed;
    buckets[i].left += d.left;
  }
  return buckets;
}

export function statusCounts(rows: readonly { status: string; n: number }[]): StatusCounts {
  const counts = Object.fromEntries(SUBSCRIBER_STATUSES.map((s) => [s, 0])) as StatusCounts;
  for (const row of rows) if (row.status in counts) counts[row.status as SubscriberStatus] = row.n;
  return counts;
}

/** The counters alone (the subscribers page shows them too): one indexed read of at most 5 rows. */
export async function readStatusCounts(db: Db): Promise<StatusCounts> {
  return statusCounts(await db.select().from(subscriberCounts));
}

export async function readOverview(db: Db, slot: WeeklySlot, now = Date.now()): Promise<Overview> {
  const firstDay = weekStartDay(now) - (CHART_WEEKS - 1) * 7;
  const [countRows, dayRows] = await db.batch([db.select().from(subscriberCounts), db.select().from(subscriberDays).where(gte(subscriberDays.day, firstDay))]);
  const { sends } = await issueList(db, slot, now);
  const counts = statusCounts(countRows);
  const last = sends.reduce<(typeof sends)[number] | null>((latest, s) => (!latest || s.startedAt > latest.startedAt ? s : latest), null);
  return {
    counts,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    weeks: weekBuckets(dayRows, now),
    nextDue: nextDue(await catalogue(db), new Set(sends.map((s) => s.slug)), now, slot, await scheduleMap(db)),
    lastSend: last ? { slug: last.slug, title: last.title, startedAt: last.startedAt, stats: await dashboardStats(db, last.slug, now, last) } : null,
  };
}
