// One home per helper: snake case, default table names, label splitting, canonical JSON, loading
// the project's models and the scripts' command lines are each written once, with the
// validating behaviour, and every former copy's caller now gets it.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ROOT, runProgram } from "./_helpers.ts";
import { defineModel, field } from "../apps/db/orm/mod.ts";
import { addField, renameField, splitLabel } from "../apps/db/migrator/mod.ts";
import { same } from "../apps/db/migrator/_autodetector.ts";
import { loadModels } from "../apps/db/serializers/mod.ts";
import { CommandError } from "../core/errors.ts";
import type { Registry } from "../core/registry.ts";

/** Every source module of the framework, the apps and the scripts (tests left out). */
async function sources(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        found.set(path, await Deno.readTextFile(new URL(path, ROOT)));
      }
    }
  };
  for (const dir of ["core/", "commands/", "apps/", "scripts/"]) await walk(dir);
  return found;
}

const files = await sources();

/** The modules whose text matches `pattern`. */
function where(pattern: RegExp): string[] {
  return [...files].filter(([, text]) => pattern.test(text)).map(([path]) => path).sort();
}

Deno.test("each helper is defined in one module", () => {
  const homes: [RegExp, string][] = [
    [/function snake(Case)?\b|const snake(Case)? =/, "apps/db/orm/_model_state.ts"],
    [/function defaultTable\b/, "apps/db/orm/_model_state.ts"],
    [/function splitLabel\b/, "apps/db/orm/_model_state.ts"],
    [/function canonical(Json)?\b/, "apps/db/orm/_model_state.ts"],
    [/function isModel(State)?\b/, "apps/db/orm/_project_models.ts"],
  ];
  for (const [pattern, home] of homes) assert.deepEqual(where(pattern), [home], String(pattern));
});

Deno.test("no script parses its command line by hand: they use scripts/_args.ts", () => {
  assert.deepEqual(
    where(/args\[\+\+i\]|args\.length; i\+\+|args\.indexOf\("--|parseArgs \} from "node:util"/),
    [],
  );
  for (
    const script of [
      "scripts/compile.ts",
      "scripts/release.ts",
      "scripts/bench/fixtures.ts",
      "scripts/bench/jobs.ts",
      "scripts/bench/console.ts",
      "scripts/bench/dashboard.ts",
    ]
  ) {
    assert.match(files.get(script) ?? "", /scriptArgs\(/, script);
  }
  for (
    const script of [
      "scripts/bench/database.ts",
      "scripts/bench/makemigrations.ts",
      "scripts/bench/test_command.ts",
    ]
  ) {
    assert.match(files.get(script) ?? "", /roundsArgs\(/, script);
  }
});

const TITLE = defineModel("shop.Book", { title: field.text() }).state.fields.title;

Deno.test("a schema operation's default table rejects a label that is not app.ModelName", () => {
  assert.equal(addField("shop.Book", "title", TITLE).table, "shop_book");
  assert.throws(
    () => addField("Shop-app.Book", "title", TITLE),
    /Model label 'Shop-app.Book' is not of the form app.ModelName/,
  );
  // The same snake case as defineModel gives the columns.
  assert.equal(renameField("shop.Book", "due-date", "returnedAt").fromColumn, "due_date");
});

Deno.test("the migration engine's label splitting rejects what defineModel rejects", () => {
  assert.deepEqual(splitLabel("shop.Book"), ["shop", "Book"]);
  assert.throws(() => splitLabel("shop"), /Model label 'shop' is not of the form app.ModelName/);
  assert.throws(() => defineModel("shop", {}), /is not of the form app.ModelName/);
});

Deno.test("the autodetector compares as the checksum hashes: an undefined array item is null", () => {
  assert.equal(same([undefined], [null]), true);
  assert.equal(same([undefined], []), false);
  assert.equal(same({ a: 1, b: undefined }, { a: 1 }), true);
});

Deno.test("the fixtures read the models as makemigrations does: a model's own app exports it", async () => {
  const Book = defineModel("shop.Book", { title: field.text() });
  const registry = (models: Registry["models"]): Registry => ({
    commands: [],
    checks: [],
    models,
  });
  const own = { app: "shop", module: "apps/shop/models.ts", load: () => Promise.resolve({ Book }) };
  const other = {
    app: "library",
    module: "apps/library/models.ts",
    load: () => Promise.resolve({ Book }),
  };
  assert.deepEqual(await loadModels(registry([other, own])), [Book.state]);
  const error = await loadModels(registry([other])).then(() => undefined, (e) => e);
  assert.ok(error instanceof CommandError);
  assert.match(error.message, /apps\/library\/models.ts exports model shop.Book, which/);
});

for (
  const [script, prog] of [
    ["scripts/compile.ts", "deno task compile"],
    ["scripts/bench/fixtures.ts", "deno task bench:fixtures"],
    ["scripts/bench/startup.ts", "deno task bench"],
    ["scripts/bench/jobs.ts", "deno task bench:jobs"],
    ["scripts/bench/database.ts", "deno task bench:db"],
    ["scripts/bench/makemigrations.ts", "deno task bench:makemigrations"],
    ["scripts/bench/test_command.ts", "deno task bench:test"],
    ["scripts/bench/console.ts", "deno task bench:console"],
    ["scripts/bench/dashboard.ts", "deno task bench:dashboard"],
    ["scripts/release.ts", "deno task release"],
  ]
) {
  Deno.test(`${script} reads its command line with the project's parser`, async () => {
    const run = (...args: string[]) =>
      runProgram(Deno.execPath(), ["run", "--quiet", "-A", script, ...args], {
        cwd: fileURLToPath(ROOT),
        env: { NO_COLOR: "1" },
      });
    const wrong = await run("--bogus");
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.stderr,
      new RegExp(`^usage: ${prog}\\s.*\\n${prog}: error: unrecognized arguments: --bogus`, "s"),
    );
    const help = await run("--help");
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^usage: ${prog}\\s`));
  });
}
