import assert from "node:assert/strict";
import { argvFromForm, formFields, splitWords } from "../../../apps/web/forms.ts";
import { defineCommand } from "../../../core/command.ts";
import { parseArgs } from "../../../core/parser.ts";
import { UsageError } from "../../../core/errors.ts";

const command = defineCommand({
  help: "Exercises every kind of field",
  arguments: {
    source: { help: "Where from" },
    targets: { nargs: "+", help: "Where to" },
  },
  options: {
    count: { type: "integer", short: "n", default: 1 },
    level: { choices: ["low", "high"], default: "low" },
    dryRun: { type: "boolean" },
    input: { type: "boolean", negatable: true, default: true },
    tag: { multiple: true },
    loud: { type: "count", short: "l" },
    secret: { hidden: true },
  },
  handle: () => {},
});

function form(values: Record<string, string>) {
  return { get: (name: string) => (name in values ? values[name] : null) };
}

Deno.test("a form's fields become the words the command line would be given", () => {
  const argv = argvFromForm(
    command.signature,
    form({
      f_source: "-odd name",
      f_targets: `a "b c" d\\ e`,
      f_count: "3",
      f_level: "high",
      f_dryRun: "on",
      f_tag: "x y",
      f_loud: "2",
      f_verbosity: "1",
      f_traceback: "on",
    }),
  );
  assert.deepEqual(argv, [
    "--count=3",
    "--level=high",
    "--dry-run",
    "--no-input",
    "--tag=x",
    "--tag=y",
    "--loud",
    "--loud",
    "--traceback",
    "--",
    "-odd name",
    "a",
    "b c",
    "d e",
  ]);
  const { values } = parseArgs(command.signature, argv);
  assert.equal(values.source, "-odd name");
  assert.deepEqual(values.targets, ["a", "b c", "d e"]);
  assert.deepEqual(
    [values.count, values.level, values.dryRun, values.input, values.tag, values.loud],
    [3, "high", true, false, ["x", "y"], 2],
  );
});

Deno.test("empty fields add nothing, so the parser's defaults and errors apply", () => {
  const argv = argvFromForm(command.signature, form({ f_input: "on", f_count: "" }));
  assert.deepEqual(argv, []);
  assert.throws(
    () => parseArgs(command.signature, argv, { command: "x" }),
    (e: Error) =>
      e instanceof UsageError &&
      e.message === "the following arguments are required: source, targets",
  );
  assert.throws(() => splitWords(`"open`), /unterminated quote/);
});

Deno.test("a form has selects for choices, checkboxes for flags, required marks, no hidden options", () => {
  const text = formFields(command.signature, undefined).text;
  assert.match(text, /<select name="f_level"/);
  assert.match(text, /type="checkbox" name="f_dryRun"/);
  assert.match(text, /type="checkbox" name="f_input" id="id_f_input" value="on"\s+checked/);
  assert.match(text, /<code>source<\/code>\s*<abbr class="required"/);
  assert.match(text, /one or more values, separated by spaces/);
  assert.doesNotMatch(text, /f_secret|f_help|f_version|f_noColor/);
});

Deno.test("a subcommand's form gives the command's words, its name, then its own", () => {
  const jobs = defineCommand({
    help: "Has subcommands",
    subcommands: {
      show: {
        arguments: { id: { type: "integer" } },
        options: { format: { choices: ["a", "b"] } },
      },
    },
    handle: () => {},
  });
  const argv = argvFromForm(jobs.signature, form({ f_id: "7", f_format: "b" }), "show");
  assert.deepEqual(argv, ["show", "--format=b", "7"]);
  assert.equal(parseArgs(jobs.signature, argv).values.id, 7);
});
