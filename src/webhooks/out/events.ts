// Outgoing webhook events, written as an outbox in the SAME D1 batch as the state change they report:
// a crash can lose neither the change without its event nor the event without its change.
//
// Each helper returns one statement for the caller's batch, placed right after the statement that
// changes the state. It inserts one `webhook_deliveries` row per enabled endpoint listening for the
// type (none, and it writes nothing), and only when the change happened: `changes() > 0` reads the
// row count of the statement just before it in the batch (D1 runs a batch's statements in order on
// one connection), plus a condition on the new state. The `webhook-id` is derived from the subject and
// the change's time, so a batch that runs again cannot add a second row (unique per endpoint).
// After the batch, the invocation's deliveries are queued (notify.ts); housekeeping queues any
// a crash left behind.
//
// Personal data: `subscriber.*` carry the reader's id and email, `subscriber.erased` only the id.
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { selectList } from '../../db/batch';
import { sends, subscribers, webhookDeliveries, webhookEndpoints } from '../../db/schema';
import { noteEmitted } from './notify';

export const WEBHOOK_EVENTS = [
  'subscriber.created',
  'subscriber.confirmed',
  'subscriber.unsubscribed',
  'subscriber.bounced',
  'subscriber.complained',
  'subscriber.erased',
  'issue.sending',
  'issue.sent',
  'issue.paused',
  'issue.halted',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export type SubscriberEvent = Extract<WebhookEvent, `subscriber.${string}`>;
export type IssueEvent = Extract<WebhookEvent, `issue.${string}`>;

/** `json_object('type', …, 'timestamp', …, 'data', <data>)`: the body every event has. */
function body(type: WebhookEvent, now: number, data: SQL): SQL {
  return sql`json_object('type', ${type}, 'timestamp', ${new Date(now).toISOString()}, 'data', ${data})`;
}

function outbox(db: Db, type: WebhookEvent, now: number, subjectId: SQL, data: SQL, from: SQL, where: SQL, afterChange = true) {
  noteEmitted();
  const listening = sql`${webhookEndpoints.disabledAt} IS NULL AND instr(${webhookEndpoints.events}, ${`"${type}"`}) > 0`;
  return db
    .insert(webhookDeliveries)
    .select(
      sql`SELECT ${selectList(webhookDeliveries, {
        endpointId: webhookEndpoints.id,
        webhookId: sql`'msg_' || ${type} || '_' || ${subjectId} || '_' || ${now}`,
        type,
        payload: body(type, now, data),
        createdAt: now,
        nextAttemptAt: now,
      })} FROM ${webhookEndpoints} CROSS JOIN ${from} WHERE ${listening} AND ${afterChange ? sql`changes() > 0` : sql`1`} AND ${where}`,
    )
    .onConflictDoNothing();
}

/**
 * A subscriber event about the row `where` picks, after the statement that changed it.
 * `subscriber.erased` goes BEFORE the delete instead (it reads the row; the row still being there is
 * the proof that this batch erases it).
 */
export function subscriberEvent(db: Db, type: SubscriberEvent, where: SQL, now: number) {
  const data = type === 'subscriber.erased' ? sql`json_object('id', ${subscribers.id})` : sql`json_object('id', ${subscribers.id}, 'email', ${subscribers.email})`;
  return outbox(db, type, now, sql`${subscribers.id}`, data, sql`${subscribers}`, where, type !== 'subscriber.erased');
}

/**
 * An issue event about send `sendId`, after the statement that changed it; `where` adds a condition on
 * its new state. `afterChange: false` for a second event after the same statement: then `where` alone
 * must prove the change happened in this batch (a time it set to `now`).
 */
export function issueEvent(db: Db, type: IssueEvent, sendId: number, now: number, where: SQL = sql`1`, afterChange = true) {
  const data = sql`json_object('slug', ${sends.slug}, 'title', ${sends.title}, 'reason', ${sends.reason})`;
  return outbox(db, type, now, sql`${sends.id}`, data, sql`${sends}`, sql`${sends.id} = ${sendId} AND ${where}`, afterChange);
}

/** The condition of `issue.sent`: the send is sent, by a statement of this batch. */
export const sentNow = (now: number) => sql`${sends.status} = 'sent' AND ${sends.finishedAt} = ${now}`;
