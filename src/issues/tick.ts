// The frequent cron (src/triggers.ts, every 5 minutes): housekeeping, then every article whose
// scheduled time has come, then the weekly slot if one fell since the last tick. A scheduled article
// goes at the first tick at or after its time, so within 5 minutes.
//
// Why it is safe whatever fires it how often (Cloudflare may fire late, twice, or not at all):
//  - a send is claimed once per slug, ever (send-store.ts claimSend), so a scheduled article goes
//    once however many ticks see it due;
//  - the weekly slot is taken by the one tick that moves the scheduler's clock from L to now with
//    `UPDATE … WHERE last_tick_at = L`: that tick owns the stretch (L, now] and runs the slot if one
//    fell in it; a concurrent or repeated tick finds the clock moved and owns nothing. A tick that
//    comes late (or after an outage) still finds the slot in its stretch and runs it, at most one
//    week back. Changing SEND_SCHEDULE or TIMEZONE takes effect at the next tick, with no deploy.
import { eq } from 'drizzle-orm';
import type { Config, Env } from '../config';
import type { Db } from '../db/client';
import { scheduler } from '../db/schema';
import { sendDueArticles, sendWeeklyPick, type Started } from './cron';
import { type MaintenanceResult, runMaintenance } from './maintenance';
import { dueSchedules } from './schedules';
import { lastSlotIn, type WeeklySlot } from './slot';

/** A first tick (a new database) looks this far back for a slot. */
export const FIRST_TICK_LOOKBACK_MS = 10 * 60 * 1000;
/** A slot missed for longer than this (the Worker was down) is not sent late. */
export const MAX_SLOT_CATCH_UP_MS = 7 * 24 * 60 * 60 * 1000;

export interface TickResult {
  maintenance: MaintenanceResult;
  scheduled: Started[];
  /** The weekly slot this tick ran (ms), or null. */
  slot: number | null;
  weekly: Started;
}

export async function runTick(db: Db, env: Env, config: Config, now = Date.now()): Promise<TickResult> {
  const maintenance = await runMaintenance(db, env, config, now);
  const scheduled = await sendDueArticles(db, env, config, now, await dueSchedules(db, now));
  const slot = await claimSlot(db, config.weeklySlot, now);
  const weekly = slot === null ? null : await sendWeeklyPick(db, env, config, now);
  return { maintenance, scheduled, slot, weekly };
}

/** The weekly slot in the stretch of time this tick owns, or null (see the header). */
export async function claimSlot(db: Db, slot: WeeklySlot, now: number): Promise<number | null> {
  const row = await db.select({ at: scheduler.lastTickAt }).from(scheduler).where(eq(scheduler.id, 1)).get();
  let from: number;
  if (!row) {
    const inserted = await db.insert(scheduler).values({ id: 1, lastTickAt: now }).onConflictDoNothing().returning({ id: scheduler.id }).get();
    if (!inserted) return null; // another tick started the clock this very moment
    from = now - FIRST_TICK_LOOKBACK_MS;
  } else {
    if (row.at >= now) return null;
    const moved = await db.update(scheduler).set({ lastTickAt: now }).where(eq(scheduler.lastTickAt, row.at)).returning({ id: scheduler.id }).get();
    if (!moved) return null;
    from = row.at;
  }
  const at = lastSlotIn(slot, Math.max(from, now - MAX_SLOT_CATCH_UP_MS), now);
  if (at !== null && now - at > 15 * 60 * 1000) console.warn(`tick: the weekly slot of ${new Date(at).toISOString()} runs late, at ${new Date(now).toISOString()} (no tick ran since ${new Date(from).toISOString()})`);
  return at;
}
