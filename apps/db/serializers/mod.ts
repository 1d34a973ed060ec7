/**
 * The fixture formats, as Django's `django.core.serializers`: what `loaddata` and `dumpdata`
 * read and write.
 *
 * - Reading: `readFixture` streams a fixture record by record in constant memory (Django's
 *   `json`, an array, or `jsonl`, one object a line), naming the record, line and column of
 *   broken JSON and the offset of bytes that are not UTF-8.
 * - Loading: `FixtureLoader` checks each record against its model and sends the rows to the
 *   database as `COPY` text, in the caller's transaction, saving over rows with the same pk as
 *   Django does; `Progress` draws how far a long load has got.
 * - Dumping: `dumpModels` writes models' rows as Django's fixture objects, byte for byte, from
 *   binary `COPY` output, in one read-only snapshot.
 * - The models as fixtures name them (`app.modelname`, fields in snake_case), loaded from the
 *   registry.
 *
 * @example
 * ```ts ignore
 * import { dumpModels, loadModels } from "./mod.ts";
 *
 * const models = await loadModels(registry);
 * await dumpModels(db, models, { format: "jsonl" }, (bytes) => out.write(bytes));
 * ```
 *
 * @module
 */

export { dumpModels } from "./_dumper.ts";
export { knownApps, loadModels, selectModels } from "./_fixture_models.ts";
export {
  describeDatabaseError,
  FixtureDatabaseError,
  FixtureLoader,
  FixtureRecordError,
} from "./_loader.ts";
export { Progress } from "./_progress.ts";
export {
  type FixtureFormat,
  FixtureReadError,
  FixtureSyntaxError,
  readFixture,
} from "./_reader.ts";
