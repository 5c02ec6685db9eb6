// When an article goes, chosen by the writer: one `schedules` row per scheduled article, of either
// source (a content file or the editor). No row: the article waits for the weekly slot. A schedule
// row of an article already claimed by a send is history (when it was meant to go) and does nothing.
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import { selectList } from '../db/batch';
import type { Db } from '../db/client';
import { schedules, sends } from '../db/schema';

const unclaimed = sql`NOT EXISTS (SELECT 1 FROM ${sends} WHERE ${sends.slug} = ${schedules.slug})`;

/** slug → sendAt (ms) of every schedule row. */
export async function scheduleMap(db: Db): Promise<Map<string, number>> {
  return new Map((await db.select({ slug: schedules.slug, sendAt: schedules.sendAt }).from(schedules)).map((r) => [r.slug, r.sendAt]));
}

export async function scheduleOf(db: Db, slug: string): Promise<number | null> {
  return (await db.select({ sendAt: schedules.sendAt }).from(schedules).where(eq(schedules.slug, slug)).get())?.sendAt ?? null;
}

/** Schedules whose time has come and whose article no send has claimed, earliest first. */
export function dueSchedules(db: Db, now: number) {
  return db
    .select({ slug: schedules.slug, sendAt: schedules.sendAt })
    .from(schedules)
    .where(and(lte(schedules.sendAt, now), unclaimed))
    .orderBy(asc(schedules.sendAt), asc(schedules.slug));
}

/**
 * Sets (or moves) an article's time, unless its send started: false then. The caller checks that the
 * article exists and the time is ahead.
 */
export async function setSchedule(db: Db, slug: string, sendAt: number, now: number): Promise<boolean> {
  const noSend = sql`NOT EXISTS (SELECT 1 FROM ${sends} WHERE ${sends.slug} = ${slug})`;
  const row = await db
    .insert(schedules)
    .select(sql`SELECT ${selectList(schedules, { slug, sendAt, updatedAt: now })} WHERE ${noSend}`)
    .onConflictDoUpdate({ target: schedules.slug, set: { sendAt, updatedAt: now }, setWhere: noSend })
    .returning({ slug: schedules.slug })
    .get();
  return row !== undefined;
}

/** Back to the weekly slot, unless its send started: false then. */
export async function clearSchedule(db: Db, slug: string): Promise<boolean> {
  const noSend = sql`NOT EXISTS (SELECT 1 FROM ${sends} WHERE ${sends.slug} = ${slug})`;
  if (await db.select({ id: sends.id }).from(sends).where(eq(sends.slug, slug)).get()) return false;
  await db.delete(schedules).where(and(eq(schedules.slug, slug), noSend));
  return true;
}
