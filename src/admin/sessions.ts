// Dashboard sessions held on the server. The signed cookie (session.ts) says who made it; this
// table says whether it still counts: signing out revokes the row, so a copy of the cookie taken
// earlier stops working at once; "sign out everywhere" revokes every row; the operator sees each
// session that is open, when it started and was last used, and from where.
import { and, desc, eq, gt, isNull, lte } from 'drizzle-orm';
import type { Db } from '../db/client';
import { adminSessions } from '../db/schema';
import type { Session } from './session';

/** last_seen_at is written at most this often per session (one write per request would be wasteful). */
const TOUCH_EVERY_MS = 5 * 60 * 1000;

export interface SessionOrigin {
  ip: string | null;
  country: string | null;
  userAgent: string | null;
}

export async function recordSession(db: Db, session: Session, origin: SessionOrigin): Promise<void> {
  await db.insert(adminSessions).values({
    sid: session.sid,
    createdAt: session.issuedAt,
    expiresAt: session.expiresAt,
    lastSeenAt: session.issuedAt,
    ip: origin.ip?.slice(0, 64) ?? null,
    country: origin.country?.slice(0, 8) ?? null,
    userAgent: origin.userAgent?.slice(0, 300) ?? null,
  });
}

/** The session is on record, not revoked, not expired; its last use is noted now and then. */
export async function sessionAlive(db: Db, sid: string, now: number): Promise<boolean> {
  const row = await db.select({ lastSeenAt: adminSessions.lastSeenAt }).from(adminSessions).where(and(eq(adminSessions.sid, sid), isNull(adminSessions.revokedAt), gt(adminSessions.expiresAt, now))).get();
  if (!row) return false;
  if (now - row.lastSeenAt > TOUCH_EVERY_MS) await db.update(adminSessions).set({ lastSeenAt: now }).where(eq(adminSessions.sid, sid));
  return true;
}

export async function revokeSession(db: Db, sid: string, now: number): Promise<void> {
  await db.update(adminSessions).set({ revokedAt: now }).where(and(eq(adminSessions.sid, sid), isNull(adminSessions.revokedAt)));
}

/** Sign out everywhere: every open session, this one included. */
export async function revokeAllSessions(db: Db, now: number): Promise<number> {
  const result = await db.update(adminSessions).set({ revokedAt: now }).where(isNull(adminSessions.revokedAt));
  return result.meta.changes ?? 0;
}

export interface ActiveSession {
  sid: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string | null;
  country: string | null;
  userAgent: string | null;
}

export async function activeSessions(db: Db, now: number): Promise<ActiveSession[]> {
  return db
    .select({ sid: adminSessions.sid, createdAt: adminSessions.createdAt, lastSeenAt: adminSessions.lastSeenAt, expiresAt: adminSessions.expiresAt, ip: adminSessions.ip, country: adminSessions.country, userAgent: adminSessions.userAgent })
    .from(adminSessions)
    .where(and(isNull(adminSessions.revokedAt), gt(adminSessions.expiresAt, now)))
    .orderBy(desc(adminSessions.lastSeenAt))
    .limit(100);
}

/** Housekeeping: sessions past their expiry (revoked or not) are of no more use. */
export async function pruneSessions(db: Db, now: number): Promise<number> {
  const result = await db.delete(adminSessions).where(lte(adminSessions.expiresAt, now));
  return result.meta.changes ?? 0;
}


