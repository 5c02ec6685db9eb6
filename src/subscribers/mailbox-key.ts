// The canonical mailbox key: which inbox an address reaches, however it is spelt. Lower case; a
// `+tag` after the first character of the local part removed (every big provider delivers
// `ann+news@` to `ann@`); for gmail.com and googlemail.com (one service) dots removed and the domain
// made gmail.com. Only a key: the address is stored as typed (lower-cased, tag and dots kept), and
// mail goes to that. Every per-address limit and suppression check goes through the key.
//
// The rule lives here twice, as a TypeScript function and as the SQL of the index
// `subscribers_mailbox_key` (migration 0010), which queries write through `mailboxKeyOf` so SQLite
// uses that index: tests/trust.test.ts checks they agree and that the index is used.
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';

const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/** `V.Ictim+1@GoogleMail.com` → `victim@gmail.com`; `ann+x@example.org` → `ann@example.org`. */
export function mailboxKey(email: string): string {
  const address = email.toLowerCase();
  const at = address.indexOf('@');
  let local = address.slice(0, at);
  let domain = address.slice(at + 1);
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (GMAIL_DOMAINS.has(domain)) {
    local = local.replaceAll('.', '');
    domain = 'gmail.com';
  }
  return `${local}@${domain}`;
}

/** The same rule in SQL, over an expression holding an address (a column, a bound value). */
export function mailboxKeySql(email: SQL): SQL {
  const e = sql`lower(${email})`;
  const at = sql`instr(${e}, '@')`;
  const local = sql`substr(${e}, 1, ${at} - 1)`;
  const domain = sql`substr(${e}, ${at} + 1)`;
  const untagged = sql`(CASE WHEN instr(${local}, '+') > 1 THEN substr(${e}, 1, instr(${e}, '+') - 1) ELSE ${local} END)`;
  return sql`(CASE WHEN ${domain} IN ('gmail.com', 'googlemail.com') THEN replace(${untagged}, '.', '') || '@gmail.com' ELSE ${untagged} || '@' || ${domain} END)`;
}

/** Hex SHA-256 of an address's mailbox key: how a mailbox is named where no address may be kept. */
export async function mailboxHash(email: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(mailboxKey(email)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The mailbox key of a subscribers row (or an alias of the table), exactly as the index has it. */
export function mailboxKeyOf(emailColumn: SQLWrapper): SQL {
  return mailboxKeySql(sql`${emailColumn}`);
}
