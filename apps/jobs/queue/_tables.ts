// The queue's tables, made straight from the jobs app's migration: for benchmarks and tests that
// need a queue in a fresh database without running `manage migrate`. `mod.ts` does not re-export
// it: the queue it offers (and the public mod.ts) must not need the app's migrations, which a
// project may leave out; the benchmarks and tests import it from here.

import type { Queryable } from "../../../core/database.ts";
import type { RunSQL } from "../../db/migrator/mod.ts";
import migration from "../migrations/0001_initial.ts";

/** Creates the job queue's tables in `db`, as the jobs app's migration does. */
export async function createQueueTables(db: Queryable): Promise<void> {
  for (const operation of migration.operations) await db.exec((operation as RunSQL).sql);
}
