// The built-in commands that write files (makemigrations, makecommand, and the registry they
// rebuild) write each file whole or not at all: run through cli.ts under a file size limit,
// as a full disk would stop them, they fail with one line and leave no half-written file behind.

import assert from "node:assert/strict";
import {
  CLI_PERMISSIONS,
  copyProject,
  type Project,
  type RunResult,
  sampleProject,
} from "../_helpers.ts";

/** Runs `manage <args>` in `project` with files limited to 4 kB (writes past it fail, EFBIG). */
async function runLimited(project: Project, args: string[]): Promise<RunResult> {
  const deno = [Deno.execPath(), "run", "--quiet", ...CLI_PERMISSIONS, "cli.ts", ...args];
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    // Ignored, SIGXFSZ lets the write fail with EFBIG instead of killing the process.
    args: ["-c", 'ulimit -f 4; trap "" XFSZ; exec "$@"', "bash", ...deno],
    cwd: project.root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

async function names(project: Project, dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(new URL(dir, project.root)), (e) => e.name)).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** A model whose first migration is well over 4 kB. */
const WIDE = `import { defineModel, field } from "../../mod.ts";

export const Wide = defineModel("shop.Wide", {
${
  Array.from({ length: 150 }, (_, i) => `  column${i}: field.varchar(100, { null: true }),`).join(
    "\n",
  )
}
});
`;

const registryOf = (project: Project) =>
  Deno.readTextFile(new URL("commands/_registry.ts", project.root));

Deno.test({
  name: "commands that write files leave no half-written file when a write fails",
  ignore: Deno.build.os !== "linux",
  async fn(t) {
    await using project = await copyProject({ "apps/shop/models.ts": WIDE });
    const registry = await registryOf(project);

    await t.step("makemigrations", async () => {
      const result = await runLimited(project, ["makemigrations", "shop"]);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        result.stderr,
        "CommandError: Cannot write apps/shop/migrations/0001_initial.ts: File too large (os error 27)\n",
      );
      assert.deepEqual(await names(project, "apps/shop/migrations/"), []);
      assert.equal(await registryOf(project), registry);
      // Without the limit, it is written whole.
      const again = await project.run(["makemigrations", "shop"]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await names(project, "apps/shop/migrations/"), ["0001_initial.ts"]);
    });

    await t.step("makecommand, and the registry it rebuilds", async () => {
      await using plain = await sampleProject();
      const before = await registryOf(plain);
      // The command's files are small; the registry is not, and stays as it was.
      const result = await runLimited(plain, ["makecommand", "sample", "restock"]);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(await registryOf(plain), before);
      assert.deepEqual(
        (await names(plain, "commands/")).filter((name) => name.startsWith(".")),
        [],
      );
      assert.match(
        result.stderr,
        /^CommandError: The registry could not be rebuilt \(Cannot write commands\/_registry\.ts: File too large \(os error 27\)\): apps\/sample\/commands\/restock\.ts was created; fix this and run `deno task registry`\n$/,
      );
    });
  },
});
