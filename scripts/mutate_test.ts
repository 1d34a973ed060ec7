import assert from "node:assert/strict";
import { applyBreak, type Break, readBreaks } from "./mutate.ts";

const ROOT = new URL("../", import.meta.url);

const BREAK: Break = {
  id: "one",
  promise: "ones stay ones",
  file: "x.ts",
  find: "return 1;",
  replace: "return 2;",
  tests: ["x_test.ts"],
};

Deno.test("every listed break applies to the code as it is, and names test files that exist", async () => {
  const breaks = readBreaks(await Deno.readTextFile(new URL("scripts/breaks.json", ROOT)));
  assert.ok(breaks.length >= 10);
  for (const entry of breaks) {
    const source = await Deno.readTextFile(new URL(entry.file, ROOT));
    const broken = applyBreak(source, entry);
    assert.equal(typeof broken, "string", `${entry.id}: ${JSON.stringify(broken)}`);
    for (const test of entry.tests) {
      assert.ok((await Deno.stat(new URL(test, ROOT))).isFile, `${entry.id}: ${test}`);
    }
  }
});

Deno.test("applyBreak() changes the one place, or says why it cannot", () => {
  assert.equal(applyBreak("a\nreturn 1;\nb", BREAK), "a\nreturn 2;\nb");
  assert.deepEqual(applyBreak("return 3;", BREAK), {
    stale: "x.ts no longer has the line to break",
  });
  assert.deepEqual(applyBreak("return 1; return 1;", BREAK), {
    stale: "x.ts has the line to break more than once: make 'find' longer",
  });
});

Deno.test("readBreaks() refuses an entry that cannot be a break", () => {
  const wrong = (entry: Record<string, unknown>) => JSON.stringify([{ ...BREAK, ...entry }]);
  assert.throws(() => readBreaks(wrong({ find: "" })), /Break 1 \(one\) has no 'find'/);
  assert.throws(
    () => readBreaks(wrong({ replace: "return 1;" })),
    /has no 'replace' that differs from its 'find'/,
  );
  assert.throws(() => readBreaks(wrong({ tests: [] })), /names no 'tests' that guard it/);
  assert.throws(
    () => readBreaks(JSON.stringify([BREAK, BREAK])),
    /Break 'one' is listed twice/,
  );
  assert.deepEqual(readBreaks(wrong({ replace: "" }))[0].replace, "");
});

Deno.test("deno task mutate reads its arguments with the project's parser", async () => {
  const run = async (...args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "scripts/mutate.ts", ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
  };
  const listed = await run("--list");
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^parser-unknown-option \(fast\): /m);
  const unknown = await run("--only", "nope");
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "error: No break named nope: see deno task mutate --list\n");
  const misspelled = await run("--fsat");
  assert.equal(misspelled.code, 2);
  assert.match(
    misspelled.stderr,
    /^usage: deno task mutate .*\ndeno task mutate: error: unrecognized arguments: --fsat \(did you mean --fast\?\)\n$/s,
  );
});
