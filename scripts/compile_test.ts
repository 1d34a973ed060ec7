import assert from "node:assert/strict";
import {
  defaultOutput,
  embeddedFiles,
  missingModules,
  permissionFlags,
  requiredModules,
  TARGETS,
} from "./compile.ts";
import { copyProject, type Project } from "../tests/_helpers.ts";
import { withSubpaths } from "./_build.ts";

const MANAGE_TASK =
  "deno run --allow-read=. --allow-write=. --allow-env --allow-run --allow-net --allow-sys cli.ts";

/** A stand-in for a compiled binary: runtime bytes, the file tree, then the files' bytes. */
function fakeBinary(tree: unknown, extra = ""): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(tree));
  const runtime = new Uint8Array(4096).map((_, i) => (i * 31) % 251);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
  const rest = new TextEncoder().encode(`\0\0${extra}`);
  const bytes = new Uint8Array(runtime.length + length.length + json.length + rest.length);
  bytes.set(runtime);
  bytes.set(length, runtime.length);
  bytes.set(json, runtime.length + length.length);
  bytes.set(rest, runtime.length + length.length + json.length);
  return bytes;
}

const file = (n: string) => ({ File: { n, o: [0, 10], u: true, m: [10, 8], s: [18, 4], t: 1 } });
const dir = (n: string, ...e: unknown[]) => ({ Dir: { n, e } });

const PROJECT_TREE = [
  dir("apps", dir("myapp", dir("commands", file("greet_user.ts"), file("show_status.ts")))),
  file("cli.ts"),
  dir("commands", file("_registry.ts"), file("help.ts"), file("version.ts")),
  dir("core", file("main.ts"), file("registry.ts")),
  file("mod.ts"),
];

Deno.test("permissionFlags() takes the permission flags of the manage task", () => {
  assert.deepEqual(permissionFlags(MANAGE_TASK), [
    "--allow-read=.",
    "--allow-write=.",
    "--allow-env",
    "--allow-run",
    "--allow-net",
    "--allow-sys",
  ]);
});

Deno.test("permissionFlags() keeps deny, ignore and short permission flags, in order", () => {
  assert.deepEqual(
    permissionFlags("deno run -A --deny-net=example.com -R=. --ignore-env=HOME --no-prompt x.ts"),
    ["-A", "--deny-net=example.com", "-R=.", "--ignore-env=HOME", "--no-prompt"],
  );
  assert.deepEqual(permissionFlags("deno run -P=manage cli.ts"), ["-P=manage"]);
});

Deno.test("permissionFlags() leaves out other flags and the program's arguments", () => {
  assert.deepEqual(
    permissionFlags(
      "deno run --check --config deno.json --allow-env --v8-flags=--max-old-space-size=99 cli.ts " +
        "--allow-read help",
    ),
    ["--allow-env"],
  );
  assert.deepEqual(permissionFlags("deno run --allow-env ./cli.ts --deny-env"), ["--allow-env"]);
  assert.deepEqual(permissionFlags("deno run --allow-env main.js && deno run -A x.ts"), [
    "--allow-env",
  ]);
  assert.deepEqual(permissionFlags("deno run cli.ts"), []);
  assert.deepEqual(permissionFlags(""), []);
});

Deno.test("permissionFlags() removes shell quotes", () => {
  assert.deepEqual(
    permissionFlags(`deno run --allow-read="./a b" '--allow-run=git,ps' cli.ts`),
    ["--allow-read=./a b", "--allow-run=git,ps"],
  );
});

Deno.test("embeddedFiles() reads the file tree, not the folder lists nested in it", () => {
  assert.deepEqual(embeddedFiles(fakeBinary(PROJECT_TREE)), [
    "apps/myapp/commands/greet_user.ts",
    "apps/myapp/commands/show_status.ts",
    "cli.ts",
    "commands/_registry.ts",
    "commands/help.ts",
    "commands/version.ts",
    "core/main.ts",
    "core/registry.ts",
    "mod.ts",
  ]);
  assert.equal(embeddedFiles(new TextEncoder().encode("no tree here")), undefined);
  assert.equal(embeddedFiles(new Uint8Array()), undefined);
});

Deno.test("missingModules() is empty when every module is embedded", () => {
  const binary = fakeBinary(PROJECT_TREE);
  assert.deepEqual(
    missingModules(binary, [
      "apps/myapp/commands/greet_user.ts",
      "commands/help.ts",
      "./commands/version.ts",
    ]),
    [],
  );
  assert.deepEqual(missingModules(binary, []), []);
});

Deno.test("missingModules() names every module missing, in order", () => {
  const binary = fakeBinary(PROJECT_TREE);
  assert.deepEqual(
    missingModules(binary, [
      "commands/check.ts",
      "commands/help.ts",
      "apps/other/commands/greet_user.ts",
      "apps/myapp/checks.ts",
    ]),
    ["commands/check.ts", "apps/other/commands/greet_user.ts", "apps/myapp/checks.ts"],
  );
});

Deno.test("missingModules() does not count a path that only occurs as text", () => {
  // The registry's own source, embedded in every binary, holds every module's path.
  const source = 'module: "commands/check.ts",\nload: () => import(name),';
  const binary = fakeBinary(PROJECT_TREE, source);
  assert.deepEqual(missingModules(binary, ["commands/check.ts"]), ["commands/check.ts"]);
  assert.deepEqual(
    missingModules(new TextEncoder().encode(source), ["commands/check.ts"]),
    ["commands/check.ts"],
  );
});

Deno.test("missingModules() matches below a tree rooted above the project", () => {
  const binary = fakeBinary([dir("main", ...PROJECT_TREE), dir("shared", file("util.ts"))]);
  assert.deepEqual(missingModules(binary, ["commands/help.ts", "core/nope.ts"]), ["core/nope.ts"]);
});

Deno.test("defaultOutput() names the binary after its target", () => {
  assert.equal(defaultOutput(undefined, "linux"), "dist/manage");
  assert.equal(defaultOutput(undefined, "windows"), "dist/manage.exe");
  assert.equal(defaultOutput("aarch64-apple-darwin"), "dist/manage-aarch64-apple-darwin");
  assert.equal(defaultOutput("x86_64-pc-windows-msvc"), "dist/manage-x86_64-pc-windows-msvc.exe");
  assert.equal(TARGETS.length, 5);
});

const PASSWORDS = "apps/auth/common_passwords/passwords.json";

Deno.test("requiredModules() adds the data the program imports to the registry's modules", async () => {
  const modules = await requiredModules();
  assert.ok(modules.includes("apps/myapp/commands/greet_user.ts"), modules.join());
  assert.ok(modules.includes(PASSWORDS), modules.join());
  assert.equal(new Set(modules).size, modules.length);
});

/** Runs a project copy's `scripts/compile.ts --verify`, with the deno binary as the runtime. */
async function compileAndVerify(project: Project, output: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "scripts/compile.ts", "--output", output, "--verify"],
    cwd: project.root,
    env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("--verify fails on a real binary that lacks a registered module, naming it", async () => {
  await using project = await copyProject();
  const out = await Deno.makeTempDir({ prefix: "manage_compile_" });
  try {
    const whole = await compileAndVerify(project, `${out}/whole`);
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stdout, /embedded: (\d+)\/\1 modules/);
    // Data the program imports is embedded too, and checked: the common-password list.
    const binary = await Deno.readFile(`${out}/whole`);
    assert.deepEqual(missingModules(binary, [PASSWORDS]), []);

    // The registry still lists greet_user, but nothing imports it: deno compile leaves it out.
    const registryFile = new URL("commands/_registry.ts", project.root);
    const source = await Deno.readTextFile(registryFile);
    const load = 'load: () => import("../apps/myapp/commands/greet_user.ts"),';
    assert.ok(source.includes(load));
    await Deno.writeTextFile(
      registryFile,
      source.replace(load, 'load: () => Promise.reject(new Error("left out")),'),
    );
    const lacking = await compileAndVerify(project, `${out}/lacking`);
    assert.equal(lacking.code, 1, lacking.stdout);
    assert.match(lacking.stdout, /embedded: (\d+)\/(?!\1)\d+ modules/);
    assert.equal(
      lacking.stderr.split("\n").filter((line) => line.startsWith("error:")).join("\n"),
      `error: apps/myapp/commands/greet_user.ts is not embedded in ${out}/lacking`,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the build's import map lets npm subpaths through, as deno.json does", () => {
  assert.deepEqual(
    withSubpaths({ "@x/pg": "npm:@x/pg@1.0.0", here: "./here.ts", "y/": "npm:/y@2.0.0/" }),
    {
      "@x/pg": "npm:@x/pg@1.0.0",
      "@x/pg/": "npm:/@x/pg@1.0.0/",
      here: "./here.ts",
      "y/": "npm:/y@2.0.0/",
    },
  );
});
