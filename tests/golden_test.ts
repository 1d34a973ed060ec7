// Help and error output of the real `cli.ts`, colours off, 80 columns, compared with the files
// in tests/golden/. The commands are those of the fixture app tests/fixtures/apps/sample/, in a
// copy of the project without the starter app myapp. After an intended change:
// `UPDATE_GOLDEN=1 deno task test tests/golden_test.ts`.

import assert from "node:assert/strict";
import { ROOT, sampleProject } from "./_helpers.ts";

const CASES: Record<string, string[]> = {
  "help": ["help"],
  "no_arguments": [],
  "help_commands": ["help", "--commands"],
  "help_greet_user": ["help", "greet_user"],
  "greet_user_dash_h": ["greet_user", "-h"],
  "show_status_help": ["show_status", "--help"],
  "greet_user_john": ["greet_user", "John"],
  "greet_user_missing_name": ["greet_user"],
  "greet_user_extra_argument": ["greet_user", "John", "Smith"],
  "show_status_verbose": ["show_status", "--verbose"],
  "show_status_regular": ["show_status"],
  "show_status_misspelled_option": ["show_status", "--verbse"],
  "show_status_bad_verbosity": ["show_status", "-v", "7"],
  "show_status_verbosity_not_a_number": ["show_status", "--verbosity", "high"],
  "unknown_command": ["greet_usr"],
  "unknown_command_no_match": ["frobnicate"],
  "help_unknown_command": ["help", "greet_usr"],
  "no_color_and_force_color": ["show_status", "--no-color", "--force-color"],
  "version": ["--version"],
  "check": ["check"],
};

const update = Deno.env.get("UPDATE_GOLDEN") === "1";

function render(args: string[], result: { code: number; stdout: string; stderr: string }): string {
  return [
    `$ manage ${args.join(" ")}`.trimEnd(),
    `exit code: ${result.code}`,
    "--- stdout",
    result.stdout,
    "--- stderr",
    result.stderr,
  ].join("\n");
}

Deno.test("help and error output match the golden files", async (t) => {
  await using project = await sampleProject();
  for (const [name, args] of Object.entries(CASES)) {
    await t.step(`manage ${args.join(" ")}`, async () => {
      const file = new URL(`tests/golden/${name}.txt`, ROOT);
      const actual = render(args, await project.run(args));
      if (update) {
        await Deno.writeTextFile(file, actual);
        return;
      }
      let expected: string;
      try {
        expected = await Deno.readTextFile(file);
      } catch {
        throw new Error(
          `No golden file tests/golden/${name}.txt: run with UPDATE_GOLDEN=1 to write it`,
        );
      }
      assert.equal(actual, expected);
    });
  }
});
