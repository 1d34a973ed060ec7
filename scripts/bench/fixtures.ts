/**
 * The fixtures benchmark, on a PostgreSQL server: `manage loaddata` and `manage dumpdata` of
 * 1,000,000 rows of a small table, each as a ratio against psql's `\copy` of the same rows
 * (CSV) measured in the same run, rounds interleaved so that the machine's load falls on both
 * alike; and the peak memory (VmHWM) of `dumpdata` at 100,000 and at 1,000,000 rows, which
 * should not grow with the rows.
 *
 * ```sh
 * deno task bench:fixtures                      # the server from TEST_DATABASE_URL, or 127.0.0.1:5432
 * deno task bench:fixtures --rounds 5 --rows 200000
 * ```
 *
 * It makes its own database (with psql) and drops it; without a server that answers, or
 * without psql, it says so and exits 0.
 *
 * @module
 */

import { scriptArgs } from "../_args.ts";
import { copyProject, deno, managePermissions, median, PROJECT_ROOT } from "./startup.ts";

const TARGET = 2;

const MODELS = `import { defineModel, field } from "../../mod.ts";

export const Item = defineModel("bench.Item", {
  name: field.varchar(100),
  quantity: field.integer(),
  price: field.numeric(10, 2, { null: true }),
  createdAt: field.timestamptz(),
});
`;

const TABLE = `CREATE TABLE bench_item (
  id bigserial PRIMARY KEY, name varchar(100) NOT NULL, quantity integer NOT NULL,
  price numeric(10, 2), created_at timestamptz NOT NULL
)`;

function fill(rows: number): string {
  return `TRUNCATE bench_item RESTART IDENTITY;
    INSERT INTO bench_item (name, quantity, price, created_at)
    SELECT 'item ' || g, g % 1000, CASE WHEN g % 10 = 0 THEN NULL ELSE (g % 100000) / 100.0 END,
      timestamptz '2024-01-01 00:00:00+00' + g * interval '1.001 second'
    FROM generate_series(1, ${rows}) g;`;
}

async function serverUrl(): Promise<string | undefined> {
  const base = Deno.env.get("TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
  try {
    const url = new URL(base);
    const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 5432) });
    conn.close();
    return base;
  } catch {
    return undefined;
  }
}

/** Runs psql on `url` with `args`; throws, with its output, when it fails. */
async function psql(url: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("psql", {
    args: [url, "-qX", "-v", "ON_ERROR_STOP=1", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`psql ${args.join(" ")} failed: ${new TextDecoder().decode(stderr).trim()}`);
  }
}

async function hasPsql(): Promise<boolean> {
  try {
    const { code } = await new Deno.Command("psql", { args: ["--version"], stdout: "null" })
      .output();
    return code === 0;
  } catch {
    return false;
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

// The bench may not read another process's /proc entries without --allow-all: a shell polls
// the command's VmHWM (its peak resident memory, in kB) while it runs.
const PEAK_SCRIPT = `"$@" >/dev/null & pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
  hwm=$(sed -n 's/^VmHWM:[[:space:]]*\\([0-9]*\\).*/\\1/p' "/proc/$pid/status" 2>/dev/null)
  if [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ]; then peak=$hwm; fi
  sleep 0.01
done
wait "$pid"; code=$?
echo "$peak"
exit $code`;

async function peakMemory(args: string[], cwd: string): Promise<number | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  const { code, stdout, stderr } = await new Deno.Command("sh", {
    args: ["-c", PEAK_SCRIPT, "sh", Deno.execPath(), ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr).trim());
  return Number(new TextDecoder().decode(stdout).trim()) || undefined;
}

/** The command line: `--rounds N`, `--rows N` (and `-h/--help`). */
function commandLine(args: readonly string[]): { rounds: number; rows: number } {
  return scriptArgs({
    prog: "deno task bench:fixtures",
    help: "Times loaddata and dumpdata against psql's COPY on the same rows",
    arguments: {
      options: {
        rounds: { type: "integer", default: 3, metavar: "N", help: "timed rounds" },
        rows: { type: "integer", default: 1_000_000, metavar: "N", help: "rows in the fixture" },
      },
    },
    check: ({ rounds, rows }) =>
      rounds < 1 || rows < 1 ? "--rounds and --rows take a whole number of at least 1" : undefined,
  }, args);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const megabytes = (kb: number | undefined) =>
  kb === undefined ? "-" : `${(kb / 1024).toFixed(0)} MB`;

async function main(args: readonly string[]): Promise<number> {
  const options = commandLine(args);
  const server = await serverUrl();
  if (!server) {
    console.log("fixtures: skipped, no server answers at 127.0.0.1:5432 (set TEST_DATABASE_URL)");
    return 0;
  }
  if (!(await hasPsql())) {
    console.log("fixtures: skipped, psql is not installed (it is the baseline)");
    return 0;
  }
  const log = (message: string) => console.error(message);
  const root = PROJECT_ROOT;
  const perms = await managePermissions();
  const tmp = await Deno.makeTempDir({ prefix: "manage_bench_fixtures_" });
  const name = `manage_bench_fixtures_${Date.now()}`;
  const url = Object.assign(new URL(server), { pathname: `/${name}` }).href;
  const cli = (...words: string[]) => ["run", ...perms, "cli.ts", ...words, "--database", url];
  const rows = options.rows.toLocaleString("en-US");
  let created = false;
  try {
    const copy = await copyProject(root, tmp);
    await Deno.mkdir(`${copy}/apps/bench`, { recursive: true });
    await Deno.writeTextFile(`${copy}/apps/bench/models.ts`, MODELS);
    await deno(["run", "-A", `${copy}/scripts/build_registry.ts`], copy);

    log(`Creating ${name} with ${rows} rows…`);
    await psql(server, ["-c", `CREATE DATABASE ${name}`]);
    created = true;
    await psql(url, ["-c", TABLE]);
    await psql(url, ["-c", fill(options.rows), "-c", "VACUUM ANALYZE bench_item"]);
    const csv = `${copy}/items.csv`;
    const fixture = `${copy}/items.json`;
    const truncate = () => psql(url, ["-c", "TRUNCATE bench_item RESTART IDENTITY"]);

    const samples = { copyTo: [] as number[], dump: [] as number[], copyFrom: [] as number[] };
    const loads: number[] = [];
    log(`Timing ${options.rounds} rounds of \\copy TO, dumpdata, \\copy FROM and loaddata…`);
    for (let round = 0; round < options.rounds; round++) {
      samples.copyTo.push(
        await timed(() => psql(url, ["-c", `\\copy bench_item TO '${csv}' (FORMAT csv)`])),
      );
      samples.dump.push(
        await timed(() => deno(cli("dumpdata", "bench", "--output", "items.json"), copy)),
      );
      await truncate();
      samples.copyFrom.push(
        await timed(() => psql(url, ["-c", `\\copy bench_item FROM '${csv}' (FORMAT csv)`])),
      );
      await truncate();
      loads.push(await timed(() => deno(cli("loaddata", "items.json"), copy)));
    }
    const [{ size: fixtureBytes }, { size: csvBytes }] = await Promise.all([
      Deno.stat(fixture),
      Deno.stat(csv),
    ]);

    log("Measuring dumpdata's peak memory…");
    const peakLarge = await peakMemory(cli("dumpdata", "bench", "-o", "items.json"), copy);
    const smallRows = Math.max(1, Math.floor(options.rows / 10));
    await psql(url, ["-c", fill(smallRows)]);
    const peakSmall = await peakMemory(cli("dumpdata", "bench", "-o", "items.json"), copy);

    const table: string[][] = [["case", "median", "vs psql", "target", "result"]];
    const pair = (label: string, psqlLabel: string, mine: number[], theirs: number[]) => {
      const ratio = median(mine) / median(theirs);
      table.push([psqlLabel, seconds(median(theirs)), "1.00x", "-", "-"]);
      table.push([
        label,
        seconds(median(mine)),
        `${ratio.toFixed(2)}x`,
        `${TARGET.toFixed(2)}x`,
        ratio <= TARGET ? "PASS" : "OVER",
      ]);
    };
    pair("manage loaddata items.json", "psql \\copy FROM csv", loads, samples.copyFrom);
    pair("manage dumpdata --output items.json", "psql \\copy TO csv", samples.dump, samples.copyTo);
    const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
    const lines = table.map((row) =>
      row.map((cell, c) => c === 0 || c === 4 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))
        .join("  ").trimEnd()
    );
    lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
    const growth = peakLarge && peakSmall ? ` (x${(peakLarge / peakSmall).toFixed(2)})` : "";
    console.log([
      ...lines,
      "",
      `rows: ${rows} (medians of ${options.rounds} rounds); fixture ${
        megabytes(fixtureBytes / 1024)
      }, csv ${megabytes(csvBytes / 1024)}`,
      `dumpdata peak memory (VmHWM): ${megabytes(peakSmall)} at ${
        smallRows.toLocaleString("en-US")
      } rows, ${megabytes(peakLarge)} at ${rows} rows${growth}`,
      `server: ${new URL(server).host}`,
    ].join("\n"));
    return 0;
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (created) {
      await psql(server, ["-c", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]).catch(() => {});
    }
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
