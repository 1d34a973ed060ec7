import assert from "node:assert/strict";
import { count, ran, readJunit, reasonOf } from "./test_report.ts";

const SCRIPT = new URL("test_report.ts", import.meta.url);

/** A report as `deno test --junit-path` writes it. */
function junit(cases: [name: string, outcome: "passed" | "failed" | "ignored"][]): string {
  const body = cases.map(([name, outcome], i) => {
    const inner = outcome === "failed"
      ? '<failure message="boom">boom</failure>'
      : outcome === "ignored"
      ? "<skipped/>"
      : "";
    const escaped = name.replaceAll("&", "&amp;").replaceAll(">", "&gt;").replaceAll("<", "&lt;");
    return `<testcase name="${escaped}" classname="./tests/x_test.ts" time="0.001" line="${
      i + 1
    }" col="6">\n${inner}\n</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="deno test">\n` +
    `<testsuite name="./tests/x_test.ts">\n${body.join("\n")}\n</testsuite>\n</testsuites>\n`;
}

/** Runs the script on `report`, with `expected` as the declared counts. */
async function report(xml: string, expected: unknown, ...args: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "manage_report_" });
  try {
    await Deno.writeTextFile(`${dir}/report.xml`, xml);
    if (expected !== undefined) {
      await Deno.writeTextFile(`${dir}/expected.json`, JSON.stringify(expected));
    }
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        SCRIPT.href,
        `${dir}/report.xml`,
        "--expected",
        `${dir}/expected.json`,
        ...args,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    const after = JSON.parse(await Deno.readTextFile(`${dir}/expected.json`).catch(() => "null"));
    return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr), after };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const RUN = junit([
  ["parses", "passed"],
  ["database", "passed"],
  ["database > pglite", "passed"],
  ["database > postgres [ignored: no PostgreSQL server: set TEST_DATABASE_URL]", "ignored"],
  ["kills workers [ignored: no PostgreSQL server: set TEST_DATABASE_URL]", "ignored"],
]);

Deno.test("readJunit() reads each test and step with its outcome", () => {
  const cases = readJunit(RUN);
  assert.deepEqual(cases[3], {
    name: "database > postgres [ignored: no PostgreSQL server: set TEST_DATABASE_URL]",
    file: "./tests/x_test.ts",
    line: 4,
    outcome: "ignored",
  });
  assert.deepEqual(count(cases, "passed"), { tests: 2, steps: 1 });
  assert.deepEqual(count(cases, "ignored"), { tests: 1, steps: 1 });
  assert.deepEqual(ran(cases), { tests: 2, steps: 1 });
  assert.equal(reasonOf(cases[4]), "no PostgreSQL server: set TEST_DATABASE_URL");
  assert.equal(reasonOf(cases[0]), undefined);
});

Deno.test("the report lists what was ignored and why, and closes with the counts", async () => {
  const result = await report(RUN, { tests: 2, steps: 1 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /tests\/x_test\.ts:2 {2}database > postgres \[ignored: no PostgreSQL server: set TEST_DATABASE_URL\]\n/,
  );
  assert.ok(
    result.stdout.endsWith("tests: 2 passed (1 step) | 0 failed | 1 ignored (1 step)\n"),
    result.stdout,
  );
});

Deno.test("--ci fails a run of fewer tests or steps than declared", async () => {
  for (const expected of [{ tests: 3, steps: 1 }, { tests: 2, steps: 2 }]) {
    const result = await report(RUN, expected, "--ci");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error: 2 ran \(1 step\) where \d are declared \(\d steps?\)/);
  }
  // Without --ci it is a note, and the run passes.
  const local = await report(RUN, { tests: 3, steps: 1 });
  assert.equal(local.code, 0);
  assert.match(local.stdout, /note: 2 ran \(1 step\) where 3 are declared/);
});

Deno.test("a run where nothing passed fails, even with nothing failed", async () => {
  const result = await report(junit([["only [ignored: no zsh: apt-get install zsh]", "ignored"]]), {
    tests: 0,
    steps: 0,
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /error: no test passed/);
  assert.ok(result.stdout.endsWith("tests: 0 passed | 0 failed | 1 ignored\n"), result.stdout);
});

Deno.test("a failure, or a test ignored without a reason, fails the run", async () => {
  const failed = await report(junit([["a", "passed"], ["b", "failed"]]), { tests: 0, steps: 0 });
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /failed:\n {2}tests\/x_test\.ts:2 {2}b\n/);
  const silent = await report(junit([["a", "passed"], ["b", "ignored"]]), { tests: 0, steps: 0 });
  assert.equal(silent.code, 1);
  assert.match(silent.stderr, /tests\/x_test\.ts:2 is ignored without a reason: use needs\(\)/);
});

Deno.test("--update raises the declared counts, never lowers them", async () => {
  const raised = await report(RUN, { tests: 1, steps: 0 }, "--update");
  assert.deepEqual(raised.after, { tests: 2, steps: 1 });
  const kept = await report(RUN, { tests: 5, steps: 0 }, "--update");
  assert.deepEqual(kept.after, { tests: 5, steps: 1 });
});

Deno.test("--ci fails when the suite declares no count", async () => {
  const result = await report(RUN, undefined, "--ci");
  assert.equal(result.code, 1);
  assert.match(result.stderr, /expected\.json is missing: the suite declares no count to check/);
});
