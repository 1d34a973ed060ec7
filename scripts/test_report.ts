/**
 * Reads the JUnit report of `deno task test --junit-path=…` and says what ran: every ignored test
 * and step with its reason, every failure, and a closing line of passed, failed and ignored. It
 * fails (exit 1) when a test failed, when nothing passed, when a test is ignored without a reason
 * (tests say why with `needs()` from `tests/_requires.ts`), and with `--ci` when fewer tests or
 * steps ran than `tests/expected_counts.json` declares: a run cannot pass by skipping.
 *
 * ```sh
 * deno task test --junit-path=.manage/test-report.xml
 * deno task test:report .manage/test-report.xml --ci       # as .ci/run does under CI=true
 * deno task test:report .manage/test-report.xml --update   # raise the declared counts to this run's
 * ```
 *
 * @module
 */

import { scriptArgs } from "./_args.ts";

/** One test or step of the report. */
export interface TestCase {
  /** Its name; a step's is its parents' and its own, joined by " > ". */
  name: string;
  /** The test file, as the runner names it (`./tests/x_test.ts`). */
  file: string;
  /** The line it is declared on. */
  line: number;
  /** Passed, failed or ignored. */
  outcome: "passed" | "failed" | "ignored";
}

/** Counts of tests and of steps. */
export interface Counts {
  tests: number;
  steps: number;
}

const ATTRIBUTE = /([\w:-]+)="([^"]*)"/g;
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name.startsWith("#x") || name.startsWith("#X")) {
      return String.fromCodePoint(parseInt(name.slice(2), 16));
    }
    if (name.startsWith("#")) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/**
 * The tests and steps of a JUnit report written by `deno test --junit-path`.
 *
 * @example
 * ```ts
 * import { readJunit } from "./test_report.ts";
 *
 * const xml = '<testcase name="a &gt; b" classname="./x_test.ts" line="3" col="1">\n<skipped/>\n</testcase>';
 * console.assert(readJunit(xml)[0].outcome === "ignored");
 * ```
 */
export function readJunit(xml: string): TestCase[] {
  const cases: TestCase[] = [];
  for (const chunk of xml.split("<testcase ").slice(1)) {
    const head = chunk.slice(0, chunk.indexOf(">"));
    const attributes: Record<string, string> = {};
    for (const [, key, value] of head.matchAll(ATTRIBUTE)) attributes[key] = unescapeXml(value);
    const end = chunk.indexOf("</testcase>");
    const body = end < 0 ? chunk : chunk.slice(0, end);
    cases.push({
      name: attributes.name ?? "",
      file: attributes.classname ?? "",
      line: Number(attributes.line ?? 0),
      outcome: /<(failure|error)\b/.test(body)
        ? "failed"
        : /<skipped\b/.test(body)
        ? "ignored"
        : "passed",
    });
  }
  return cases;
}

function isStep(test: TestCase): boolean {
  return test.name.includes(" > ");
}

/** How many tests and steps had `outcome`. */
export function count(cases: readonly TestCase[], outcome: TestCase["outcome"]): Counts {
  const matching = cases.filter((test) => test.outcome === outcome);
  const steps = matching.filter(isStep).length;
  return { tests: matching.length - steps, steps };
}

/** The tests and steps that ran: passed or failed. */
export function ran(cases: readonly TestCase[]): Counts {
  const passed = count(cases, "passed");
  const failed = count(cases, "failed");
  return { tests: passed.tests + failed.tests, steps: passed.steps + failed.steps };
}

/** A count as the runner writes it: `412 passed (830 steps)`. */
function shown(counts: Counts, what: string): string {
  const steps = counts.steps ? ` (${counts.steps} step${counts.steps > 1 ? "s" : ""})` : "";
  return `${counts.tests} ${what}${steps}`;
}

/** The reason an ignored test gives (`[ignored: …]` in its name), or undefined. */
export function reasonOf(test: TestCase): string | undefined {
  return /\[ignored: (.*)\]$/.exec(test.name)?.[1];
}

/** The counts the suite declares, or undefined when it declares none. */
async function readExpected(path: string): Promise<Counts | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const { tests, steps } = JSON.parse(text);
  return { tests: Number(tests) || 0, steps: Number(steps) || 0 };
}

async function main(argv: readonly string[]): Promise<number> {
  const options = scriptArgs({
    prog: "deno task test:report",
    help: "Says what a test run ran, ignored and failed; fails a run that skipped what it declares",
    arguments: {
      arguments: { report: { type: "path", help: "the JUnit report of deno task test" } },
      options: {
        ci: {
          type: "boolean",
          help: "fail when fewer tests or steps ran than the suite declares (--expected)",
        },
        expected: {
          type: "path",
          default: "tests/expected_counts.json",
          help: "the counts of tests and steps the suite declares",
        },
        update: {
          type: "boolean",
          help: "raise the declared counts to this run's (never lower them)",
        },
      },
    },
  }, argv);
  const xml = await Deno.readTextFile(options.report).catch((error) => {
    console.error(`error: Cannot read the test report ${options.report}: ${error.message}`);
    Deno.exit(1);
  });
  const cases = readJunit(xml);
  const problems: string[] = [];
  // A step is shown where its test is declared (the step itself may be in a shared helper).
  const where = (test: TestCase) => {
    const top = cases.find((c) => c.name === test.name.split(" > ")[0]) ?? test;
    return `${top.file.replace(/^\.\//, "")}:${top.line}`;
  };

  const ignored = cases.filter((test) => test.outcome === "ignored");
  if (ignored.length) console.log(`\nignored, and why:`);
  for (const test of ignored) {
    const reason = reasonOf(test);
    console.log(`  ${where(test)}  ${test.name}${reason ? "" : " [no reason given]"}`);
    if (!reason) problems.push(`${where(test)} is ignored without a reason: use needs()`);
  }
  const failed = cases.filter((test) => test.outcome === "failed");
  if (failed.length) console.log(`\nfailed:`);
  for (const test of failed) console.log(`  ${where(test)}  ${test.name}`);

  const passed = count(cases, "passed");
  const done = ran(cases);
  const declares = await readExpected(options.expected);
  if (declares === undefined && options.ci) {
    problems.push(`${options.expected} is missing: the suite declares no count to check`);
  }
  const expected = declares ?? { tests: 0, steps: 0 };
  if (failed.length) problems.push(`${failed.length} tests or steps failed`);
  if (passed.tests === 0) problems.push("no test passed");
  const short = done.tests < expected.tests || done.steps < expected.steps;
  const declared = `${shown(expected, "are declared")} (${options.expected})`;
  if (short) {
    const message = `${shown(done, "ran")} where ${declared}`;
    if (options.ci) problems.push(message);
    else console.log(`\nnote: ${message}; under CI this fails`);
  }
  if (options.update) {
    const raised = {
      tests: Math.max(expected.tests, done.tests),
      steps: Math.max(expected.steps, done.steps),
    };
    await Deno.writeTextFile(options.expected, JSON.stringify(raised, null, 2) + "\n");
    console.log(
      `\n${options.expected}: ${shown(expected, "tests")} -> ${shown(raised, "tests")}`,
    );
  }
  console.log();
  for (const problem of problems) console.error(`error: ${problem}`);
  console.log(
    `tests: ${shown(passed, "passed")} | ${shown(count(cases, "failed"), "failed")} | ` +
      shown(count(cases, "ignored"), "ignored"),
  );
  return problems.length ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
