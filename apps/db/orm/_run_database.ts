/**
 * The run's database, as the ORM finds it: `MyModel.objects.all()` inside a command runs on the
 * command's database, as Django's default database, without `.using(ctx.db)`. The executor
 * enters the scope around `handle`; this module installs it when the ORM is loaded (which a
 * command's module does by importing its models), so that the framework's start-up needs no
 * `node:` module.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { installRunDatabaseScope, type Queryable } from "../../../core/database.ts";

const current = new AsyncLocalStorage<Queryable>();

installRunDatabaseScope((db, fn) => current.run(db, fn));

/**
 * The database of the command running in this async context; outside a run, an error naming
 * the fix (`model` and `method` make the call it shows: `Note.objects.using(db).all()`).
 */
export function runDatabase(model: string, method: string): Queryable {
  const db = current.getStore();
  if (db) return db;
  throw new Error(
    `${model}.objects.${method}() has no database: no command is running. Inside a command, ` +
      `call it from handle(); elsewhere, give it one: ${model}.objects.using(db).${method}()`,
  );
}
