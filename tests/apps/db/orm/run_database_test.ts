// Inside a command, a manager's methods run on the run's database without `using()` (as Django's
// default database): every method, on both drivers, through callCommand; `using()` still picks
// another database; nested runs on other databases keep their own; outside a run it is an error
// naming the fix.

import assert from "node:assert/strict";
import type { Queryable, Row } from "../../../../core/database.ts";
import { callCommand, captureOutput, defineCommand } from "../../../../mod.ts";
import { defineModel, field, quoteIdent } from "../../../../apps/db/orm/mod.ts";
import { registry } from "../../../../commands/_registry.ts";
import { forEachDatabase } from "../../../_database.ts";
import { ROOT, runProgram } from "../../../_helpers.ts";

const Note = defineModel("notes.Note", { title: field.varchar(50), views: field.integer() });

const CREATE = `CREATE TABLE ${quoteIdent(Note.state.table)} ` +
  `(id bigserial PRIMARY KEY, title varchar(50) NOT NULL, views integer NOT NULL)`;

// First in the file: Deno's test runner starts a test in the async context of the last callback
// a driver's socket or timer ran, so a test after a run may still see that run's database.
Deno.test("outside a run, a manager method without using() is an error naming the fix", () => {
  assert.throws(
    () => Note.objects.all(),
    (error: Error) => {
      assert.equal(
        error.message,
        "Note.objects.all() has no database: no command is running. Inside a command, call it " +
          "from handle(); elsewhere, give it one: Note.objects.using(db).all()",
      );
      return true;
    },
  );
  assert.throws(() => Note.objects.count(), /Note\.objects\.using\(db\)\.count\(\)/);
});

/** Every manager method, with no `using()`: what each returned. */
const everyMethod = defineCommand({
  help: "Uses every manager method on the run's database",
  requiresDatabase: true,
  async handle({ db, stdout }) {
    await db.exec(CREATE);
    const made = await Note.objects.create({ title: "a", views: 1 });
    const bulk = await Note.objects.bulkCreate([{ title: "b", views: 2 }, {
      title: "c",
      views: 3,
    }]);
    const seen: string[] = [];
    for await (const note of Note.objects.all()) seen.push(note.title);
    const streamed: string[] = [];
    for await (const note of Note.objects.iterator({ chunkSize: 1 })) streamed.push(note.title);
    const results = {
      made: made.title,
      bulk: bulk.length,
      all: seen.sort(),
      streamed: streamed.sort(),
      toArray: (await Note.objects.orderBy("-views").toArray()).map((n) => n.title),
      filter: (await Note.objects.filter({ views__gte: 2 }).orderBy("id").toArray()).length,
      exclude: (await Note.objects.exclude({ title: "a" }).toArray()).length,
      limit: (await Note.objects.orderBy("id").limit(1).toArray()).map((n) => n.title),
      offset: (await Note.objects.orderBy("id").offset(2).toArray()).map((n) => n.title),
      get: (await Note.objects.get({ title: "b" })).views,
      first: (await Note.objects.orderBy("id").first())?.title,
      count: await Note.objects.count(),
      exists: await Note.objects.exists(),
      update: await Note.objects.update({ views: 9 }),
      delete: await Note.objects.delete(),
      after: await Note.objects.count(),
    };
    stdout.write(JSON.stringify(results));
  },
});

Deno.test("manager methods run on the run's database without using(), on each driver", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const stdout = captureOutput();
    await callCommand(everyMethod, ["--database", testDb.url], { registry, stdout });
    assert.deepEqual(JSON.parse(stdout.text), {
      made: "a",
      bulk: 2,
      all: ["a", "b", "c"],
      streamed: ["a", "b", "c"],
      toArray: ["c", "b", "a"],
      filter: 2,
      exclude: 2,
      limit: ["a"],
      offset: ["c"],
      get: 2,
      first: "a",
      count: 3,
      exists: true,
      update: 3,
      delete: 3,
      after: 0,
    });
    // The rows went to the database the run was given.
    const db = await testDb.open();
    try {
      const [{ n }] = await db.sql<{ n: string }>`SELECT count(*)::text AS n FROM notes_note`;
      assert.equal(n, "0");
    } finally {
      await db.close();
    }
  });
});

Deno.test("using() still picks another database inside a run", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const asked: string[] = [];
    const other: Queryable = {
      sql: () => Promise.resolve([]),
      query: <T extends Row>(text: string) => {
        asked.push(text);
        return Promise.resolve([{ n: 7 }] as unknown as T[]);
      },
      exec: () => Promise.resolve(),
    };
    const command = defineCommand({
      help: "Counts on another database",
      requiresDatabase: true,
      async handle({ db, stdout }) {
        await db.exec(CREATE);
        stdout.write(`${await Note.objects.using(other).count()} ${await Note.objects.count()}`);
      },
    });
    const stdout = captureOutput();
    await callCommand(command, ["--database", testDb.url], { registry, stdout });
    assert.equal(stdout.text, "7 0\n");
    assert.equal(asked.length, 1);
  });
});

Deno.test("a nested run on another database uses its own, and the outer run keeps its", async (t) => {
  await forEachDatabase(t, async (testDb) => {
    const inner = defineCommand({
      help: "Counts the notes on the database it is given",
      requiresDatabase: true,
      async handle({ db, stdout }) {
        await db.exec(CREATE);
        stdout.write(`inner ${await Note.objects.count()}`);
      },
    });
    const outer = defineCommand({
      help: "Adds a note, runs the inner command on memory, counts again",
      requiresDatabase: true,
      async handle({ db, stdout, callCommand: call }) {
        await db.exec(CREATE);
        await Note.objects.create({ title: "outer", views: 0 });
        await call(inner as never, ["--database", "pglite:memory"]);
        stdout.write(`outer ${await Note.objects.count()}`);
      },
    });
    const stdout = captureOutput();
    await callCommand(outer, ["--database", testDb.url], { registry, stdout });
    assert.equal(stdout.text, "inner 0\nouter 1\n");
  });
});

Deno.test("overlapping runs each find their own database", async () => {
  const count = defineCommand({
    help: "Adds notes one at a time, yielding between them, then counts them",
    arguments: { n: { type: "integer" } },
    requiresDatabase: true,
    async handle({ db, options, stdout }) {
      await db.exec(CREATE);
      for (let i = 0; i < options.n; i++) {
        await Note.objects.create({ title: `n${i}`, views: i });
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      stdout.write(`${options.n}: ${await Note.objects.count()}`);
    },
  });
  const outputs = [3, 5, 8].map(() => captureOutput());
  await Promise.all(
    [3, 5, 8].map((n, i) =>
      callCommand(count, [String(n), "--database", "pglite:memory"], {
        registry,
        stdout: outputs[i],
      })
    ),
  );
  assert.deepEqual(outputs.map((out) => out.text), ["3: 3\n", "5: 5\n", "8: 8\n"]);
});

Deno.test("a model first defined inside handle finds the run's database", async () => {
  // In a process of its own: no model exists before the command runs, so the run is entered
  // before the ORM asks for its async context.
  const script = `
    import { callCommand, captureOutput, defineCommand, defineModel, field } from ${
    JSON.stringify(new URL("mod.ts", ROOT).href)
  };
    import { registry } from ${JSON.stringify(new URL("commands/_registry.ts", ROOT).href)};
    const late = defineCommand({
      help: "Defines its model when it runs",
      requiresDatabase: true,
      async handle({ db, stdout }) {
        const Tag = defineModel("late.Tag", { name: field.varchar(20) });
        await db.exec("CREATE TABLE late_tag (id bigserial PRIMARY KEY, name varchar(20) NOT NULL)");
        await Tag.objects.create({ name: "a" });
        stdout.write(String(await Tag.objects.count()));
      },
    });
    const stdout = captureOutput();
    await callCommand(late, ["--database", "pglite:memory"], {
      registry,
      stdout,
    });
    console.log(stdout.text.trim());
  `;
  const result = await runProgram(Deno.execPath(), ["eval", "--ext=ts", script], { cwd: ROOT });
  assert.equal(result.stderr, "");
  assert.equal(result.stdout, "1\n");
});
