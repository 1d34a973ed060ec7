// manage version: the project's version, and how the program was built — the commit, the build
// date, the target and the Deno version a compiled manage carries, or that this is a source run.

import assert from "node:assert/strict";
import { formatVersion } from "../../commands/_release/mod.ts";
import { runCli } from "../_helpers.ts";

const VERSION: string =
  JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)))
    .version;

const STAMP = {
  version: "1.2.3",
  commit: "0123456789abcdef0123456789abcdef01234567",
  date: "2026-11-26T17:40:00Z",
  target: "aarch64-apple-darwin",
  deno: "2.9.6",
  releases: "https://example.com/releases",
} as const;

Deno.test("manage version under deno run: the project's version, and that it is a source run", async () => {
  const text = await runCli(["version"]);
  assert.deepEqual(text, {
    code: 0,
    stdout: `manage ${VERSION} (source run: deno run cli.ts, no build stamp)\n`,
    stderr: "",
  });
  const json = await runCli(["version", "--format", "json"]);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), {
    version: VERSION,
    source: true,
    commit: null,
    date: null,
    target: null,
    deno: null,
  });
});

Deno.test("a build stamp prints the commit, the build date, the target and the Deno version", () => {
  assert.equal(
    formatVersion(STAMP.version, STAMP, "text"),
    [
      "manage 1.2.3",
      "commit  0123456789abcdef0123456789abcdef01234567",
      "built   2026-11-26T17:40:00Z",
      "target  aarch64-apple-darwin",
      "deno    2.9.6",
    ].join("\n"),
  );
  assert.deepEqual(JSON.parse(formatVersion(STAMP.version, STAMP, "json")), {
    version: "1.2.3",
    source: false,
    commit: STAMP.commit,
    date: STAMP.date,
    target: STAMP.target,
    deno: "2.9.6",
  });
});
