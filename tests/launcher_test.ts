// The `./manage` launcher: generated from the manage task in deno.json (the one place the flags
// are declared), checked for staleness with the registry, shellcheck-clean, and running cli.ts
// with the task's flags from the project folder, as `deno task manage` does.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { launcherSource, taskFlags } from "../scripts/launcher.ts";
import { copyProject, ROOT, runProgram, sampleProject } from "./_helpers.ts";
import { needs } from "./_requires.ts";

const CONFIG = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));

Deno.test("./manage is generated from the manage task, executable, and starts deno run once", async () => {
  const source = await Deno.readTextFile(new URL("manage", ROOT));
  assert.equal(source, launcherSource(CONFIG.tasks.manage));
  const flags = taskFlags(CONFIG.tasks.manage)!;
  const exec = source.split("\n").filter((line) => /\bdeno\b/.test(line) && !line.startsWith("#"));
  assert.deepEqual(exec, [`exec deno run ${flags.join(" ")} cli.ts "$@"`]);
  assert.ok(((await Deno.stat(new URL("manage", ROOT))).mode ?? 0o755) & 0o100);
});

Deno.test("the manage task loads the registry's modules lazily: only the command that runs", () => {
  assert.ok(taskFlags(CONFIG.tasks.manage)!.includes("--unstable-lazy-dynamic-imports"));
});

Deno.test("taskFlags() takes every flag of deno run and refuses other task shapes", () => {
  assert.deepEqual(taskFlags(`deno run -q "--allow-read=a b" cli.ts`), ["-q", "--allow-read=a b"]);
  assert.equal(taskFlags("deno task other"), undefined);
  assert.equal(taskFlags("deno run cli.ts && echo done"), undefined);
  assert.match(launcherSource(`deno run "--allow-read=a b" cli.ts`), /'--allow-read=a b' cli\.ts/);
});

Deno.test("registry --check fails when the manage task changed and ./manage did not", async () => {
  await using project = await copyProject();
  const config = new URL("deno.json", project.root);
  const text = await Deno.readTextFile(config);
  await Deno.writeTextFile(
    config,
    text.replace("--allow-sys cli.ts", "--allow-sys --allow-ffi cli.ts"),
  );
  const registry = (...args: string[]) =>
    runProgram(Deno.execPath(), ["run", "-A", "scripts/build_registry.ts", ...args], {
      cwd: project.root,
    });
  const stale = await registry("--check");
  assert.equal(stale.code, 1);
  assert.match(
    stale.stderr,
    /\.\/manage does not match the manage task in deno\.json: run `deno task registry`/,
  );
  const written = await registry();
  assert.equal(written.code, 0, written.stderr);
  assert.match(await Deno.readTextFile(new URL("manage", project.root)), /--allow-ffi cli\.ts/);
  assert.equal((await registry("--check")).code, 0);
});

Deno.test("./manage runs a command, from the project folder and from a folder below it", async () => {
  await using project = await sampleProject({
    "apps/sample/commands/where.ts": 'import { defineCommand } from "../../../mod.ts";\n' +
      'export default defineCommand({ help: "Prints the working directory", ' +
      "handle({ cwd, stdout }) { stdout.write(cwd); } });\n",
  });
  const root = fileURLToPath(project.root).replace(/\/$/, "");
  const here = await runProgram(`${root}/manage`, ["greet_user", "John"], { cwd: root });
  assert.deepEqual(here, { code: 0, stdout: "Hello, John!\n", stderr: "" });
  // Paths a user names are read from where they typed the command: INIT_CWD, as deno task sets.
  const below = await runProgram("../../manage", ["where"], { cwd: `${root}/apps/sample` });
  assert.deepEqual(below, { code: 0, stdout: `${root}/apps/sample\n`, stderr: "" });
  const usage = await runProgram(`${root}/manage`, ["greet_user"], { cwd: root });
  assert.equal(usage.code, 2);
});

Deno.test(needs("shellcheck", {
  name: "./manage passes shellcheck",
  fn: async () => {
    const result = await runProgram("shellcheck", ["--shell=sh", "manage"], { cwd: ROOT });
    assert.equal(result.code, 0, result.stdout);
  },
}));
