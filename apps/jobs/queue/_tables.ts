// The queue's tables, made straight from the jobs app's migrations: for benchmarks and tests that
// need a queue in a fresh database without running `manage migrate`. `mod.ts` does not re-export
// it: the queue it offers (and the public mod.ts) must not need the app's migrations, which a
// project may leave out; the benchmarks and tests import it from here.

import type { Queryable } from "../../../core/database.ts";
import type { RunSQL } from "../../db/migrator/mod.ts";
import initial from "../migrations/0001_initial.ts";
import operatorView from "../migrations/0002_operator_view.ts";
import jobStats from "../migrations/0003_job_stats.ts";

/** Creates the job queue's tables in `db`, as the jobs app's migrations do. */
export async function createQueueTables(db: Queryable): Promise<void> {
  for (const migration of [initial, operatorView, jobStats]) {
    for (const operation of migration.operations) await db.exec((operation as RunSQL).sql);
  }
}
