// What goes into a D1 batch (`db.batch([...])`: one round trip, atomic).
//
// A raw `sql` statement cannot be a batch item: Drizzle's D1 session binds each batch item through
// its prepared D1 statement, and `db.run(sql…)` / `db.all(sql…)` have none ("Cannot read properties
// of undefined (reading 'bind')", drizzle-orm#2277, still so in 0.45). `db.insert(table).select(sql…)`
// is a builder statement and batches fine, but the builder names every column of the table, so its
// select must give them all, in the table's order. `selectList` writes that list: the given values,
// and for every other column what SQL puts into a column left out (its default, else NULL).
//
// The builder has no INSERT OR IGNORE; its ON CONFLICT DO NOTHING skips the same rows (a primary or
// unique key already taken) and differs only on a NULL in a NOT NULL column, which OR IGNORE would
// skip quietly and DO NOTHING refuses loudly. After a bare `FROM x` the select needs a WHERE
// (`WHERE true` will do), or SQLite reads the ON of ON CONFLICT as a join constraint.
import { getTableColumns, is, SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';

/** Statements for one batch built up in a loop (`db.batch` takes a non-empty tuple). */
export type BatchStatements = [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];

/** The select list of an `INSERT … SELECT` through the builder: `db.insert(table).select(sql…)`. */
export function selectList<T extends SQLiteTable>(table: T, given: { [K in keyof T['$inferInsert']]?: unknown }): SQL {
  const values = given as Record<string, unknown>;
  const items = Object.entries(getTableColumns(table))
    // The builder leaves generated columns out of the insert, so the select does too.
    .filter(([, column]) => column.generated === undefined || column.generated.type === 'byDefault')
    .map(([key, column]) => {
      if (key in values) return sql`${values[key]}`;
      if (column.default === undefined) return sql`NULL`;
      return is(column.default, SQL) ? column.default : sql.param(column.default, column);
    });
  return sql.join(items, sql`, `);
}
