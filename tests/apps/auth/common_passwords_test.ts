// Django's common-password list is vendored data, not code: a JSON file beside Django's LICENSE,
// made from Django's `common-passwords.txt.gz` by a script that also checks it, and read by the
// validator through a JSON import, which a run with file reads denied can use.

import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, runProgram } from "../../_helpers.ts";
import { DJANGO_COMMON_PASSWORDS, needs } from "../../_requires.ts";

const FOLDER = "apps/auth/common_passwords";
const LIST = `${FOLDER}/passwords.json`;

/** Runs `scripts/common_passwords.ts` with `args`. */
function script(...args: string[]) {
  return runProgram(Deno.execPath(), [
    "run",
    "--quiet",
    "--allow-read",
    "--allow-write",
    "scripts/common_passwords.ts",
    ...args,
  ], { cwd: new URL(".", ROOT), env: { NO_COLOR: "1" } });
}

/** `lines` gzipped, as Django ships its list. */
async function gzip(lines: string[]): Promise<Uint8Array> {
  const stream = new Blob([lines.join("\n")]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("the common-password list is JSON data beside Django's LICENSE, not a module", async () => {
  const list: unknown = JSON.parse(await Deno.readTextFile(new URL(LIST, ROOT)));
  assert.ok(Array.isArray(list));
  assert.equal(list.length, 19_727);
  assert.equal(new Set(list).size, list.length, "no password is listed twice");
  for (const password of list) {
    assert.equal(typeof password, "string");
    assert.equal(password, password.toLowerCase().trim());
  }
  assert.deepEqual(list.slice(0, 3), ["bigpimpin1", "mewtwo", "sandy123"]);
  const license = await Deno.readTextFile(new URL(`${FOLDER}/LICENSE`, ROOT));
  assert.match(license, /^Copyright \(c\) Django Software Foundation/);
  const sources = [];
  for await (const entry of Deno.readDir(new URL("apps/auth/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".ts")) {
      const { size } = await Deno.stat(new URL(`apps/auth/${entry.name}`, ROOT));
      sources.push([entry.name, size] as const);
    }
  }
  for (const [name, size] of sources) assert.ok(size < 20_000, `apps/auth/${name}: ${size} bytes`);
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.ok(config.fmt.exclude.includes(`${FOLDER}/`), "deno fmt leaves the vendored data alone");
  assert.ok(config.lint.exclude.includes(`${FOLDER}/`), "deno lint leaves the vendored data alone");
});

Deno.test("the script writes the list from a gzipped file and --check compares it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "manage_passwords_" });
  try {
    const source = join(dir, "common-passwords.txt.gz");
    await Deno.writeFile(source, await gzip(["Password", "letmein ", "", "password", "qwerty"]));
    const output = join(dir, "passwords.json");
    const written = await script("--from", source, "--output", output);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, `Wrote ${output} (3 passwords)\n`);
    assert.equal(
      await Deno.readTextFile(output),
      '[\n  "password",\n  "letmein",\n  "qwerty"\n]\n',
    );
    assert.deepEqual(await script("--from", source, "--output", output, "--check"), {
      code: 0,
      stdout: `${output} is Django's list (3 passwords)\n`,
      stderr: "",
    });
    await Deno.writeFile(source, await gzip(["password", "dragon"]));
    assert.deepEqual(await script("--from", source, "--output", output, "--check"), {
      code: 1,
      stdout: "",
      stderr: `error: ${output} is not the list in ${source}: run ` +
        "scripts/common_passwords.ts without --check to write it again\n",
    });
    const absent = await script("--from", join(dir, "none.gz"), "--output", output);
    assert.equal(absent.code, 1);
    assert.equal(
      absent.stderr,
      `error: Cannot read ${join(dir, "none.gz")}: no such file ` +
        "(install Django, e.g. apt-get install python3-django, or name the file with --from)\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(needs("django", {
  name: "the vendored list is Django's common-passwords.txt.gz, lower-cased and deduplicated",
  async fn() {
    const checked = await script("--check");
    assert.deepEqual(checked, {
      code: 0,
      stdout: `${LIST} is Django's list (19727 passwords)\n`,
      stderr: "",
    });
    assert.ok((await Deno.stat(DJANGO_COMMON_PASSWORDS)).isFile);
  },
}));

Deno.test("a run with file reads denied rejects a common password", async () => {
  const validation = new URL("apps/auth/password_validation.ts", ROOT).href;
  const code = `import { commonPassword } from ${JSON.stringify(validation)};\n` +
    `console.log(JSON.stringify(await commonPassword("PassWord")));\n` +
    `console.log(JSON.stringify(await commonPassword("a long unusual phrase")));\n`;
  const run = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--deny-read", "-"],
    cwd: new URL(".", ROOT),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = run.stdin.getWriter();
  await writer.write(new TextEncoder().encode(code));
  await writer.close();
  const { code: exit, stdout, stderr } = await run.output();
  const decoder = new TextDecoder();
  assert.equal(decoder.decode(stderr), "");
  assert.equal(exit, 0);
  assert.equal(decoder.decode(stdout), '["This password is too common."]\n[]\n');
});
