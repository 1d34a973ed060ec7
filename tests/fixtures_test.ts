// The fixture apps' registry (tests/fixtures/commands/_registry.ts) is what the builder makes of
// tests/fixtures/apps/ today, as `deno task registry --check` holds the project's.

import assert from "node:assert/strict";
import { FIXTURE_REGISTRY, fixtureRegistrySource } from "./fixtures/build_registry.ts";

Deno.test("the fixture apps' registry is up to date", async () => {
  assert.equal(
    await Deno.readTextFile(FIXTURE_REGISTRY),
    await fixtureRegistrySource(),
    "tests/fixtures/commands/_registry.ts is stale: run `deno run -A tests/fixtures/build_registry.ts`",
  );
});
