// diffsettings, as Django's: the settings that differ from the defaults (hash output, `###`
// after those the defaults do not have, `### ` before unchanged ones with --all), the unified
// output, --default, the environment's overrides, and passwords hidden.

import assert from "node:assert/strict";
import { callCommand, captureOutput, type Registry, type SettingsInput } from "../../mod.ts";
import { registry } from "../../commands/_registry.ts";

function withSettings(modules: Record<string, SettingsInput>): Registry {
  return {
    ...registry,
    settings: Object.entries(modules).map(([name, input]) => ({
      name,
      module: name === "settings" ? "settings.ts" : `settings/${name}.ts`,
      load: () => Promise.resolve({ default: input }),
    })),
  };
}

async function diffsettings(
  reg: Registry,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<string> {
  const stdout = captureOutput();
  await callCommand("diffsettings", args, { registry: reg, stdout, env });
  return stdout.text;
}

const PROJECT = withSettings({
  settings: {
    databases: { replica: "postgres://app:s3cret@replica/app" },
    silencedSystemChecks: ["db.W001"],
    queue: { maxAttempts: 5 },
  },
  production: { console: { https: true } },
});

Deno.test("diffsettings prints what differs, '###' after what the defaults lack", async () => {
  assert.equal(
    await diffsettings(PROJECT),
    'databases.replica = "postgres://app:****@replica/app"  ###\n' +
      "queue.maxAttempts = 5\n" +
      'silencedSystemChecks = ["db.W001"]\n',
  );
  // Nothing differs: nothing printed.
  assert.equal(await diffsettings(registry), "");
});

Deno.test("diffsettings --all marks the unchanged values with '### '", async () => {
  const lines = (await diffsettings(PROJECT, ["--all"])).trimEnd().split("\n");
  assert.ok(lines.includes('### console.addrport = "127.0.0.1:8000"'), lines.join("\n"));
  assert.ok(lines.includes("queue.maxAttempts = 5"));
  assert.ok(lines.includes("### queue.concurrency = 10"));
  assert.deepEqual(
    lines,
    [...lines].sort((a, b) => a.replace(/^### /, "").localeCompare(b.replace(/^### /, ""))),
  );
});

Deno.test("diffsettings --output unified, --default and the environment", async () => {
  assert.equal(
    await diffsettings(PROJECT, ["--output", "unified"]),
    '+ databases.replica = "postgres://app:****@replica/app"\n' +
      "- queue.maxAttempts = 3\n+ queue.maxAttempts = 5\n" +
      '- silencedSystemChecks = []\n+ silencedSystemChecks = ["db.W001"]\n',
  );
  assert.equal(
    await diffsettings(PROJECT, ["--settings", "production", "--default", "settings"]),
    "console.https = true\nqueue.maxAttempts = 3\nsilencedSystemChecks = []\n",
  );
  assert.equal(
    await diffsettings(registry, [], { MANAGE_QUEUE: "mail" }),
    'queue.name = "mail"\n',
  );
});
