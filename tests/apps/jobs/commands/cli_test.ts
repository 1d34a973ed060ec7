// enqueue, worker and jobs through the real cli.ts, in a project copy with an app of its own,
// on both drivers: messages and exit codes, JSON output, a worker process drained by SIGTERM,
// and schedules checked by `manage check`.

import assert from "node:assert/strict";
import { forEachDatabase } from "../../../_database.ts";
import { CLI_PERMISSIONS, copyProject, type Project } from "../../../_helpers.ts";

const FILES: Record<string, string> = {
  "apps/shop/commands/restock.ts": `import { defineCommand, CommandError } from "../../../mod.ts";

export default defineCommand({
  help: "Restocks a product",
  arguments: { product: {}, count: { type: "integer" } },
  options: { sleep: { type: "integer", default: 0 }, fail: { type: "boolean" } },
  async handle({ options, stdout, style, signal }) {
    stdout.write(style.SUCCESS(\`restocking \${options.product}\`));
    if (options.sleep) {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, options.sleep);
        signal.addEventListener("abort", () => { clearTimeout(timer); reject(new CommandError("aborted")); });
      });
    }
    if (options.fail) throw new CommandError(\`no \${options.product} left to restock\`);
    stdout.write(\`restocked \${options.count} \${options.product}\`);
  },
});
`,
  "apps/shop/schedules.ts": `import { defineSchedule } from "../../mod.ts";

export default [
  defineSchedule({ name: "shop.nightly", command: "restock", args: ["tea", "5"], cron: "0 3 * * *" }),
];
`,
};

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

Deno.test("enqueue, worker --burst and jobs through cli.ts", async (t) => {
  await using project = await copyProject(FILES, { without: ["apps/myapp"] });
  await forEachDatabase(t, async (database) => {
    const env = { DATABASE_URL: database.url };
    const run = (args: string[]) => project.run(args, { env });

    const unmigrated = await run(["enqueue", "restock", "tea", "1"]);
    assert.equal(unmigrated.code, 1);
    assert.equal(
      unmigrated.stderr,
      "CommandError: The job queue's tables are missing: run 'manage migrate' to create them\n",
    );
    assert.equal((await run(["migrate", "-v", "0"])).code, 0);

    const bad = await run(["enqueue", "restock", "tea", "lots"]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "CommandError: restock: argument count: invalid int value: 'lots' (see 'manage help restock')\n",
    );
    const late = await run(["enqueue", "restock", "tea", "1", "--delay", "1m"]);
    assert.equal(late.code, 2);
    assert.match(
      late.stderr,
      /^CommandError: restock: unrecognized arguments: --delay 1m .*; enqueue's own options, such as --delay, go before the command's name\n$/,
    );
    const unknown = await run(["enqueue", "restok", "tea"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown command: 'restok'. Did you mean restock\?/);
    const both = await run(["enqueue", "--at", "2030-01-01T00:00:00Z", "--delay", "1m", "restock"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /argument --delay: not allowed with argument --at/);

    const ok = await run(["enqueue", "restock", "tea", "3"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Enqueued job (\d+): restock \(queue default\)\n$/);
    const okId = Number(/job (\d+)/.exec(ok.stdout)![1]);
    const failing = json<{ id: number; created: boolean }>(
      (await run([
        "enqueue",
        "--max-attempts",
        "1",
        "--format",
        "json",
        "restock",
        "jam",
        "1",
        "--fail",
      ]))
        .stdout,
    );
    assert.equal(failing.created, true);
    const later = json<{ id: number }>(
      (await run(["enqueue", "--delay", "1h", "--format", "json", "restock", "later", "1"])).stdout,
    );
    const keyed = await run(["enqueue", "--unique-key", "k", "--delay", "1h", "restock", "a", "1"]);
    const again = await run(["enqueue", "--unique-key", "k", "restock", "b", "1"]);
    assert.match(again.stdout, /^Job \d+ with unique key 'k' is already waiting or running\n$/);
    assert.equal(/\d+/.exec(keyed.stdout)![0], /\d+/.exec(again.stdout)![0]);

    const worker = await run(["worker", "--burst"]);
    assert.equal(worker.code, 0, worker.stderr);
    assert.match(worker.stdout, /^Worker \S+ started: queues default, concurrency 10, database /);
    assert.match(
      worker.stdout,
      /Job \d+ restock failed in \d+ ms: CommandError: no jam left to restock; not retried: a CommandError is final \(raise it with \{ retry: true \} for one worth retrying\)\n/,
    );
    assert.match(worker.stdout, /stopped: 1 succeeded, 1 failed, 0 retried, 0 cancelled\n$/);

    const list = json<{ id: number; status: string; command: string; args: string[] }[]>(
      (await run(["jobs", "list", "--format", "json"])).stdout,
    );
    assert.deepEqual(
      list.map((job) => [job.id, job.status]),
      [[Number(/\d+/.exec(keyed.stdout)![0]), "queued"], [later.id, "queued"], [
        failing.id,
        "failed",
      ], [okId, "succeeded"]],
    );
    const failed = await run(["jobs", "list", "--status", "failed"]);
    assert.match(failed.stdout, /^ID +STATUS +QUEUE +TRIES +TIME \(UTC\) +COMMAND\n/);
    assert.match(
      failed.stdout,
      new RegExp(`\\n${failing.id} +failed +default +1/1 .* restock jam 1 --fail\\n$`),
    );

    const show = await run(["jobs", "show", String(okId)]);
    assert.equal(show.code, 0);
    assert.match(show.stdout, /^Job \d+ {2}restock tea 3\n {2}Status: +succeeded\n/);
    assert.match(show.stdout, /\nstdout:\nrestocking tea\nrestocked 3 tea\n$/, "no colour codes");
    const shown = json<{ stdout: string; exitCode: number }>(
      (await run(["jobs", "show", String(okId), "--format", "json"])).stdout,
    );
    assert.equal(shown.exitCode, 0);
    // Output keeps its styles (for the web console, and `jobs show` on a terminal).
    assert.equal(shown.stdout, "\x1b[32;1mrestocking tea\x1b[0m\nrestocked 3 tea\n");

    const missing = await run(["jobs", "show", "9999"]);
    assert.deepEqual([missing.code, missing.stderr], [
      1,
      "CommandError: Job 9999 does not exist\n",
    ]);
    const ended = await run(["jobs", "cancel", String(okId)]);
    assert.deepEqual(
      [ended.code, ended.stderr],
      [1, `CommandError: Job ${okId} has already ended: nothing to cancel\n`],
    );
    const cancel = await run(["jobs", "cancel", String(later.id), "--format", "json"]);
    assert.deepEqual(json(cancel.stdout), { id: later.id, status: "cancelled" });
    const retry = await run(["jobs", "retry", String(failing.id)]);
    assert.equal(retry.stdout, `Job ${failing.id} queued to run again\n`);
    const pruned = await run(["jobs", "prune", "--older-than", "0s", "--format", "json"]);
    assert.deepEqual(json(pruned.stdout), { pruned: 2 }, "the succeeded and the cancelled job");
    const badId = await run(["jobs", "show", "x"]);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /manage jobs show: error: argument id: invalid int value: 'x'\n$/);
  }, { root: project.root });
});

/** Starts `manage worker` in `project`, returning the process and its output so far. */
function startWorker(project: Project, env: Record<string, string>, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...CLI_PERMISSIONS, "cli.ts", "worker", ...args],
    cwd: project.root,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  const reading = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (stdout += chunk) }),
  );
  const stderr = new Response(child.stderr).text();
  return {
    child,
    output: () => stdout,
    async waitFor(pattern: RegExp, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(stdout)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async end() {
      const status = await child.status;
      await reading;
      return { code: status.code, signal: status.signal, stdout, stderr: await stderr };
    },
  };
}

Deno.test("SIGTERM drains a worker process: running jobs finish, the rest go back", async (t) => {
  await using project = await copyProject(FILES, { without: ["apps/myapp"] });
  await forEachDatabase(t, async (database) => {
    const env = { DATABASE_URL: database.url };
    assert.equal((await project.run(["migrate", "-v", "0"], { env })).code, 0);
    for (let i = 0; i < 4; i++) {
      const r = await project.run(["enqueue", "restock", `p${i}`, "1", "--sleep", "800"], { env });
      assert.equal(r.code, 0, r.stderr);
    }
    const worker = startWorker(project, env, ["-c", "2", "--prefetch", "2", "-v", "2"]);
    await worker.waitFor(/Job \d+ started: .*\n.*Job \d+ started/);
    worker.child.kill("SIGTERM");
    const ended = await worker.end();
    assert.equal(ended.code, 143, ended.stderr);
    assert.match(ended.stdout, /Waiting up to 30s for 2 running job\(s\)/);
    assert.match(
      ended.stdout,
      /stopped: 2 succeeded, 0 failed, 0 retried, 0 cancelled, 2 given back\n$/,
    );
    const list = JSON.parse(
      (await project.run(["jobs", "list", "--format", "json"], { env })).stdout,
    ) as { status: string; attempts: number }[];
    assert.deepEqual(list.map((j) => j.status).sort(), [
      "queued",
      "queued",
      "succeeded",
      "succeeded",
    ]);
    assert.ok(list.filter((j) => j.status === "queued").every((j) => j.attempts === 0));
  }, { root: project.root });
});

Deno.test("manage check reports a schedule whose command would refuse its arguments", async () => {
  const files = {
    ...FILES,
    "apps/shop/schedules.ts": `import { defineSchedule } from "../../mod.ts";

export default [
  defineSchedule({ name: "shop.nightly", command: "restock", args: ["tea"], cron: "0 3 * * *" }),
  defineSchedule({ name: "shop.nightly", command: "restok", every: "1h" }),
];
`,
  };
  await using project = await copyProject(files, { without: ["apps/myapp"] });
  const result = await project.run(["check"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /shop\.nightly: \(jobs\.E003\) Schedule 'shop\.nightly' \(cron 0 3 \* \* \*\): restock: the following arguments are required: count/,
  );
  assert.match(result.stderr, /\(jobs\.E002\) Two schedules are named 'shop\.nightly'\./);
  assert.match(result.stderr, /Schedule 'shop\.nightly' \(every 1h\): Unknown command: 'restok'/);
});

Deno.test("on the embedded database, a worker in one process runs what another enqueues", async () => {
  await using project = await copyProject(FILES, { without: ["apps/myapp"] });
  const env = { DATABASE_URL: "pglite:.manage/db" };
  assert.equal((await project.run(["migrate", "-v", "0"], { env })).code, 0);
  const worker = startWorker(project, env, ["-v", "2", "--skip-schedules"]);
  try {
    await worker.waitFor(/started: queues default/);
    const enqueued = await project.run(["enqueue", "restock", "tea", "2"], { env });
    assert.equal(enqueued.code, 0, enqueued.stderr);
    const id = /job (\d+)/.exec(enqueued.stdout)![1];
    await worker.waitFor(new RegExp(`Job ${id} restock succeeded`));
    const shown = await project.run(["jobs", "show", id, "--format", "json"], { env });
    assert.equal(shown.code, 0, shown.stderr);
    const job = JSON.parse(shown.stdout) as { status: string; stdout: string };
    assert.equal(job.status, "succeeded");
    assert.match(job.stdout, /restocked 2 tea/);
  } finally {
    worker.child.kill("SIGINT");
    const ended = await worker.end();
    assert.equal(ended.code, 130, ended.stderr);
  }
});
