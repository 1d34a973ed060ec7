// manage shell, as Django's: `-c CODE`, code piped in, and a prompt at a terminal (history,
// multi-line input, top-level await), with the project's models, db, callCommand and registry
// in scope; on each driver. The commands run in one project copy for the file: without the starter
// app myapp, with the fixture app sample (its model Item).

import assert from "node:assert/strict";
import { join } from "node:path";
import { Item } from "../fixtures/apps/sample/models.ts";
import { registry } from "../fixtures/registry.ts";
import { findCommand } from "../../core/registry.ts";
import { forEachDatabase } from "../_database.ts";
import { sampleProject } from "../_helpers.ts";
import { needs } from "../_requires.ts";
import { runInTerminal } from "../apps/auth/_auth.ts";
import { scan, ShellScope } from "../../commands/_shell_eval.ts";

const project = await sampleProject();
globalThis.addEventListener("unload", () => Deno.removeSync(project.root, { recursive: true }));
const runCli = project.run;

Deno.test("shell -c and code piped in use the models, db and callCommand, on each driver", async (t) => {
  await forEachDatabase(t, async (testDb, step) => {
    const env = { DATABASE_URL: testDb.url };
    const migrated = await runCli(["migrate"], { env });
    assert.equal(migrated.code, 0, migrated.stderr);
    await step.step("-c", async () => {
      const code = "await Item.objects.using(db).create({ name: 'from the shell' });\n" +
        "print(await Item.objects.using(db).count())";
      const result = await runCli(["shell", "-c", code], { env });
      assert.deepEqual(result, { code: 0, stdout: "1\n", stderr: "" });
    });
    await step.step("stdin, declarations kept from line to line", async () => {
      const code = "const qs = Item.objects.using(db)\n" +
        "const rows = await qs.orderBy('id').toArray()\n" +
        "await callCommand('check', [])\n" +
        "print(rows.map((row) => row.name).join(','), Object.keys(models).length > 0)\n";
      const result = await runCli(["shell"], { env, stdin: code });
      assert.equal(result.stderr, "");
      assert.equal(result.code, 0);
      assert.equal(
        result.stdout,
        "System check identified no issues (0 silenced).\nfrom the shell true\n",
      );
    });
    const db = await testDb.open();
    try {
      assert.equal(await Item.objects.using(db).count(), 1);
    } finally {
      await db.close();
    }
  });
});

Deno.test("shell -c: an error exits 1 with one line, as a command error does", async () => {
  const thrown = await runCli(["shell", "-c", "throw new Error('no such thing')"]);
  assert.equal(thrown.code, 1);
  assert.equal(thrown.stdout, "");
  assert.match(thrown.stderr, /^Error: no such thing\n/);
  assert.doesNotMatch(thrown.stderr, / {4}at /);
  const unknown = await runCli(["shell", "-c", "nope()"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^ReferenceError: nope is not defined\n/);
  const cut = await runCli(["shell", "-c", "print(("]);
  assert.equal(cut.code, 1);
  assert.match(cut.stderr, /^SyntaxError: Unexpected end of input\n/);
});

Deno.test("shell runs from the command line only", () => {
  assert.deepEqual(findCommand(registry, "shell")?.runFrom, ["cli"]);
});

Deno.test("the shell's scope: declarations outlive the input, unknown names fail", async () => {
  const scope = new ShellScope({ a: 1 });
  assert.equal(await scope.run("const x = await Promise.resolve(a + 1)"), undefined);
  assert.equal(await scope.run("x * 10"), 20);
  await scope.run("let { p, q } = { p: 1, q: 2 }\nconst [r] = [5];");
  await scope.run("function twice(n) { return n * 2 }\nclass C { m() { return 7 } }");
  assert.equal(await scope.run("twice(p + q + r) + new C().m()"), 23);
  await scope.run("let z;");
  assert.equal(await scope.run("z"), undefined);
  assert.deepEqual(await scope.run("{ a: 1 }"), { a: 1 });
  await scope.run("for (let i = 0; i < 2; i++) { const inner = i }");
  await assert.rejects(scope.run("inner"), ReferenceError);
  assert.equal(scope.incomplete("if (a) {"), true);
  assert.equal(scope.incomplete("`text ${a}"), true);
  assert.equal(scope.incomplete("const done = 1"), false);
  assert.equal(scan("for (let i of []) {}").rewritten, "for (let i of []) {}");
});

Deno.test(needs("python3", {
  name: "shell at a terminal: a prompt, multi-line input, top-level await, history",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const history = join(dir, "history");
      const result = await runInTerminal(
        ["shell"],
        [
          { expect: ">>> ", send: "const n = await Promise.resolve(6)\r" },
          { expect: ">>> ", send: "[n,\r" },
          { expect: "... ", send: "7].reduce((a, b) => a * b)\r" },
          { expect: "42", send: "nope\r" },
          { expect: "ReferenceError: nope is not defined", send: "\x1b[A\x1b[A\r" },
          { expect: ">>> ", send: "\x04" },
        ],
        { MANAGE_SHELL_HISTORY: history },
        { root: project.root },
      );
      assert.equal(result.timeout, false, result.transcript);
      assert.equal(result.code, 0, result.transcript);
      assert.match(result.transcript, /objects in scope: .*Item.*db, callCommand, registry/);
      // Up twice brought back "7].reduce(...)", which alone is an error, not the answer again.
      assert.equal(result.transcript.match(/\b42\b/g)?.length, 1, result.transcript);
      assert.deepEqual((await Deno.readTextFile(history)).trimEnd().split("\n"), [
        "const n = await Promise.resolve(6)",
        "[n,",
        "7].reduce((a, b) => a * b)",
        "nope",
        "7].reduce((a, b) => a * b)",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
