/**
 * The database benchmark: a no-op `manage migrate` on the embedded database and on a server, as
 * ratios against a bare `deno run` measured in the same run, and applying 200 small migrations.
 * The embedded database is timed through its background server (the default: the server is
 * running, as after any earlier command), opened in the command's own process
 * (`MANAGE_DBSERVER=off`, as before the server), and as the first command when no server runs
 * (it starts one); then the first command on a fresh checkout (a new project folder with the
 * template cached, no database yet). The peer, where Debian's python3-django is installed, is
 * Django's own `manage.py migrate` with nothing to do on SQLite, in the same rounds. Peak memory is each command's maximum resident set
 * (`/usr/bin/time`), and the background server's own (`VmHWM`).
 *
 * ```sh
 * deno task bench:db                 # the server from TEST_DATABASE_URL, or 127.0.0.1:5432
 * deno task bench:db --rounds 10
 * ```
 *
 * The server part runs when a server answers; it makes its own database and drops it.
 *
 * @module
 */

import {
  type BenchCase,
  copyProject,
  copyTree,
  deno,
  formatTable,
  managePermissions,
  measure,
  median,
  PROJECT_ROOT,
  run,
  toResults,
} from "./startup.ts";
import { roundsArgs } from "../_args.ts";

const MIGRATIONS = 200;

function migration(index: number): string {
  const table = `bench_t${String(index).padStart(3, "0")}`;
  return `import { defineMigration, runSQL } from "../../../mod.ts";

export default defineMigration({
  operations: [
    runSQL(
      "CREATE TABLE ${table} (id bigserial PRIMARY KEY, name text NOT NULL); INSERT INTO ${table} (name) VALUES ('a')",
      "DROP TABLE ${table}",
    ),
  ],
});
`;
}

async function project(root: string, tmp: string): Promise<string> {
  const copy = await copyProject(root, tmp);
  // The cached template of a fresh embedded database, so creating one takes a copy, not an initdb.
  await copyTree(`${root}/.manage/cache`, `${copy}/.manage/cache`).catch(() => {});
  const dir = `${copy}/apps/bench/migrations`;
  await Deno.mkdir(dir, { recursive: true });
  for (let i = 1; i <= MIGRATIONS; i++) {
    await Deno.writeTextFile(`${dir}/${String(i).padStart(4, "0")}_step.ts`, migration(i));
  }
  await deno(["run", "-A", `${copy}/scripts/build_registry.ts`], copy);
  return copy;
}

async function serverUrl(): Promise<string | undefined> {
  const base = Deno.env.get("TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
  try {
    const conn = await Deno.connect({
      hostname: new URL(base).hostname,
      port: Number(new URL(base).port || 5432),
    });
    conn.close();
    return base;
  } catch {
    return undefined;
  }
}

async function time(args: string[], cwd: string): Promise<number> {
  const start = performance.now();
  await deno(args, cwd);
  return performance.now() - start;
}

/**
 * The peak resident memory of one run of `deno args`, in MB, and the CPU time it used (user and
 * system, in ms: less swayed by a busy machine than the wall clock); undefined without GNU time.
 */
async function peakMemory(
  args: string[],
  cwd: string,
  program = Deno.execPath(),
): Promise<{ mb: number; cpuMs: number } | undefined> {
  try {
    const { code, stderr } = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "peak-kb %M cpu %U %S", program, ...args],
      cwd,
      env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const found = /peak-kb (\d+) cpu ([\d.]+) ([\d.]+)/.exec(new TextDecoder().decode(stderr));
    if (code !== 0 || !found) return undefined;
    return { mb: Number(found[1]) / 1024, cpuMs: (Number(found[2]) + Number(found[3])) * 1000 };
  } catch {
    return undefined;
  }
}

/** The background server's pid, from the lock file of `dir` (a path in `project`). */
async function serverPid(project: string, dir: string): Promise<number | undefined> {
  const text = await Deno.readTextFile(`${project}/${dir}.lock`).catch(() => "");
  return text.trim() ? JSON.parse(text).pid : undefined;
}

/** A process's peak resident memory so far, in MB. */
async function processPeak(pid: number): Promise<number | undefined> {
  const { stdout } = await new Deno.Command("grep", {
    args: ["VmHWM", `/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const kb = /(\d+)/.exec(new TextDecoder().decode(stdout))?.[1];
  return kb ? Number(kb) / 1024 : undefined;
}

/** Debian's Python with python3-django, whose `manage.py migrate` on SQLite is the peer. */
const DJANGO_PYTHON = "/usr/bin/python3";

/**
 * A new Django project (`django-admin startproject`) on SQLite in `<tmp>/django`, migrated once;
 * undefined where Debian's python3-django is not installed.
 */
async function djangoProject(tmp: string): Promise<string | undefined> {
  try {
    await Deno.stat("/usr/bin/django-admin");
  } catch {
    return undefined;
  }
  const dir = `${tmp}/django`;
  await Deno.mkdir(dir);
  await run("/usr/bin/django-admin", ["startproject", "proj", "."], dir);
  await run(DJANGO_PYTHON, ["manage.py", "migrate"], dir);
  return dir;
}

const mb = (value: number | undefined) => value === undefined ? "?" : `${value.toFixed(0)} MB`;

async function main(args: readonly string[]): Promise<number> {
  const { rounds } = roundsArgs(
    "deno task bench:db",
    "Times a no-op migrate on the embedded database, on a server and on Django with SQLite",
    7,
    args,
  );
  const root = PROJECT_ROOT;
  const perms = await managePermissions();
  const tmp = await Deno.makeTempDir({ prefix: "manage_bench_db_" });
  const server = await serverUrl();
  const benchDb = `manage_bench_${Date.now()}`;
  const serverDb = server
    ? Object.assign(new URL(server), { pathname: `/${benchDb}` }).href
    : undefined;
  const cli = (...words: string[]) => ["run", ...perms, "cli.ts", ...words];
  try {
    await Deno.writeTextFile(`${tmp}/empty.ts`, "");
    console.error(`Copying the project with ${MIGRATIONS} migrations…`);
    const copy = await project(root, tmp);
    const embedded = "pglite:.manage/bench-db";
    if (server) {
      await deno(
        cli("dbshell", "--database", server, "--", "-qc", `CREATE DATABASE ${benchDb}`),
        copy,
      );
    }

    const applied: string[] = [];
    for (const [name, url] of [["embedded", embedded], ["server", serverDb]] as const) {
      if (!url) continue;
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        if (i > 0) await deno(cli("migrate", "bench", "zero", "--database", url), copy);
        samples.push(await time(cli("migrate", "--database", url), copy));
      }
      const ms = median(samples);
      applied.push(
        `apply ${MIGRATIONS} migrations (${name}): ${ms.toFixed(0)} ms, ${
          (ms / MIGRATIONS).toFixed(1)
        } ms each (median of 3)`,
      );
    }

    // The same database opened in each command's own process needs a folder of its own: a
    // background server holding the other would serve those commands too.
    const offEnv = `${tmp}/off.env`;
    await Deno.writeTextFile(offEnv, "MANAGE_DBSERVER=off\n");
    const inProcess = "pglite:.manage/bench-db-inprocess";
    const off = (
      ...words: string[]
    ) => ["run", `--env-file=${offEnv}`, ...perms, "cli.ts", ...words];
    await deno(off("migrate", "--database", inProcess), copy);
    const cases: BenchCase[] = [
      { name: "deno run empty.ts (baseline)", args: ["run", `${tmp}/empty.ts`], cwd: copy },
      {
        name: "migrate, nothing to do (embedded, server running)",
        args: cli("migrate", "--database", embedded),
        cwd: copy,
      },
      {
        name: "migrate, nothing to do (embedded, MANAGE_DBSERVER=off)",
        args: off("migrate", "--database", inProcess),
        cwd: copy,
      },
      ...(serverDb
        ? [{
          name: "migrate, nothing to do (PostgreSQL server)",
          args: cli("migrate", "--database", serverDb),
          cwd: copy,
        }]
        : []),
    ];
    const django = await djangoProject(tmp);
    if (django) {
      cases.push({
        name: "Django's migrate, nothing to do (SQLite)",
        program: DJANGO_PYTHON,
        args: ["manage.py", "migrate"],
        cwd: django,
      });
    } else console.error("Django's migrate left out: python3-django is not installed");
    console.error(`Timing ${cases.length} commands: 1 warm-up + ${rounds} rounds…`);
    const samples = await measure(cases, rounds, 1);
    const results = toResults(cases, samples);
    const embeddedMs = results[1].medianMs;
    const serverMs = serverDb ? results[3].medianMs : undefined;
    const djangoMs = django ? results[cases.length - 1].medianMs : undefined;

    // The first command when no server runs: it starts one, then uses it.
    const stop = () => deno(cli("dbserver", "stop", "--database", embedded), copy);
    const cold: number[] = [];
    for (let i = 0; i < Math.min(rounds, 5); i++) {
      await stop();
      cold.push(await time(cli("migrate", "--database", embedded), copy));
    }
    // The first command on a fresh checkout: a new project folder, the template cached.
    const fresh: number[] = [];
    for (let i = 0; i < 3; i++) {
      await Deno.mkdir(`${tmp}/fresh${i}`);
      const checkout = await copyProject(root, `${tmp}/fresh${i}`);
      await copyTree(`${root}/.manage/cache`, `${checkout}/.manage/cache`).catch(() => {});
      fresh.push(await time(cli("migrate"), checkout));
      await deno(cli("dbserver", "stop"), checkout);
    }

    const memory = [
      [
        "migrate, embedded, server running",
        await peakMemory(cli("migrate", "--database", embedded), copy),
      ],
      [
        "migrate, embedded, MANAGE_DBSERVER=off",
        await peakMemory(off("migrate", "--database", inProcess), copy),
      ],
      ...(serverDb
        ? [[
          "migrate, PostgreSQL server",
          await peakMemory(cli("migrate", "--database", serverDb), copy),
        ]]
        : []),
      ...(django
        ? [[
          "Django's migrate (SQLite)",
          await peakMemory(["manage.py", "migrate"], django, DJANGO_PYTHON),
        ]]
        : []),
    ] as [string, { mb: number; cpuMs: number } | undefined][];
    const pid = await serverPid(copy, ".manage/bench-db");
    const serverPeak = pid === undefined ? undefined : await processPeak(pid);
    await stop();

    const verdict = (pass: boolean) => pass ? "PASS" : "OVER";
    const lines = [
      ...applied,
      `embedded (server running) vs PostgreSQL server: ${
        serverMs
          ? `${(embeddedMs / serverMs).toFixed(2)}x (target <= 2x: ${
            verdict(embeddedMs <= 2 * serverMs)
          })`
          : "no server"
      }; median ${embeddedMs.toFixed(0)} ms (target <= 500 ms: ${verdict(embeddedMs <= 500)})`,
      `embedded (server running) vs Django's migrate on SQLite: ${
        djangoMs
          ? `${(embeddedMs / djangoMs).toFixed(2)}x (target: below 1x: ${
            verdict(embeddedMs < djangoMs)
          })`
          : "Django not installed"
      }`,
      `first command, no server running (starts it): median ${
        median(cold).toFixed(0)
      } ms of ${cold.length}`,
      `first command on a fresh checkout (template cached): median ${
        median(fresh).toFixed(0)
      } ms of 3 (target <= 2000 ms: ${verdict(median(fresh) <= 2000)})`,
      ...memory.map(([name, peak]) =>
        peak === undefined
          ? `peak memory, ${name}: ? (no /usr/bin/time)`
          : `peak memory, ${name}: ${mb(peak.mb)} (${
            name.startsWith("Django") ? "the peer" : `target <= 100 MB: ${verdict(peak.mb <= 100)}`
          }), CPU ${peak.cpuMs.toFixed(0)} ms`
      ),
      `peak memory of the background server itself (after the runs): ${mb(serverPeak)}`,
      server
        ? `server: ${new URL(server).host}`
        : "server: none answered at 127.0.0.1:5432 (set TEST_DATABASE_URL)",
    ];
    console.log(formatTable(results, lines));
    return 0;
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await deno([
      "run",
      ...perms,
      "cli.ts",
      "dbserver",
      "stop",
      "--database",
      "pglite:.manage/bench-db",
    ], `${tmp}/project`)
      .catch(() => {});
    if (server) {
      await deno(
        cli(
          "dbshell",
          "--database",
          server,
          "--",
          "-qc",
          `DROP DATABASE IF EXISTS ${benchDb} WITH (FORCE)`,
        ),
        `${tmp}/project`,
      )
        .catch(() => {});
    }
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
