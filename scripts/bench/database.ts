/**
 * The database benchmark: a no-op `manage migrate` on the embedded database and on a server, as
 * ratios against a bare `deno run` measured in the same run, and applying 200 small migrations.
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

import { permissionFlags } from "../compile.ts";
import {
  type BenchCase,
  copyProject,
  copyTree,
  deno,
  formatTable,
  measure,
  median,
  toPath,
  toResults,
} from "./startup.ts";

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

async function main(args: readonly string[]): Promise<number> {
  const roundsAt = args.indexOf("--rounds");
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 7;
  const root = toPath(new URL("../../", import.meta.url)).replace(/[\\/]$/, "");
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const perms = permissionFlags(config.tasks.manage);
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

    const cases: BenchCase[] = [
      { name: "deno run empty.ts (baseline)", args: ["run", `${tmp}/empty.ts`], cwd: copy },
      {
        name: "cli.ts migrate, nothing to do (embedded)",
        args: cli("migrate", "--database", embedded),
        cwd: copy,
      },
      ...(serverDb
        ? [{
          name: "cli.ts migrate, nothing to do (server)",
          args: cli("migrate", "--database", serverDb),
          cwd: copy,
        }]
        : []),
    ];
    console.error(`Timing ${cases.length} commands: 1 warm-up + ${rounds} rounds…`);
    const samples = await measure(cases, rounds, 1);
    const results = toResults(cases, samples);
    console.log(formatTable(results, [
      ...applied,
      server
        ? `server: ${new URL(server).host}`
        : "server: none answered at 127.0.0.1:5432 (set TEST_DATABASE_URL)",
    ]));
    return 0;
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
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
