/**
 * The autodetector benchmark: `manage makemigrations` on a project with 200 models (8 fields, a
 * foreign key and an index each), as a ratio against a bare `deno run` in the same run.
 *
 * ```sh
 * deno task bench:makemigrations --rounds 7
 * ```
 *
 * @module
 */

import { roundsArgs } from "../_args.ts";
import { type BenchCase, deno, formatTable, inProjectCopy, measure, toResults } from "./startup.ts";

const MODELS = 200;

function modelsSource(): string {
  const lines = ['import { defineModel, field } from "../../mod.ts";', ""];
  for (let i = 0; i < MODELS; i++) {
    const name = `Thing${String(i).padStart(3, "0")}`;
    const parent = i === 0
      ? ""
      : `\n  parent: field.foreignKey("bench.Thing${
        String(i - 1).padStart(3, "0")
      }", { onDelete: "cascade", null: true }),`;
    lines.push(
      `export const ${name} = defineModel("bench.${name}", {`,
      `  name: field.varchar(100),`,
      `  code: field.varchar(20, { unique: true }),`,
      `  price: field.numeric(10, 2, { default: "0" }),`,
      `  active: field.boolean({ default: true }),`,
      `  createdAt: field.timestamptz({ default: "now()" }),`,
      `  notes: field.text({ null: true }),`,
      `  data: field.jsonb({ null: true }),${parent}`,
      `}, { indexes: [{ fields: ["name", "createdAt"] }] });`,
      "",
    );
  }
  return lines.join("\n");
}

async function main(args: readonly string[]): Promise<number> {
  const { rounds } = roundsArgs(
    "deno task bench:makemigrations",
    "Times makemigrations on a project of 200 models against a bare deno run",
    7,
    args,
  );
  return await inProjectCopy("manage_bench_mm_", async ({ tmp, copy, cli }) => {
    await Deno.mkdir(`${copy}/apps/bench`, { recursive: true });
    await Deno.writeTextFile(`${copy}/apps/bench/models.ts`, modelsSource());
    await deno(["run", "-A", `${copy}/scripts/build_registry.ts`], copy);
    await Deno.writeTextFile(`${tmp}/empty.ts`, "");
    const cases: BenchCase[] = [
      { name: "deno run empty.ts (baseline)", args: ["run", `${tmp}/empty.ts`], cwd: copy },
      {
        name: `makemigrations --dry-run (${MODELS} new models)`,
        args: cli("makemigrations", "--dry-run"),
        cwd: copy,
        expect: "Create model Thing199",
      },
    ];
    console.error(`Timing makemigrations on ${MODELS} models: 1 warm-up + ${rounds} rounds…`);
    const samples = await measure(cases, rounds, 1);
    const results = toResults(cases, samples);
    console.log(
      formatTable(results, [`${MODELS} models, 8 fields, a foreign key and an index each`]),
    );
  });
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
