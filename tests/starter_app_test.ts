// The starter app apps/myapp is the user's to delete: only its own tests (tests/apps/myapp/) may
// import from it. The framework's tests run on the fixture apps of tests/fixtures/apps/, and
// `.ci/run without_myapp` runs those that name myapp or run the project's registry in a copy
// without it.
import assert from "node:assert/strict";
import { ROOT } from "./_helpers.ts";

const STARTER_APP = new URL("apps/myapp/", ROOT);
const ITS_TESTS = "tests/apps/myapp/";

/** Every module of tests/ (test files, helpers, fixtures), relative to the root. */
async function testModules(dir = "tests/"): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) files.push(...await testModules(`${path}/`));
    else if (/\.[cm]?[jt]sx?$/.test(entry.name)) files.push(path);
  }
  return files.sort();
}

/** The relative specifiers `text` imports or re-exports, statically or dynamically. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /\b(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of text.matchAll(pattern)) found.push(match[1]);
  return found;
}

Deno.test("no test outside tests/apps/myapp imports from the starter app apps/myapp/", async () => {
  const found: string[] = [];
  for (const file of await testModules()) {
    if (file.startsWith(ITS_TESTS)) continue;
    const url = new URL(file, ROOT);
    for (const specifier of specifiers(await Deno.readTextFile(url))) {
      if (new URL(specifier, url).href.startsWith(STARTER_APP.href)) {
        found.push(`${file}: ${specifier}`);
      }
    }
  }
  assert.deepEqual(found, []);
});

Deno.test("the import scan sees static, type-only, re-exported and dynamic imports", () => {
  assert.deepEqual(
    specifiers(
      [
        'import { Post } from "../../apps/blog/models.ts";',
        'import type { X } from "../apps/blog/x.ts";',
        'export { y } from "./y.ts";',
        'const m = await import("../apps/blog/commands/hello.ts");',
        'import "npm:left-alone";',
      ].join("\n"),
    ),
    [
      "../../apps/blog/models.ts",
      "../apps/blog/x.ts",
      "./y.ts",
      "../apps/blog/commands/hello.ts",
    ],
  );
});
