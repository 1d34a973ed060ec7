// `manage completion`: the scripts it prints, run for real in bash, and the words they ask the
// program for, which come from the registry's data alone.

import assert from "node:assert/strict";
import { registry } from "../fixtures/registry.ts";
import completion from "../../commands/completion.ts";
import { callCommand } from "../../core/call_command.ts";
import { UsageError } from "../../core/errors.ts";
import { captureOutput } from "../../core/output.ts";
import type { Registry } from "../../core/registry.ts";
import { sampleProject } from "../_helpers.ts";
import { needs } from "../_requires.ts";

/** Runs `script` in `shell` with a `manage` that runs the `cli.ts` of the project at `root`. */
async function runShell(shell: string, script: string, root: URL): Promise<string> {
  const cli = new URL("cli.ts", root);
  const { code, stdout, stderr } = await new Deno.Command(shell, {
    args: ["-c", script],
    env: { DENO: Deno.execPath(), MANAGE_CLI: decodeURIComponent(cli.pathname), NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  return decoder.decode(stdout);
}

async function words(args: string[], options: { registry?: Registry } = {}): Promise<string[]> {
  const stdout = captureOutput();
  await callCommand(completion, ["--words", ...args], {
    registry: options.registry ?? registry,
    stdout,
  });
  return stdout.text.split("\n").filter((line) => line !== "");
}

async function script(shell: string): Promise<string> {
  const stdout = captureOutput();
  await callCommand(completion, [shell], { registry, stdout });
  return stdout.text;
}

Deno.test(needs("bash", {
  name: "the bash script completes command names, then the command's flags",
  async fn() {
    // The project without myapp, with the fixture app sample (greet_user, show_status).
    await using project = await sampleProject();
    const output = await runShell(
      "bash",
      `
manage() { "$DENO" run -A "$MANAGE_CLI" "$@"; }
eval "$(manage completion bash)"
echo "spec: $(complete -p manage)"
COMP_WORDS=(manage gre); COMP_CWORD=1; _manage_completion
echo "names: \${COMPREPLY[*]}"
COMP_WORDS=(manage show_status --ver); COMP_CWORD=2; _manage_completion
echo "flags: \${COMPREPLY[*]}"
COMP_WORDS=(manage show_status ""); COMP_CWORD=2; _manage_completion
echo "positional: \${COMPREPLY[*]}"
COMP_WORDS=(manage no_such_command --ver); COMP_CWORD=2; _manage_completion
echo "unknown: \${COMPREPLY[*]}"
`,
      project.root,
    );
    const lines = Object.fromEntries(
      output.trim().split("\n").map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon), line.slice(colon + 1).trim().split(/\s+/).filter(Boolean)];
      }),
    );
    assert.deepEqual(lines.spec, [
      "complete",
      "-o",
      "default",
      "-F",
      "_manage_completion",
      "manage",
    ]);
    assert.ok(lines.names.includes("greet_user"), output);
    assert.ok(!lines.names.includes("show_status"), output);
    for (const flag of ["--verbose", "--verbosity", "--version"]) {
      assert.ok(lines.flags.includes(flag), output);
    }
    assert.ok(lines.flags.every((flag: string) => flag.startsWith("--ver")), output);
    // No subcommands: nothing, so bash falls back to file names (-o default).
    assert.deepEqual(lines.positional, []);
    assert.deepEqual(lines.unknown, []);
  },
}));

Deno.test(needs("bash", {
  name: "the bash script is valid bash",
  async fn() {
    const { code, stderr } = await new Deno.Command("bash", {
      args: ["-n", "-c", await script("bash")],
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
  },
}));

Deno.test(needs("shellcheck", {
  name: "the bash script passes shellcheck",
  async fn() {
    // SC2207 (split the output of compgen into COMPREPLY) is how completion functions fill it;
    // the words are command names and flags, which hold no spaces.
    const child = new Deno.Command("shellcheck", {
      args: ["--shell=bash", "--exclude=SC2207", "-"],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(await script("bash")));
    await writer.close();
    const { code, stdout } = await child.output();
    assert.equal(code, 0, new TextDecoder().decode(stdout));
  },
}));

Deno.test("the zsh and fish scripts ask the program for the words", async () => {
  const zsh = await script("zsh");
  assert.match(zsh, /^#compdef manage\n/);
  assert.match(zsh, /manage completion --words/);
  assert.match(zsh, /\ncompdef _manage_completion manage\n$/);
  const fish = await script("fish");
  assert.match(fish, /manage completion --words/);
  assert.match(fish, /\ncomplete -c manage -f /);
});

Deno.test(needs("zsh", {
  name: "the zsh script is valid zsh",
  async fn() {
    const { code, stderr } = await new Deno.Command("zsh", {
      args: ["-n", "-c", await script("zsh")],
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
  },
}));

Deno.test(needs("fish", {
  name: "the fish script is valid fish",
  async fn() {
    const { code, stderr } = await new Deno.Command("fish", {
      args: ["--no-execute", "-c", await script("fish")],
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
  },
}));

Deno.test("--words with an empty command prints every command name, sorted", async () => {
  const names = registry.commands.map((entry) => entry.name).sort();
  assert.deepEqual(await words([""]), names);
  assert.ok(names.includes("completion") && names.includes("greet_user"));
});

Deno.test("--words with a command prints that command's flags", async () => {
  const flags = await words(["show_status"]);
  assert.deepEqual(flags, registry.commands.find((entry) => entry.name === "show_status")!.flags);
  for (const flag of ["--verbose", "--verbosity", "--version", "-h", "--no-color"]) {
    assert.ok(flags.includes(flag), flag);
  }
});

Deno.test("--words with an unknown command prints nothing", async () => {
  assert.deepEqual(await words(["no_such_command"]), []);
});

Deno.test("--words takes subcommands and flags from the registry without loading modules", async () => {
  let loaded = 0;
  const load = () => {
    loaded++;
    return Promise.reject(new Error("a command module was loaded"));
  };
  const fake: Registry = {
    commands: [
      {
        name: "jobs",
        app: "queue",
        summary: "Manages jobs",
        module: "apps/queue/commands/jobs.ts",
        flags: ["--format", "-h", "--help"],
        subcommands: ["list", "run"],
        load,
      },
      { name: "alpha", app: "queue", summary: "", module: "a.ts", flags: ["-h"], load },
    ],
    checks: [],
  };
  const stdout = captureOutput();
  await callCommand(completion, ["--words", "jobs"], { registry: fake, stdout });
  assert.equal(stdout.text, "list\nrun\n--format\n-h\n--help\n");
  assert.deepEqual(await words([""], { registry: fake }), ["alpha", "jobs"]);
  assert.equal(loaded, 0);
});

Deno.test("a shell is required unless --words is given, and must be one of the choices", async () => {
  for (const args of [[], ["tcsh"]]) {
    await assert.rejects(
      callCommand(completion, args, { registry, stdout: captureOutput() }),
      (error: unknown) => error instanceof UsageError && error.returncode === 2,
    );
  }
});
