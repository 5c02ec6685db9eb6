// The sign-in throttle: at most SIGN_IN_LIMIT wrong tokens a minute from one client, then 429.
//
// An attempt takes a row *before* the token is checked, in one statement that inserts only while the
// client has fewer than SIGN_IN_LIMIT rows in the last minute (D1 runs statements one at a time, so
// a burst of parallel guesses cannot all slip through before the first is counted). A right token
// gives its row back, so only failures count; a refused attempt checks no token at all, so the
// answer to the 11th guess says nothing about whether it was right. D1 rather than the Rate
// Limiting binding: that one cannot say "not over the limit" without counting the attempt, and it is
// per Cloudflare location and approximate by design.
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { selectList } from '../db/batch';
import { adminSignInAttempts } from '../db/schema';

export const SIGN_IN_LIMIT = 10;
export const SIGN_IN_WINDOW_MS = 60_000;

/** The attempt's row id, or null when the client used up its attempts (answer 429). */
export async function takeSignInAttempt(db: Db, client: string, now = Date.now()): Promise<number | null> {
  const windowStart = now - SIGN_IN_WINDOW_MS;
  const recent = db
    .select({ n: sql`count(*)` })
    .from(adminSignInAttempts)
    .where(and(eq(adminSignInAttempts.client, client), gt(adminSignInAttempts.at, windowStart)));
  const [, taken] = await db.batch([
    // Expired rows go first (any client's): the table holds at most a minute of failures.
    db.delete(adminSignInAttempts).where(lte(adminSignInAttempts.at, windowStart)),
    db
      .insert(adminSignInAttempts)
      .select(sql`SELECT ${selectList(adminSignInAttempts, { client, at: now })} WHERE (${recent}) < ${SIGN_IN_LIMIT}`)
      .returning({ id: adminSignInAttempts.id }),
  ]);
  return taken[0]?.id ?? null;
}

/** A right token: the attempt does not count against the client. */
export async function giveBackSignInAttempt(db: Db, id: number): Promise<void> {
  await db.delete(adminSignInAttempts).where(eq(adminSignInAttempts.id, id));
}
