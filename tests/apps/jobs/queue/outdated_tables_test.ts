// A worker started on the queue's tables as an older version left them (the jobs app's latest
// migration not applied, as after an upgrade before `manage migrate`) refuses to start, naming
// the migration and the fix, instead of failing on the first statement with a new column.

import assert from "node:assert/strict";
import { callCommand, captureOutput, CommandError } from "../../../../mod.ts";
import { main } from "../../../../core/main.ts";
import { registry } from "../../../../commands/_registry.ts";
import { forEachDatabase } from "../../../_database.ts";

const jobsMigrations = (registry.migrations ?? []).filter((entry) => entry.app === "jobs");

Deno.test("a worker on the queue's tables one migration behind refuses to start, naming it", async (t) => {
  assert.ok(jobsMigrations.length >= 2, "the jobs app has more than one migration");
  const [first] = jobsMigrations;
  const rest = jobsMigrations.slice(1).map((entry) => `jobs.${entry.name}`);
  await forEachDatabase(t, async (testDb) => {
    const run = { registry, stdout: captureOutput(), stderr: captureOutput() };
    await callCommand("migrate", ["jobs", first.name, "--database", testDb.url], run);

    const error = await callCommand("worker", ["--burst", "--database", testDb.url], run)
      .then(() => undefined, (error: unknown) => error);
    assert.ok(error instanceof CommandError, String(error));
    assert.equal(
      error.message,
      `The job queue's tables are older than this worker: ${rest.join(", ")} ` +
        `${rest.length === 1 ? "is" : "are"} not applied. Run 'manage migrate', then start the ` +
        "worker again",
    );
    // Through the command line: exit 1, that one line, no stack trace.
    const stderr = captureOutput();
    const code = await main(["worker", "--burst", "--database", testDb.url], {
      registry,
      stdout: captureOutput(),
      stderr,
      env: {},
    });
    assert.equal(code, 1);
    assert.equal(stderr.text, `CommandError: ${error.message}\n`);

    await callCommand("migrate", ["--database", testDb.url], run);
    await callCommand("worker", ["--burst", "--database", testDb.url], run);
  });
});
