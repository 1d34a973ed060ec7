/**
 * The run's database, as the ORM finds it: `MyModel.objects.all()` inside a command runs on the
 * command's database, as Django's default database, without `.using(ctx.db)`. The executor
 * enters the run's database around `handle` (core/database.ts); a model's manager asks for the
 * async context that keeps overlapping runs apart when it is made, so a command that defines or
 * imports no model starts without it.
 *
 * @module
 */

import { currentRunDatabase, type Queryable } from "../../../core/database.ts";

export { useRunDatabaseScope } from "../../../core/database.ts";

/**
 * The database of the command running in this async context; outside a run, an error naming
 * the fix (`model` and `method` make the call it shows: `Note.objects.using(db).all()`).
 */
export function runDatabase(model: string, method: string): Queryable {
  const db = currentRunDatabase();
  if (db) return db;
  throw new Error(
    `${model}.objects.${method}() has no database: no command is running. Inside a command, ` +
      `call it from handle(); elsewhere, give it one: ${model}.objects.using(db).${method}()`,
  );
}
