// The process at the edge: only `cli.ts` reads the process (its arguments, environment, working
// directory, id, host name, main module, streams and exit); everything else is given what a run
// needs in `RunEnvironment`, and `callCommand` takes the same from its caller.
import assert from "node:assert/strict";
import { ROOT } from "./_helpers.ts";
import { callCommand } from "../core/call_command.ts";
import { defineCommand } from "../core/command.ts";
import { captureOutput } from "../core/output.ts";
import { registry } from "./fixtures/registry.ts";

const PROCESS = /Deno\.(env|cwd|pid|args|mainModule|stdout|exit|hostname)\b/;

/**
 * Modules that still read the process, each with the reason. What the others once read comes
 * from the run: an embedded database's lock holder and the directory its long socket paths are
 * relative to from `OpenOptions` (`pid`, `command`, `processCwd`), the worker's guard against a
 * job's exit from `ctx.guardExit`, all of which cli.ts gives.
 */
const NOT_YET: Record<string, string> = {
  "apps/db/backends/pglite/_serve_main.ts": "the background server's program, as cli.ts is",
  // A test file is its own process's edge: testCase() reads there what `manage test` gives it.
  "core/testing.ts": "the test database's URL, which manage test sets, and the tests' folder",
};

/** Every source module but cli.ts, the scripts and the tests. */
async function sources(): Promise<string[]> {
  const files = ["mod.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) files.push(path);
    }
  };
  for (const dir of ["core/", "commands/", "apps/"]) await walk(dir);
  return files.sort();
}

Deno.test("only cli.ts reads the process: its environment, directory, id, host, streams, exit", async () => {
  const found: string[] = [];
  for (const file of await sources()) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    text.split("\n").forEach((line, i) => {
      if (PROCESS.test(line) && !Object.hasOwn(NOT_YET, file)) found.push(`${file}:${i + 1}`);
    });
  }
  assert.deepEqual(found, []);
  assert.match(await Deno.readTextFile(new URL("cli.ts", ROOT)), PROCESS);
});

/** A command that reports what its run was given. */
const where = defineCommand({
  help: "Reports its run's environment",
  handle({ cwd, pid, hostname, prog, env, stdout }) {
    stdout.write(
      JSON.stringify({
        cwd,
        pid: pid ?? null,
        hostname: hostname ?? null,
        prog,
        home: env.HOME ?? null,
      }),
    );
  },
});

Deno.test("callCommand gives the run the cwd, pid, host name, program and env it is given", async () => {
  const stdout = captureOutput();
  await callCommand(where, [], {
    stdout,
    cwd: "/srv/site",
    pid: 4242,
    hostname: "web-1",
    prog: "site",
    env: { HOME: "/home/site" },
  });
  assert.deepEqual(JSON.parse(stdout.text), {
    cwd: "/srv/site",
    pid: 4242,
    hostname: "web-1",
    prog: "site",
    home: "/home/site",
  });
});

Deno.test("callCommand reads nothing from the process: no environment, `.` as the directory", async () => {
  const stdout = captureOutput();
  await callCommand(where, [], { stdout });
  assert.deepEqual(JSON.parse(stdout.text), {
    cwd: ".",
    pid: null,
    hostname: null,
    prog: "manage",
    home: null,
  });
});

Deno.test("a command called from a command runs where its caller runs, unless told otherwise", async () => {
  const outer = defineCommand({
    help: "Calls where twice",
    async handle(ctx) {
      await ctx.callCommand("where", [], { stdout: ctx.stdout });
      await ctx.callCommand("where", [], { stdout: ctx.stdout, cwd: "/elsewhere" });
    },
  });
  const registry = {
    commands: [{
      name: "where",
      app: "tests",
      summary: "",
      module: "tests/process_edge_test.ts",
      flags: [],
      load: () => Promise.resolve({ default: where }),
    }],
    checks: [],
  };
  const stdout = captureOutput();
  await callCommand(outer, [], { stdout, registry, cwd: "/srv/site", pid: 7, hostname: "h" });
  const [first, second] = stdout.text.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(first, { cwd: "/srv/site", pid: 7, hostname: "h", prog: "manage", home: null });
  assert.equal(second.cwd, "/elsewhere");
  assert.equal(second.pid, 7);
});

/** A command that reports the lock file of the embedded database it holds. */
const holdsLock = defineCommand({
  help: "Opens the embedded database and reports who its lock file says holds it",
  async handle({ db, env, stdout }) {
    await db.connect();
    stdout.write(await Deno.readTextFile(`${env.DATABASE_URL!.slice("pglite:".length)}.lock`));
  },
});

/** The fixture apps' registry, which opens databases, with `holds_lock` in it. */
const withHoldsLock = {
  ...registry,
  commands: [...registry.commands, {
    name: "holds_lock",
    app: "tests",
    summary: "",
    module: "tests/process_edge_test.ts",
    flags: [],
    load: () => Promise.resolve({ default: holdsLock }),
  }],
};

Deno.test("an embedded database's lock names the run's pid and program, not the process's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "manage_edge_" });
  try {
    const env = { DATABASE_URL: `pglite:${dir}/db`, MANAGE_DBSERVER: "off" };
    const given = captureOutput();
    await callCommand("holds_lock", [], {
      stdout: given,
      registry: withHoldsLock,
      env,
      cwd: dir,
      pid: 4242,
      prog: "site",
    });
    const { pid, command } = JSON.parse(given.text);
    assert.deepEqual({ pid, command }, { pid: 4242, command: "site holds_lock" });
    const unknown = captureOutput();
    await callCommand("holds_lock", [], {
      stdout: unknown,
      registry: withHoldsLock,
      env,
      cwd: dir,
    });
    assert.deepEqual(JSON.parse(unknown.text).pid, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a database opened from code is served in the background only when its env says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "manage_edge_" });
  // The process's environment would turn the background server on; the run's does not say.
  const before = Deno.env.get("MANAGE_DBSERVER");
  Deno.env.set("MANAGE_DBSERVER", "on");
  try {
    const stdout = captureOutput();
    await callCommand("holds_lock", [], {
      stdout,
      registry: withHoldsLock,
      env: { DATABASE_URL: `pglite:${dir}/db` },
      cwd: dir,
      pid: 4242,
    });
    const { pid, command } = JSON.parse(stdout.text);
    assert.deepEqual({ pid, command }, { pid: 4242, command: "manage holds_lock" });
  } finally {
    if (before === undefined) Deno.env.delete("MANAGE_DBSERVER");
    else Deno.env.set("MANAGE_DBSERVER", before);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("callCommand passes the exit guard it is given to the run, and to the commands it calls", async () => {
  const seen: unknown[] = [];
  const guarded = defineCommand({
    help: "Reports whether it has an exit guard, and calls itself once",
    async handle(ctx) {
      seen.push(ctx.guardExit);
      if (seen.length === 1) await ctx.callCommand("guarded", []);
    },
  });
  const registry = {
    commands: [{
      name: "guarded",
      app: "tests",
      summary: "",
      module: "tests/process_edge_test.ts",
      flags: [],
      load: () => Promise.resolve({ default: guarded }),
    }],
    checks: [],
  };
  const guardExit = () => () => {};
  await callCommand("guarded", [], { registry, guardExit });
  assert.equal(seen.length, 2);
  assert.ok(seen.every((given) => given === guardExit));
  seen.length = 0;
  await callCommand("guarded", [], { registry });
  assert.deepEqual(seen, [undefined, undefined]);
});
