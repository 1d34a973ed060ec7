// Which failures a job runs again: a CommandError is final unless raised with { retry: true };
// an unexpected error is retried; a command's `retry` policy ("never", "always", a function)
// decides otherwise; --max-attempts still bounds every retry. Each job's attempts are counted
// (the runs of its command and the attempts recorded), and why a job was not retried is on its
// record, in `manage jobs show` and on its page in the console; on each driver.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../../_database.ts";
import { enqueueCommand, getJob, runWorker } from "../../../../apps/jobs/queue/mod.ts";
import { createQueueTables } from "../../../../apps/jobs/queue/_tables.ts";
import { jobPage } from "../../../../apps/web/pages.ts";
import { defineCommand } from "../../../../core/command.ts";
import { CommandError } from "../../../../core/errors.ts";
import { captureOutput } from "../../../../core/output.ts";
import { callCommand } from "../../../../core/call_command.ts";
import { registry as projectRegistry } from "../../../../commands/_registry.ts";
import { retryVerdict } from "../../../../core/retry.ts";
import { fast, Runs, testRegistry } from "../_jobs.ts";

function commands(runs: Runs) {
  const record = (command: string, key: string) =>
    runs.log.push({ command, args: [key], at: performance.now() });
  const key = { key: {} } as const;
  return {
    missing_file: defineCommand({
      help: "Fails as a command whose input is missing",
      arguments: key,
      handle({ options }) {
        record("missing_file", options.key);
        throw new CommandError(`File not found: ${options.key}.json`);
      },
    }),
    busy: defineCommand({
      help: "Fails, worth retrying, until its third run",
      arguments: key,
      handle({ options }) {
        record("busy", options.key);
        if (runs.of("busy", options.key).length < 3) {
          throw new CommandError("the service is busy", { retry: true });
        }
      },
    }),
    crash: defineCommand({
      help: "Fails with an unexpected error",
      arguments: key,
      handle({ options }) {
        record("crash", options.key);
        throw new Error("connection reset");
      },
    }),
    never: defineCommand({
      help: "Retries nothing",
      arguments: key,
      retry: "never",
      handle({ options }) {
        record("never", options.key);
        throw new Error("connection reset");
      },
    }),
    always: defineCommand({
      help: "Retries every failure",
      arguments: key,
      retry: "always",
      handle({ options }) {
        record("always", options.key);
        throw new CommandError("File not found: always.json");
      },
    }),
    upstream: defineCommand({
      help: "Retries timeouts of its upstream only",
      arguments: key,
      retry: (error) => error instanceof Error && error.message.includes("timed out"),
      handle({ options }) {
        record("upstream", options.key);
        throw new CommandError(options.key === "slow" ? "upstream timed out" : "bad input");
      },
    }),
  };
}

Deno.test("retries: CommandError is final unless it says so, commands' policies, --max-attempts, on each driver", async (t) => {
  await forEachDatabase(t, async (database) => {
    const db = await database.open();
    try {
      await createQueueTables(db);
      const runs = new Runs();
      const registry = testRegistry(commands(runs));
      const enqueue = (command: string, key: string, maxAttempts = 3) =>
        enqueueCommand(command, [key], { registry, db, maxAttempts });
      const ids = {
        missing: await enqueue("missing_file", "m"),
        busy: await enqueue("busy", "b"),
        busyShort: await enqueue("busy", "short", 2),
        crash: await enqueue("crash", "c"),
        never: await enqueue("never", "n"),
        always: await enqueue("always", "a", 2),
        slow: await enqueue("upstream", "slow", 2),
        bad: await enqueue("upstream", "bad"),
      };
      await runWorker(fast({ db, registry, burst: true, retryDelay: 20 }));
      const expected: Record<keyof typeof ids, [string, number, string | null]> = {
        missing: [
          "failed",
          1,
          "a CommandError is final (raise it with { retry: true } for one worth retrying)",
        ],
        busy: ["succeeded", 3, null],
        busyShort: ["failed", 2, "no attempts left (2 of 2)"],
        crash: ["failed", 3, "no attempts left (3 of 3)"],
        never: ["failed", 1, "the command's retry policy is 'never'"],
        always: ["failed", 2, "no attempts left (2 of 2)"],
        slow: ["failed", 2, "no attempts left (2 of 2)"],
        bad: ["failed", 1, "the command's retry policy says this failure is final"],
      };
      const runsOf: Record<keyof typeof ids, number> = {
        missing: runs.of("missing_file").length,
        busy: runs.of("busy", "b").length,
        busyShort: runs.of("busy", "short").length,
        crash: runs.of("crash").length,
        never: runs.of("never").length,
        always: runs.of("always").length,
        slow: runs.of("upstream", "slow").length,
        bad: runs.of("upstream", "bad").length,
      };
      for (const [name, id] of Object.entries(ids) as [keyof typeof ids, number][]) {
        const job = await getJob(db, id);
        assert.deepEqual(
          [job?.status, job?.attempts, job?.notRetried],
          expected[name],
          `${name}: ${job?.error}`,
        );
        assert.equal(runsOf[name], expected[name][1], `${name}: the command's runs`);
      }
      const missing = (await getJob(db, ids.missing))!;
      assert.equal(missing.error, "CommandError: File not found: m.json");
      // `manage jobs show` and the job's page say why.
      const stdout = captureOutput();
      await callCommand("jobs", ["show", String(ids.missing), "--database", database.url], {
        registry: projectRegistry,
        stdout,
        stderr: captureOutput(),
      });
      assert.match(stdout.text, /\n {2}Error: {6}CommandError: File not found: m\.json\n/);
      assert.match(stdout.text, /\n {2}Not retried: a CommandError is final \(raise it with/);
      const page = jobPage({ nonce: "n", csrf: "c" }, missing).text;
      assert.match(
        page,
        /<dt>Not retried<\/dt>\s*<dd id="job-not-retried">a CommandError is final/,
      );
      const succeeded = jobPage({ nonce: "n", csrf: "c" }, (await getJob(db, ids.busy))!).text;
      assert.doesNotMatch(succeeded, /Not retried/);
    } finally {
      await db.close();
    }
  });
});

Deno.test("retryVerdict: an explicit { retry } on a CommandError wins over the command's policy", () => {
  assert.equal(retryVerdict(new CommandError("x", { retry: true }), "never").retry, true);
  assert.equal(retryVerdict(new CommandError("x", { retry: false }), "always").retry, false);
  assert.equal(
    retryVerdict(new Error("x"), () => {
      throw new Error("a policy that fails");
    }).retry,
    false,
  );
});
