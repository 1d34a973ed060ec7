// End-to-end runs of the real cli.ts in a copy of the project with the fixture apps installed:
// exit codes, error lines, tracebacks, signals, permissions, colour, checks.

import assert from "node:assert/strict";
import { CLI_PERMISSIONS, fixtureApp, type Project, sampleProject } from "./_helpers.ts";

Deno.test("cli.ts end to end", async (t) => {
  // The fixture apps fixtures and sample (whose greet_user the nested command calls), no myapp.
  await using project: Project = await sampleProject(await fixtureApp("fixtures"));

  await t.step("a CommandError prints one line and exits with its returncode", async () => {
    const result = await project.run(["fail_with_code"]);
    assert.equal(result.code, 3);
    assert.equal(result.stderr, "CommandError: Nothing to do here\n");
    assert.equal(result.stdout, "");
  });

  await t.step("--traceback shows the stack of a CommandError", async () => {
    const result = await project.run(["fail_with_code", "--traceback"]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^CommandError: Nothing to do here\n\s+at /);
  });

  await t.step("a bug prints one line and a hint, exit 1, no stack", async () => {
    const result = await project.run(["crash"]);
    assert.equal(result.code, 1);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^TypeError: /);
    assert.equal(lines[1], "Run the command again with --traceback to see the stack trace.");
  });

  await t.step("--traceback prints the stack of a bug", async () => {
    const result = await project.run(["crash", "--traceback"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^TypeError: .*\n\s+at .*crash\.ts/);
  });

  await t.step("a missing permission is one line naming it, and a line with its flag", async () => {
    // A project that narrowed its reads to its own folder.
    const permissions = CLI_PERMISSIONS.map((flag) =>
      flag === "--allow-read" ? "--allow-read=." : flag
    );
    const result = await project.run(["read_outside"], { permissions });
    assert.equal(result.code, 1);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^PermissionError: Requires read access to "\/etc\/hostname"$/);
    assert.equal(
      lines[1],
      "The read_outside command needs a permission this run was not given: add " +
        '--allow-read=/etc/hostname to the manage task in deno.json (see README, "Permissions")',
    );
  });

  await t.step("SIGINT aborts ctx.signal, clean-ups run, exit 130", async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "cli.ts", "wait_for_signal"],
      cwd: project.root,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    while (!seen.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value);
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value);
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(seen, "ready\nstopping after SIGINT\ncleaned up\n");
    assert.equal(status.code, 130);
  });

  await t.step("SIGTERM exits 143 after clean-up", async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "cli.ts", "wait_for_signal"],
      cwd: project.root,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    child.kill("SIGTERM");
    let seen = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    assert.equal((await child.status).code, 143);
    assert.match(seen, /cleaned up/);
  });

  await t.step("colour is off without a terminal and on with --force-color", async () => {
    const plain = await project.run(["styled"]);
    assert.equal(plain.stdout, "ok\n");
    assert.equal(plain.stderr, "bad\n");
    const forced = await project.run(["styled", "--force-color"]);
    assert.equal(forced.stdout, "\x1b[32;1mok\x1b[0m\n");
    assert.equal(forced.stderr, "\x1b[31;1mbad\x1b[0m\n");
    const env = await project.run(["styled"], { env: { FORCE_COLOR: "1" } });
    assert.equal(env.stdout, "\x1b[32;1mok\x1b[0m\n");
    const noColor = await project.run(["styled"], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    assert.equal(noColor.stdout, "ok\n");
    const light = await project.run(["styled", "--force-color"], {
      env: { MANAGE_COLORS: "light;success=blue,underscore" },
    });
    assert.equal(light.stdout, "\x1b[34;4mok\x1b[0m\n");
    const none = await project.run(["styled", "--force-color"], {
      env: { MANAGE_COLORS: "nocolor" },
    });
    assert.equal(none.stdout, "ok\n");
  });

  await t.step("typed options, counters, repeatable options, env fallback", async () => {
    const result = await project.run(
      ["typed", "a.txt", "-n", "3", "--mode=fast", "--tag", "x", "--tag=y", "-lll", "b.txt"],
      { env: { FIXTURE_TOKEN: "from-env" } },
    );
    assert.equal(result.stderr, "");
    assert.deepEqual(JSON.parse(result.stdout), {
      files: ["a.txt", "b.txt"],
      count: 3,
      mode: "fast",
      tag: ["x", "y"],
      level: 3,
      token: "from-env",
      json: false,
      yaml: false,
    });
  });

  await t.step("usage errors exit 2 with the usage line", async () => {
    const result = await project.run(["typed", "--json", "--yaml"]);
    assert.equal(result.code, 2);
    const lines = result.stderr.trimEnd().split("\n");
    assert.match(lines[0], /^usage: manage typed /);
    assert.equal(
      lines.at(-1),
      "manage typed: error: argument --yaml: not allowed with argument --json",
    );
    const bad = await project.run(["typed", "--count", "x"]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /manage typed: error: argument -n\/--count: invalid int value: 'x'\n$/,
    );
  });

  await t.step(
    "a command's string result is written to stdout; nested callCommand shares stdout",
    async () => {
      const result = await project.run(["nested"]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, "Hello, Ann!\nnested done\n");
    },
  );

  await t.step("an app's command replaces the built-in of the same name", async () => {
    const result = await project.run(["version"]);
    assert.equal(result.stdout, "fixtures version\n");
    const help = await project.run(["help"]);
    assert.match(help.stdout, /\[fixtures\][^[]*version/);
    assert.doesNotMatch(help.stdout, /\[manage\][^[]*version/);
  });

  await t.step(
    "requiresSystemChecks runs the app's checks first; --skip-checks skips them",
    async () => {
      const result = await project.run(["checked"]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, "checked ran\n");
      assert.match(result.stderr, /fixtures: \(fixtures\.W001\) The fixtures app is installed\./);
      const skipped = await project.run(["checked", "--skip-checks"]);
      assert.equal(skipped.stderr, "");
      const help = await project.run(["checked", "--help"]);
      assert.match(help.stdout, /--skip-checks/);
      const other = await project.run(["typed", "--help"]);
      assert.doesNotMatch(other.stdout, /--skip-checks/);
    },
  );

  await t.step("check reports warnings, and fails at --fail-level WARNING", async () => {
    const ok = await project.run(["check"]);
    assert.equal(ok.code, 0);
    assert.equal(
      ok.stderr,
      "System check identified some issues:\n\nWARNINGS:\nfixtures: (fixtures.W001) The fixtures app is installed.\n" +
        "\tHINT: Remove it outside tests.\n\nSystem check identified 1 issue (0 silenced).\n",
    );
    const failing = await project.run(["check", "--fail-level", "WARNING"]);
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /^SystemCheckError: System check identified some issues:/);
    const onlySample = await project.run(["check", "sample"]);
    assert.equal(onlySample.stdout, "System check identified no issues (0 silenced).\n");
  });
});
