// Where a command may run, as the job queue sees it, on both drivers: `manage enqueue` (through
// cli.ts) and enqueueCommand refuse a command that may not run in the background and words that
// choose where or how the program runs; a worker given such a job anyway fails it at once with
// the reason; a schedule naming such a command is a system check error.

import assert from "node:assert/strict";
import { join } from "node:path";
import { forEachDatabase } from "../../../_database.ts";
import { type RunCliOptions, sampleProject } from "../../../_helpers.ts";
import { defineCommand } from "../../../../core/command.ts";
import {
  defineSchedule,
  enqueueCommand,
  getJob,
  insertJob,
  listJobs,
  newJob,
  runWorker,
} from "../../../../apps/jobs/queue/mod.ts";
import { createQueueTables } from "../../../../apps/jobs/queue/_tables.ts";
import { registry } from "../../../fixtures/registry.ts";
import jobChecks from "../../../../apps/jobs/checks.ts";
import { Runs, testCommands, testRegistry } from "../_jobs.ts";

// The commands run in one project copy for the file: without myapp, with the fixture app sample
// (greet_user, check_database), as the in-process runs find them in the fixture registry.
const project = await sampleProject();
globalThis.addEventListener("unload", () => Deno.removeSync(project.root, { recursive: true }));
const runCli = (args: string[], options: Omit<RunCliOptions, "root"> = {}) =>
  project.run(args, options);

Deno.test("manage enqueue refuses dbshell and a job's --database: exit 2, one line, no job", async (t) => {
  await forEachDatabase(t, async (database) => {
    const migrated = await runCli(["migrate", "--database", database.url, "-v", "0"]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const enqueue = (...words: string[]) =>
      runCli(["enqueue", "--database", database.url, ...words]);
    const shell = await enqueue("dbshell", "-c", "SELECT 1");
    assert.equal(shell.code, 2);
    assert.equal(
      shell.stderr,
      "CommandError: The dbshell command may not run in the background: it runs only from the " +
        "command line\n",
    );
    const elsewhere = await enqueue("check_database", "--database=postgres://app:pw0@h/x");
    assert.equal(elsewhere.code, 2);
    assert.equal(
      elsewhere.stderr,
      "CommandError: check_database: a job's words may not give --database: a job runs on the " +
        "database of the process that runs it\n",
    );
    const token = await enqueue("createapitoken", "nobody");
    assert.equal(token.code, 2);
    assert.match(
      token.stderr,
      /^CommandError: The createapitoken command may not run in the background: it runs only from the command line and from the web console\n$/,
    );
    const db = await database.open();
    try {
      assert.deepEqual(await listJobs(db), [], "nothing was stored");
    } finally {
      await db.close();
    }
  });
});

/** The test commands, with one that runs the system checks and one for the command line only. */
function commands(runs: Runs) {
  return testRegistry({
    ...testCommands(runs),
    checked: defineCommand({
      help: "Runs the system checks first, and uses the database",
      requiresSystemChecks: true,
      requiresDatabase: true,
      handle() {},
    }),
    local: defineCommand({
      help: "Only from the command line",
      runFrom: ["cli"],
      handle() {
        runs.log.push({ command: "local", args: [], at: performance.now() });
      },
    }),
  });
}

Deno.test("enqueueCommand refuses --database and --skip-checks in a job's words, and cli-only commands", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    try {
      await createQueueTables(db);
      const reg = commands(new Runs());
      await assert.rejects(
        enqueueCommand("checked", ["--database", "pglite:memory"], { registry: reg, db }),
        /^UsageError: checked: a job's words may not give --database: a job runs on the database of the process that runs it$/,
      );
      await assert.rejects(
        enqueueCommand("checked", ["--skip-checks"], { registry: reg, db }),
        /^UsageError: checked: a job's words may not give --skip-checks: a job runs its system checks$/,
      );
      await assert.rejects(
        enqueueCommand("local", [], { registry: reg, db }),
        /The local command may not run in the background: it runs only from the command line$/,
      );
      await enqueueCommand("checked", ["-v", "0"], { registry: reg, db });
      assert.equal((await listJobs(db)).length, 1, "only the last one was stored");
    } finally {
      await db.close();
    }
  });
});

Deno.test("a worker fails a stored job whose command may not run in the background: once, with the reason", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    const dir = await Deno.makeTempDir({ prefix: "manage_worker_" });
    try {
      await createQueueTables(db);
      const file = join(dir, "owned");
      const shell = await insertJob(db, newJob("dbshell", ["-c", `\\! id > ${file}`]));
      const runs = new Runs();
      const reg = commands(runs);
      await runWorker({ db, registry, burst: true, schedules: false, pollInterval: 50 });
      const local = await insertJob(db, newJob("local", []));
      await runWorker({ db, registry: reg, burst: true, schedules: false, pollInterval: 50 });
      for (const [{ id }, name] of [[shell, "dbshell"], [local, "local"]] as const) {
        const job = await getJob(db, id);
        assert.equal(job?.status, "failed", name);
        assert.equal(job?.attempts, 1, `${name} is not retried`);
        assert.equal(job?.exitCode, 2);
        assert.equal(
          job?.error,
          `CommandError: The ${name} command may not run in the background: it runs only from ` +
            "the command line",
        );
      }
      assert.equal(runs.of("local").length, 0, "its handle never ran");
      assert.equal(await Deno.stat(file).then(() => true, () => false), false);
    } finally {
      await db.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("a schedule naming a command that may not run in the background fails manage check", async () => {
  const reg = commands(new Runs());
  const withSchedule = {
    ...reg,
    schedules: [{
      app: "test",
      module: "tests/schedules.ts",
      load: () =>
        Promise.resolve({
          default: [defineSchedule({ name: "test.local", command: "local", every: "1h" })],
        }),
    }],
  };
  const messages = (await Promise.all(jobChecks.map((check) => check({ registry: withSchedule }))))
    .flat();
  assert.deepEqual(messages.map((m) => [m.id, m.msg]), [[
    "jobs.E003",
    "Schedule 'test.local' (every 1h): The local command may not run in the background: it runs " +
    "only from the command line",
  ]]);
});

Deno.test("manage worker -v 2 logs a job's words with the passwords of their URLs hidden", async (t) => {
  await forEachDatabase(t, async (database) => {
    const migrated = await runCli(["migrate", "--database", database.url, "-v", "0"]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const url = "postgres://app:sw0rd@fish9@db.example/app";
    const enqueued = await runCli(["enqueue", "--database", database.url, "greet_user", url]);
    assert.equal(enqueued.code, 0, enqueued.stderr);
    const worker = await runCli(["worker", "--burst", "-v", "2", "--database", database.url]);
    assert.equal(worker.code, 0, worker.stderr);
    assert.match(worker.stdout, /started: greet_user postgres:\/\/app:\*\*\*\*@db\.example\/app/);
    for (const text of [worker.stdout, worker.stderr, enqueued.stdout, enqueued.stderr]) {
      assert.ok(!text.includes("sw0rd") && !text.includes("fish9"), text);
    }
  });
});
