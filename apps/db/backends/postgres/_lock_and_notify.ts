// The server driver's session advisory locks and NOTIFY, in SQL on its one session (the embedded
// driver keeps advisory locks per process of its shared session instead).

import type { Database, Queryable } from "../../../../core/database.ts";

/** Session advisory locks and notifications over a driver's queries. */
export function sessionMethods(
  base: Queryable,
): Pick<Database, "tryAdvisoryLock" | "advisoryUnlock" | "notify"> {
  return {
    async tryAdvisoryLock(key) {
      const [row] = await base.sql<{ locked: boolean }>`
        SELECT pg_try_advisory_lock(${key}::bigint) AS locked`;
      return row.locked;
    },
    async advisoryUnlock(key) {
      await base.sql`SELECT pg_advisory_unlock(${key}::bigint)`;
    },
    async notify(channel, payload) {
      await base.sql`SELECT pg_notify(${channel}, ${payload})`;
    },
  };
}
