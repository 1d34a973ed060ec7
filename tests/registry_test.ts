// The generated registry: static (literal) imports only, complete, deterministic, checked for
// staleness, and errors that name the file. And no run-time discovery anywhere.

import assert from "node:assert/strict";
import { registry } from "../commands/_registry.ts";
import { buildRegistry } from "../scripts/build_registry.ts";
import { fileURLToPath } from "node:url";
import { taskFlags } from "../scripts/launcher.ts";
import { registeredModules } from "../scripts/registry_files.ts";
import { copyProject, ROOT, runProgram, sampleProject } from "./_helpers.ts";
import { registry as sampleRegistry } from "./fixtures/registry.ts";

Deno.test("the registry imports modules only through string-literal specifiers", async () => {
  const source = await Deno.readTextFile(new URL("commands/_registry.ts", ROOT));
  const imports = [...source.matchAll(/\bimport\s*\(([^)]*)\)/g)].map((m) => m[1].trim());
  assert.equal(
    imports.length,
    registry.commands.length + registry.checks.length + (registry.migrations?.length ?? 0) +
      (registry.models?.length ?? 0) + (registry.schedules?.length ?? 0) +
      (registry.database ? 1 : 0),
  );
  for (const specifier of imports) assert.match(specifier, /^"\.{1,2}\/[\w/.-]+\.ts"$/);
  assert.doesNotMatch(
    source,
    /import\s*\(\s*`/,
    "template literals would make Deno discover files at run time",
  );
  assert.doesNotMatch(source, /Deno\.readDir|import\.meta\.dirname/);
});

Deno.test("the checked-in registry is what the build script generates", async () => {
  const { source, errors } = await buildRegistry(ROOT);
  assert.deepEqual(errors, []);
  assert.equal(source, await Deno.readTextFile(new URL("commands/_registry.ts", ROOT)));
});

Deno.test("every registered module exists and default-exports a command", async () => {
  const { toCommand } = await import("../core/command_class.ts");
  for (const entry of registry.commands) {
    const module = await entry.load();
    const command = toCommand(module.default, entry.module);
    assert.equal(command.help.trim().split("\n")[0], entry.summary, entry.module);
  }
});

/**
 * Modules that list a folder, and why that is no discovery: none of them looks for commands.
 */
const LISTS_ITS_OWN_FOLDER: Record<string, string> = {
  "commands/_docs/mod.ts": "manage docs compares its own output folder with the reference",
  "commands/test.ts": "manage test copies its migrated template of the embedded test database",
};

Deno.test("no framework module lists a folder at run time", async () => {
  const visit = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      if (entry.isDirectory) {
        await visit(`${dir}${entry.name}/`);
        continue;
      }
      const path = dir + entry.name;
      if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
      if (path in LISTS_ITS_OWN_FOLDER) continue;
      const text = await Deno.readTextFile(new URL(path, ROOT));
      assert.doesNotMatch(text, /Deno\.readDir/, `${path} calls Deno.readDir`);
    }
  };
  for (const dir of ["core/", "commands/"]) await visit(dir);
});

Deno.test("cli.ts lists and runs commands with every file read denied", async () => {
  // The project without myapp, with the fixture app sample: the same commands as the in-process
  // tests' registry.
  await using project = await sampleProject();
  const help = await project.run(["help", "--commands"], {
    permissions: ["--allow-env", "--deny-read"],
  });
  assert.equal(help.code, 0, help.stderr);
  assert.deepEqual(
    help.stdout.trim().split("\n"),
    sampleRegistry.commands.map((c) => c.name).sort(),
  );
  const greet = await project.run(["greet_user", "John"], {
    permissions: ["--allow-env", "--deny-read"],
  });
  assert.equal(greet.stdout, "Hello, John!\n");
  assert.equal(greet.code, 0);
});

Deno.test("help and a command run with read access to their module files only, no folder", async () => {
  // Under the manage task's lazy imports a module is read when it is imported, with the run's
  // permissions: grant exactly the files of the program's module graph (the registered modules
  // and what they import) and no folder, so that any listing of a folder fails. In a copy without
  // myapp, with the fixture app sample.
  await using project = await sampleProject();
  const root = project.root;
  const { stdout } = await runProgram(Deno.execPath(), ["info", "--json", "cli.ts"], { cwd: root });
  const files = (JSON.parse(stdout).modules as { specifier: string }[])
    .map((module) => module.specifier)
    .filter((specifier) => specifier.startsWith(root.href))
    .map((specifier) => fileURLToPath(specifier));
  for (const module of registeredModules(sampleRegistry)) {
    assert.ok(files.includes(fileURLToPath(new URL(module, root))), module);
  }
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const flags = [
    ...taskFlags(config.tasks.manage)!.filter((flag) => !flag.startsWith("--allow-")),
    "--allow-env",
    `--allow-read=${files.join(",")}`,
    "--no-prompt",
  ];
  assert.ok(flags.includes("--unstable-lazy-dynamic-imports"));
  const help = await project.run(["help"], { permissions: flags });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /\[sample\]\n(.*\n)* {4}greet_user {2,}Greets a user by name\n/);
  const greet = await project.run(["greet_user", "John"], { permissions: flags });
  assert.deepEqual(greet, { code: 0, stdout: "Hello, John!\n", stderr: "" });
  // The grant is narrow enough to matter: a folder cannot be listed with it.
  const probe = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      probe,
      `try { Deno.readDirSync(${JSON.stringify(fileURLToPath(new URL("apps/", root)))}); } ` +
        `catch (e) { console.log(e.name); }`,
    );
    const listing = await runProgram(Deno.execPath(), ["run", ...flags, probe], { cwd: root });
    assert.equal(listing.stdout.trim(), "NotCapable");
  } finally {
    await Deno.remove(probe);
  }
});

Deno.test("registry build errors name the files", async (t) => {
  await using project = await copyProject();
  const command = (help: string) =>
    `import { defineCommand } from "../../../mod.ts";\nexport default defineCommand({ help: "${help}", handle() {} });\n`;

  await t.step("two apps defining one command", async () => {
    await Deno.mkdir(new URL("apps/alpha/commands/", project.root), { recursive: true });
    await Deno.mkdir(new URL("apps/beta/commands/", project.root), { recursive: true });
    await Deno.writeTextFile(new URL("apps/alpha/commands/sync.ts", project.root), command("A"));
    await Deno.writeTextFile(new URL("apps/beta/commands/sync.ts", project.root), command("B"));
    const result = await project.buildRegistry();
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /Command 'sync' is defined by two apps: apps\/alpha\/commands\/sync\.ts and apps\/beta\/commands\/sync\.ts/,
    );
    await Deno.remove(new URL("apps/beta/", project.root), { recursive: true });
  });

  await t.step("a file that does not default-export a command", async () => {
    await Deno.writeTextFile(
      new URL("apps/alpha/commands/oops.ts", project.root),
      "export const x = 1;\n",
    );
    const result = await project.buildRegistry();
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /apps\/alpha\/commands\/oops\.ts does not default-export a command/,
    );
    await Deno.remove(new URL("apps/alpha/commands/oops.ts", project.root));
  });

  await t.step("a command with a broken declaration", async () => {
    await Deno.writeTextFile(
      new URL("apps/alpha/commands/broken.ts", project.root),
      `import { defineCommand } from "../../../mod.ts";\nexport default defineCommand({ help: "x", options: { alpha: { short: "v" } }, handle() {} });\n`,
    );
    const result = await project.buildRegistry();
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /apps\/alpha\/commands\/broken\.ts: Flag -v is used by both 'alpha' and 'verbosity'/,
    );
    await Deno.remove(new URL("apps/alpha/commands/broken.ts", project.root));
  });

  await t.step(
    "files starting with _ and tests are skipped; --check sees a new command",
    async () => {
      await Deno.writeTextFile(
        new URL("apps/alpha/commands/_private.ts", project.root),
        "export const x = 1;\n",
      );
      await Deno.writeTextFile(
        new URL("apps/alpha/commands/sync_test.ts", project.root),
        "export const x = 1;\n",
      );
      const check = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "scripts/build_registry.ts", "--check"],
        cwd: project.root,
        stderr: "piped",
        stdout: "piped",
      }).output();
      assert.equal(check.code, 1);
      assert.match(
        new TextDecoder().decode(check.stderr),
        /commands\/_registry\.ts is out of date: run `deno task registry`/,
      );
      const built = await project.buildRegistry();
      assert.equal(built.code, 0, built.stderr);
      const source = await Deno.readTextFile(new URL("commands/_registry.ts", project.root));
      assert.match(source, /"apps\/alpha\/commands\/sync\.ts"/);
      assert.doesNotMatch(source, /_private|sync_test/);
      const again = await project.buildRegistry();
      assert.match(again.stdout, /^Unchanged/);
      const run = await project.run(["sync"]);
      assert.equal(run.code, 0, run.stderr);
      const help = await project.run(["help"]);
      assert.match(help.stdout, /\[alpha\]\n {4}sync +A\n/);
    },
  );
});
