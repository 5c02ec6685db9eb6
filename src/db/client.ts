// The Drizzle client over D1, one per request or event. Made without the schema: the code uses the
// query builder only (never `db.query`), and with a schema every client would first build Drizzle's
// relational map of all tables, which a CPU profile of a send showed costing more than any query.
import { drizzle } from 'drizzle-orm/d1';

export function getDb(d1: D1Database) {
  return drizzle(d1);
}

export type Db = ReturnType<typeof getDb>;
