// D1 helpers for tests: seed many subscribers in one statement, and count round trips.

/** Inserts `count` confirmed subscribers `prefix-<i>@example.com`, confirmed at `confirmedAt`. Returns their ids. */
export async function seedConfirmed(db: D1Database, prefix: string, count: number, confirmedAt = Date.now() - 60_000): Promise<number[]> {
  const emails = Array.from({ length: count }, (_, i) => `${prefix}-${i}@example.com`);
  for (let i = 0; i < emails.length; i += 5000) {
    await db
      .prepare(
        `INSERT INTO subscribers (email, status, created_at, confirmed_at) SELECT value, 'confirmed', ?2, ?2 FROM json_each(?1)`,
      )
      .bind(JSON.stringify(emails.slice(i, i + 5000)), confirmedAt)
      .run();
  }
  const { results } = await db
    .prepare(`SELECT id FROM subscribers WHERE email IN (SELECT value FROM json_each(?1)) ORDER BY id`)
    .bind(JSON.stringify(emails))
    .all<{ id: number }>();
  return results.map((r) => r.id);
}

/**
 * A D1Database that counts round trips: each `batch()` and each `first/run/all/raw` on a statement
 * is one trip to the database. Statements handed to `batch()` are unwrapped to the real ones.
 * Drizzle over it (`getDb(counted.db)`) goes through exactly these calls: its D1 session runs
 * `prepare().bind()` then `run/all/raw`, and a `db.batch([...])` is one `batch()`.
 */
export function countingD1(db: D1Database): { db: D1Database; trips: () => number } {
  let trips = 0;
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args));
        if (prop === 'first' || prop === 'run' || prop === 'all' || prop === 'raw') {
          return (...args: unknown[]) => {
            trips++;
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    real.set(proxy, statement);
    return proxy;
  };
  const counted = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql));
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          trips++;
          return target.batch(statements.map((s) => real.get(s) ?? s));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: counted, trips: () => trips };
}

/**
 * A D1Database that sums the rows every statement wrote, as D1 itself reports them (`meta.rows_written`,
 * what D1 bills): every `run`/`all` and every statement of a `batch()`. `raw()` and `first()` answer
 * without meta, so here they run as `all()` and their rows are turned into what they would have
 * returned (columns in select order; Drizzle reads by position).
 */
export function meteredD1(db: D1Database): { db: D1Database; rowsWritten: () => number; statements: () => number } {
  let rowsWritten = 0;
  let statements = 0;
  const count = (result: D1Result | undefined) => {
    statements++;
    rowsWritten += result?.meta?.rows_written ?? 0;
  };
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args));
        if (prop === 'run' || prop === 'all') {
          return async () => {
            const result = await target.all();
            count(result);
            return result;
          };
        }
        if (prop === 'raw') {
          return async (options?: { columnNames?: boolean }) => {
            const result = await target.all<Record<string, unknown>>();
            count(result);
            const rows = result.results.map((r) => Object.values(r));
            return options?.columnNames ? [Object.keys(result.results[0] ?? {}), ...rows] : rows;
          };
        }
        if (prop === 'first') {
          return async (column?: string) => {
            const result = await target.all<Record<string, unknown>>();
            count(result);
            const row = result.results[0] ?? null;
            return column && row ? row[column] : row;
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    real.set(proxy, statement);
    return proxy;
  };
  const metered = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql));
      if (prop === 'batch') {
        return async (list: D1PreparedStatement[]) => {
          const results = await target.batch(list.map((s) => real.get(s) ?? s));
          for (const r of results) count(r);
          return results;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: metered, rowsWritten: () => rowsWritten, statements: () => statements };
}
