// The shared pace of provider requests: at most SEND_RATE_PER_SECOND across every consumer together.
// One D1 row holds the next free slot; each request reserves one atomically and sleeps until it.
// Slots are spaced 1000/rate ms apart, so no window of one second ever holds more than `rate` requests.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { pacer } from '../db/schema';

/** A statement (for a D1 batch) that reserves the next slot; its one row has `slot` (ms since epoch). */
export function reserveSlot(db: Db, ratePerSecond: number, now: number) {
  const interval = Math.ceil(1000 / ratePerSecond);
  return db
    .insert(pacer)
    .values({ id: 1, nextSlotAt: sql`${now} + ${interval}` })
    .onConflictDoUpdate({ target: pacer.id, set: { nextSlotAt: sql`max(${pacer.nextSlotAt}, ${now}) + ${interval}` } })
    .returning({ slot: sql<number>`${pacer.nextSlotAt} - ${interval}` });
}

export async function takeSlot(db: Db, ratePerSecond: number): Promise<void> {
  const row = await reserveSlot(db, ratePerSecond, Date.now()).get();
  await sleepUntil(row!.slot);
}

/** After a 429 the provider said when to come back: nobody gets a slot before then. */
export async function holdUntil(db: Db, until: number): Promise<void> {
  await db
    .update(pacer)
    .set({ nextSlotAt: sql`max(${pacer.nextSlotAt}, ${until})` })
    .where(eq(pacer.id, 1));
}

export async function sleepUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
