// A reader's link generation (subscriber_generations): what preferences links carry, bumped by every
// move of the subscription and its undo, so links issued before stop working.
import { eq, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { subscriberGenerations, subscribers } from '../db/schema';

/** The generation of the reader whose id is `id` (a column or a value), 0 without a row. */
export function generationOf(id: SQLWrapper | number): SQL<number> {
  return sql<number>`coalesce((SELECT ${subscriberGenerations.generation} FROM ${subscriberGenerations} WHERE ${subscriberGenerations.subscriberId} = ${id}), 0)`;
}

/**
 * The statement that bumps reader `id`'s generation if `when` (a condition on that subscribers row)
 * holds. Batched before the statement it goes with, under the same condition, so both happen or neither.
 */
export function bumpGeneration(db: Db, id: number, when: SQL) {
  return db
    .insert(subscriberGenerations)
    .select(sql`SELECT ${subscribers.id}, 1 FROM ${subscribers} WHERE ${eq(subscribers.id, id)} AND ${when}`)
    .onConflictDoUpdate({ target: subscriberGenerations.subscriberId, set: { generation: sql`${subscriberGenerations.generation} + 1` } });
}
