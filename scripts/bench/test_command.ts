/**
 * The `manage test` benchmark: the generated test of a new app (`startapp blog`) and a test that
 * queries the database, run by `manage test` on the embedded database, as a ratio against a bare
 * `deno test` of the generated test in the same run. The first run (which migrates the test
 * database and keeps it as a template) is timed on its own, then the usual rounds.
 *
 * ```sh
 * deno task bench:test --rounds 5
 * ```
 *
 * @module
 */

import { roundsArgs } from "../_args.ts";
import {
  type BenchCase,
  deno,
  formatTable,
  inProjectCopy,
  managePermissions,
  measure,
  toResults,
} from "./startup.ts";

const DATABASE_TEST = `import assert from "node:assert/strict";
import { testCase } from "../../../mod.ts";

Deno.test("the test database is migrated", async () => {
  await using t = await testCase();
  const [row] = await t.db.sql\`SELECT count(*)::int AS n FROM myapp_mymodel\`;
  assert.equal(row.n, 0);
});
`;

async function main(args: readonly string[]): Promise<number> {
  const { rounds } = roundsArgs(
    "deno task bench:test",
    "Times manage test on the embedded database against a bare deno test",
    5,
    args,
  );
  const perms = await managePermissions();
  return await inProjectCopy("manage_bench_test_", async ({ copy, cli }) => {
    await deno(cli("startapp", "blog"), copy);
    await Deno.writeTextFile(`${copy}/apps/blog/commands/database_test.ts`, DATABASE_TEST);
    const generated = "apps/blog/commands/hello_blog_test.ts";
    const both = [generated, "apps/blog/commands/database_test.ts"];
    const firstRun = cli("test", ...both);
    console.error("Timing the first run of manage test (it migrates the test database)…");
    const start = performance.now();
    await deno(firstRun, copy);
    const first = performance.now() - start;
    const cases: BenchCase[] = [
      { name: "deno test (baseline)", args: ["test", ...perms, generated], cwd: copy },
      {
        name: "manage test (the generated test)",
        args: cli("test", generated),
        cwd: copy,
        expect: "2 passed",
      },
      {
        name: "manage test (and a database test)",
        args: firstRun,
        cwd: copy,
        expect: "3 passed",
      },
    ];
    console.error(`Timing manage test: 1 warm-up + ${rounds} rounds…`);
    const samples = await measure(cases, rounds, 1);
    const results = toResults(cases, samples);
    console.log(
      formatTable(results, [
        `first run of manage test (migrating the test database): ${(first / 1000).toFixed(1)} s`,
      ]),
    );
  });
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
