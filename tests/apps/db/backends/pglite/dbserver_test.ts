// The embedded database's background server: a command that opens the embedded database leaves
// it served by a detached process for a few idle minutes, so that the next command connects to
// it instead of starting PostgreSQL again. Real `manage` processes, real signals; committed rows
// are counted after the server is killed.

import assert from "node:assert/strict";
import { join } from "node:path";
import { pgliteTestDatabase, type TestDatabase } from "../../../../_database.ts";
import { type RunCliOptions, type RunResult, sampleProject } from "../../../../_helpers.ts";

// The commands run in one project copy for the file: without myapp, with the fixture app sample
// (whose greet_user is enqueued).
const project = await sampleProject();
globalThis.addEventListener("unload", () => Deno.removeSync(project.root, { recursive: true }));
const runCli = (args: string[], options: Omit<RunCliOptions, "root"> = {}) =>
  project.run(args, options);

/** The environment of a command that may leave the server in the background. */
function background(url: string, idleSeconds = 60): Record<string, string> {
  return {
    DATABASE_URL: url,
    MANAGE_DBSERVER: "on",
    MANAGE_DBSERVER_IDLE: String(idleSeconds),
  };
}

function ok(run: RunResult, what: string): RunResult {
  assert.equal(run.code, 0, `${what}: ${run.stderr}`);
  return run;
}

/** The pid `dbserver status` names as serving in the background, or undefined. */
async function serverPid(env: Record<string, string>): Promise<number | undefined> {
  const status = ok(await runCli(["dbserver", "status"], { env }), "dbserver status");
  const match = /served in the background by process (\d+)/.exec(status.stdout);
  return match ? Number(match[1]) : undefined;
}

function alive(pid: number): boolean {
  const { stdout } = new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] })
    .outputSync();
  const state = new TextDecoder().decode(stdout).trim();
  // A zombie has ended: only its parent has not collected it yet.
  return state !== "" && !state.startsWith("Z");
}

/** The holder the lock file of `url`'s directory names, read at once (no command started). */
async function lockFilePid(url: string): Promise<number | undefined> {
  const text = await Deno.readTextFile(`${url.slice("pglite:".length)}.lock`);
  return text.trim() === "" ? undefined : JSON.parse(text).pid;
}

async function until(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `fn` on a new embedded database, and stops any server left on it. */
async function withDatabase(fn: (db: TestDatabase) => Promise<void>): Promise<void> {
  const db = await pgliteTestDatabase();
  try {
    await fn(db);
  } finally {
    const pid = await serverPid(background(db.url)).catch(() => undefined);
    if (pid !== undefined) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    await db.drop();
  }
}

Deno.test("a second command connects to the server the first left in the background", async () => {
  await withDatabase(async (db) => {
    const env = background(db.url);
    ok(await runCli(["migrate"], { env }), "migrate");
    const pid = await serverPid(env);
    assert.ok(pid !== undefined, "a server runs in the background after the first command");
    assert.ok(alive(pid), "its process runs");
    ok(await runCli(["enqueue", "greet_user", "one"], { env }), "enqueue");
    assert.equal(await serverPid(env), pid, "the second command used the same server");
    const jobs = ok(
      await runCli(["dbshell", "-c", "SELECT count(*)::int AS n FROM manage_job"], { env }),
      "dbshell",
    );
    assert.match(jobs.stdout, /\b1\b/);
    assert.equal(await serverPid(env), pid);
  });
});

Deno.test("dbserver stop stops the background server, and the next command starts another", async () => {
  await withDatabase(async (db) => {
    const env = background(db.url);
    ok(await runCli(["migrate"], { env }), "migrate");
    const pid = await serverPid(env);
    assert.ok(pid !== undefined);
    const stop = ok(await runCli(["dbserver", "stop"], { env }), "dbserver stop");
    assert.match(stop.stdout, new RegExp(`Stopped .*process ${pid}`));
    assert.equal(alive(pid), false, "the process has ended when stop returns");
    const status = ok(await runCli(["dbserver", "status"], { env }), "status");
    assert.match(status.stdout, /no process serves it/);
    assert.match(
      ok(await runCli(["dbserver", "stop"], { env }), "stop again").stdout,
      /no process serves it/,
    );
    ok(await runCli(["showmigrations"], { env }), "showmigrations");
    const next = await serverPid(env);
    assert.ok(next !== undefined && next !== pid, "a new server");
  });
});

Deno.test("the background server stops by itself when it has been idle", async () => {
  await withDatabase(async (db) => {
    const env = background(db.url, 1);
    ok(await runCli(["migrate"], { env }), "migrate");
    const pid = await lockFilePid(db.url);
    assert.ok(pid !== undefined, "the server holds the database after the command");
    await until("the idle server has stopped", () => !alive(pid));
    assert.equal(await serverPid(env), undefined);
    assert.equal(await lockFilePid(db.url), undefined, "it released the database");
  });
});

Deno.test("SIGKILL of the background server loses no committed row", async () => {
  await withDatabase(async (db) => {
    const env = background(db.url);
    ok(await runCli(["migrate"], { env }), "migrate");
    for (let i = 0; i < 5; i++) {
      ok(await runCli(["enqueue", "greet_user", `n${i}`], { env }), "enqueue");
    }
    const pid = await serverPid(env);
    assert.ok(pid !== undefined);
    Deno.kill(pid, "SIGKILL");
    await until("the killed server has gone", () => !alive(pid));
    const count = ok(
      await runCli(["dbshell", "-c", "SELECT count(*)::int AS n FROM manage_job"], { env }),
      "count after the kill",
    );
    assert.match(count.stdout, /\b5\b/);
    const next = await serverPid(env);
    assert.ok(next !== undefined && next !== pid, "the next command started a new server");
  });
});

Deno.test("the background server keeps the data directory and its socket owner-only", async () => {
  await withDatabase(async (db) => {
    const dir = db.url.slice("pglite:".length);
    await Deno.remove(dir, { recursive: true });
    const env = background(db.url);
    const made = ok(await runCli(["migrate"], { env }), "migrate");
    assert.match(made.stderr, /Created the embedded database/);
    assert.ok(await serverPid(env) !== undefined);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${dir}.run`)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${dir}.lock`)).mode! & 0o777, 0o600);
    assert.ok((await Deno.lstat(join(`${dir}.run`, "socket"))).isSocket);
    assert.equal((await Deno.stat(join(dir, "PG_VERSION"))).mode! & 0o777, 0o600);
  });
});

Deno.test("MANAGE_DBSERVER=off: the command opens the database itself and leaves nothing", async () => {
  await withDatabase(async (db) => {
    const env = { ...background(db.url), MANAGE_DBSERVER: "off" };
    ok(await runCli(["migrate"], { env }), "migrate");
    assert.equal(await serverPid(env), undefined);
  });
});
