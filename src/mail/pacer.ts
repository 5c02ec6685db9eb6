// The shared pace of provider requests: at most SEND_RATE_PER_SECOND across every consumer together.
// One D1 row holds the next free slot; each request reserves one atomically and sleeps until it.
// Slots are spaced 1000/rate ms apart, so no window of one second ever holds more than `rate` requests.

/** A statement (for a D1 batch) that reserves the next slot; its one row has `slot` (ms since epoch). */
export function reserveSlot(d1: D1Database, ratePerSecond: number, now: number): D1PreparedStatement {
  const interval = Math.ceil(1000 / ratePerSecond);
  return d1
    .prepare(
      `INSERT INTO pacer (id, next_slot_at) VALUES (1, ?1 + ?2)
       ON CONFLICT(id) DO UPDATE SET next_slot_at = max(next_slot_at, ?1) + ?2
       RETURNING next_slot_at - ?2 AS slot`,
    )
    .bind(now, interval);
}

export async function takeSlot(d1: D1Database, ratePerSecond: number): Promise<void> {
  const row = await reserveSlot(d1, ratePerSecond, Date.now()).first<{ slot: number }>();
  await sleepUntil(row!.slot);
}

/** After a 429 the provider said when to come back: nobody gets a slot before then. */
export async function holdUntil(d1: D1Database, until: number): Promise<void> {
  await d1.prepare('UPDATE pacer SET next_slot_at = max(next_slot_at, ?1) WHERE id = 1').bind(until).run();
}

export async function sleepUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
