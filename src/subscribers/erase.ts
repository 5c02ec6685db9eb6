// Erasing a person on request (GDPR art. 17): their subscriber row (address, name, dates), every
// delivery record, and any captured copy in the local outbox go, in one atomic D1 batch. What stays
// is the SHA-256 of the normalised address in `suppressions`, so an import never brings them back.
// The form still works for them: signing up again is their own, new consent (signUp ignores hashes).

/** Hex SHA-256 of a normalised address: the only trace an erased person leaves. */
export async function emailHash(normalizedEmail: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(normalizedEmail));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Idempotent: an address that is not (or no longer) on the list is suppressed all the same. */
export async function eraseSubscriber(db: D1Database, normalizedEmail: string, now = Date.now()): Promise<{ found: boolean }> {
  const hash = await emailHash(normalizedEmail);
  const results = await db.batch([
    db.prepare(`INSERT OR IGNORE INTO suppressions (email_hash, reason, created_at) VALUES (?1, 'erased', ?2)`).bind(hash, now),
    db.prepare('DELETE FROM deliveries WHERE subscriber_id IN (SELECT id FROM subscribers WHERE email = ?1)').bind(normalizedEmail),
    db.prepare('DELETE FROM outbox WHERE "to" = ?1').bind(normalizedEmail),
    db.prepare('DELETE FROM subscribers WHERE email = ?1').bind(normalizedEmail),
  ]);
  return { found: (results[3].meta.changes ?? 0) > 0 };
}
