// Raw SQL (`runSQL`): opaque to the state, a barrier to the optimizer, irreversible without its
// reverse.

import { type Handler, isString, shape } from "./_handler.ts";

/** Raw SQL, with the SQL that undoes it when it can be undone. */
export interface RunSQL {
  /** The kind of operation. */
  readonly kind: "sql";
  /** The SQL to apply (one or more statements). */
  readonly sql: string;
  /** The SQL that undoes it; without it the migration cannot be unapplied. */
  readonly reverse?: string;
}

/** A raw SQL operation, with the SQL that undoes it. */
export function runSQL(sql: string, reverse?: string): RunSQL {
  return { kind: "sql", sql, reverse };
}

/** Raw SQL's handler. */
export const runSQLHandler: Handler<RunSQL> = {
  kind: "sql",
  check: shape({ sql: isString, reverse: (v) => v === undefined || isString(v) }),
  describe: () => "Raw SQL operation",
  state: () => {},
  sql: (op, backwards) => {
    const sql = backwards ? op.reverse : op.sql;
    return sql === undefined ? undefined : [sql];
  },
  reversible: (op) => op.reverse !== undefined,
  nameFragment: () => "",
  source: (op) => ["runSQL", op.reverse === undefined ? [op.sql] : [op.sql, op.reverse]],
  fields: () => [],
  reduce: () => false,
};
