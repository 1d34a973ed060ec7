// `manage startapp` and `manage makecommand`, run through `cli.ts` in a throwaway copy of the
// project: what they write, that the registry picks it up, that the generated command runs and
// its generated test passes, and the mistakes they refuse.

import assert from "node:assert/strict";
import { type RunResult, sampleProject } from "../_helpers.ts";

async function isFile(url: URL): Promise<boolean> {
  try {
    return (await Deno.stat(url)).isFile;
  } catch {
    return false;
  }
}

async function isDirectory(url: URL): Promise<boolean> {
  try {
    return (await Deno.stat(url)).isDirectory;
  } catch {
    return false;
  }
}

/** Runs `deno <args>` in `cwd`. */
async function deno(args: string[], cwd: URL): Promise<RunResult> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** The commands `manage help` lists under `[app]`. */
function listedUnder(help: string, app: string): string[] {
  const lines = help.split("\n");
  const start = lines.indexOf(`[${app}]`);
  if (start < 0) return [];
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("    ")) break;
    names.push(line.trim().split(/\s+/)[0]);
  }
  return names;
}

function error(message: string): string {
  return `CommandError: ${message}\n`;
}

Deno.test("startapp and makecommand scaffold an app and a working command", async (t) => {
  const project = await sampleProject();
  const root = project.root;
  try {
    await t.step(
      "startapp creates apps/<name> with a commands folder and a first command",
      async () => {
        const result = await project.run(["startapp", "billing"]);
        assert.equal(result.stderr, "");
        assert.equal(result.stdout, "Created app 'billing' in apps/billing\n");
        assert.equal(result.code, 0);
        assert.ok(await isDirectory(new URL("apps/billing/commands/", root)));
        assert.match(await Deno.readTextFile(new URL("apps/billing/mod.ts", root)), /@module/);
      },
    );

    await t.step("makecommand writes the command and its test and registers it", async () => {
      const result = await project.run(["makecommand", "billing", "send_invoice"]);
      assert.equal(result.stderr, "");
      assert.equal(
        result.stdout,
        "Created command 'send_invoice' in apps/billing/commands/send_invoice.ts\n" +
          "Created its test in apps/billing/commands/send_invoice_test.ts\n",
      );
      assert.equal(result.code, 0);
      const source = await Deno.readTextFile(
        new URL("apps/billing/commands/send_invoice.ts", root),
      );
      assert.match(source, /export default defineCommand\(\{/);
      assert.ok(await isFile(new URL("apps/billing/commands/send_invoice_test.ts", root)));
      const registry = await Deno.readTextFile(new URL("commands/_registry.ts", root));
      assert.match(registry, /import\("\.\.\/apps\/billing\/commands\/send_invoice\.ts"\)/);
    });

    await t.step("makecommand --class writes the BaseCommand form", async () => {
      const result = await project.run(["makecommand", "billing", "close_month", "--class"]);
      assert.equal(result.stderr, "");
      assert.equal(result.code, 0);
      const source = await Deno.readTextFile(
        new URL("apps/billing/commands/close_month.ts", root),
      );
      assert.match(source, /export default class Command extends BaseCommand \{/);
    });

    await t.step("help lists the new commands under [billing]", async () => {
      const result = await project.run(["help"]);
      assert.equal(result.code, 0);
      assert.deepEqual(listedUnder(result.stdout, "billing"), [
        "close_month",
        "hello_billing",
        "send_invoice",
      ]);
    });

    await t.step("the new commands run", async () => {
      const invoice = await project.run(["send_invoice", "Ann", "--times", "2"]);
      assert.equal(invoice.stderr, "");
      assert.equal(invoice.stdout, "Hello from send_invoice, Ann!\n".repeat(2));
      const month = await project.run(["close_month", "Bob", "-n", "1"]);
      assert.equal(month.stderr, "");
      assert.equal(month.stdout, "Hello from close_month, Bob!\n");
    });

    await t.step("the generated tests pass and the code is formatted and lint-free", async () => {
      const test = await deno(["test", "-A", "apps/billing/commands/"], root);
      assert.equal(test.code, 0, test.stdout + test.stderr);
      assert.match(test.stdout, /ok \| 6 passed \| 0 failed/);
      const fmt = await deno(["fmt", "--check", "apps/billing/"], root);
      assert.equal(fmt.code, 0, fmt.stderr);
      const lint = await deno(["lint", "apps/billing/"], root);
      assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    });

    await t.step("startapp refuses a name that is not snake_case", async () => {
      const result = await project.run(["startapp", "Billing"]);
      assert.equal(
        result.stderr,
        error(
          "'Billing' is not a valid app name: use snake_case (a-z, 0-9, _) starting with a letter",
        ),
      );
      assert.equal(result.code, 1);
      assert.ok(!(await isDirectory(new URL("apps/Billing/", root))));
    });

    await t.step("startapp refuses an existing app", async () => {
      const result = await project.run(["startapp", "billing"]);
      assert.equal(
        result.stderr,
        error(
          "'billing' conflicts with the name of an existing app in apps/billing: " +
            "choose another name",
        ),
      );
      assert.equal(result.code, 1);
    });

    await t.step("startapp in a folder below the project finds the project above it", async () => {
      const result = await deno(
        ["run", "-A", "../../cli.ts", "startapp", "billing"],
        new URL("apps/billing/", root),
      );
      assert.equal(
        result.stderr,
        error(
          "'billing' conflicts with the name of an existing app in apps/billing: " +
            "choose another name",
        ),
      );
      assert.equal(result.code, 1);
      assert.ok(!(await isDirectory(new URL("apps/billing/apps/", root))));
    });

    await t.step("startapp refuses to run where no deno.json is above", async () => {
      const outside = await Deno.makeTempDir({ prefix: "manage_outside_" });
      try {
        const result = await deno(
          [
            "run",
            "-A",
            "--config",
            new URL("deno.json", root).pathname,
            new URL("cli.ts", root).pathname,
            "startapp",
            "shop",
          ],
          new URL(`file://${outside}/`),
        );
        assert.equal(
          result.stderr,
          error(`No deno.json in ${outside} or a folder above it: run startapp in the project`),
        );
        assert.equal(result.code, 1);
        assert.deepEqual([...Deno.readDirSync(outside)], []);
      } finally {
        await Deno.remove(outside, { recursive: true });
      }
    });

    await t.step("makecommand refuses a missing app", async () => {
      const result = await project.run(["makecommand", "shop", "list_items"]);
      assert.equal(
        result.stderr,
        error("No app 'shop' in apps/: create it with 'manage startapp shop'"),
      );
      assert.equal(result.code, 1);
    });

    await t.step("makecommand refuses a name that is not snake_case", async () => {
      const result = await project.run(["makecommand", "billing", "SendReminder"]);
      assert.equal(
        result.stderr,
        error(
          "'SendReminder' is not a valid command name: use snake_case (a-z, 0-9, _) " +
            "starting with a letter",
        ),
      );
      assert.equal(result.code, 1);
    });

    await t.step("makecommand refuses a name the registry would take for a test", async () => {
      const result = await project.run(["makecommand", "billing", "load_test"]);
      assert.equal(
        result.stderr,
        error(
          "'load_test' is not a valid command name: files ending in _test.ts are tests, " +
            "so drop '_test'",
        ),
      );
      assert.equal(result.code, 1);
    });

    await t.step("makecommand refuses an existing command file", async () => {
      const before = await Deno.readTextFile(
        new URL("apps/billing/commands/send_invoice.ts", root),
      );
      const result = await project.run(["makecommand", "billing", "send_invoice", "--class"]);
      assert.equal(
        result.stderr,
        error(
          "apps/billing/commands/send_invoice.ts already exists: " +
            "choose another name or edit that file",
        ),
      );
      assert.equal(result.code, 1);
      assert.equal(
        await Deno.readTextFile(new URL("apps/billing/commands/send_invoice.ts", root)),
        before,
      );
    });

    await t.step("makecommand refuses a name another command has", async () => {
      const result = await project.run(["makecommand", "billing", "greet_user"]);
      assert.equal(
        result.stderr,
        error(
          "'greet_user' conflicts with the existing command in " +
            "apps/sample/commands/greet_user.ts: choose another name",
        ),
      );
      assert.equal(result.code, 1);
      assert.ok(!(await isFile(new URL("apps/billing/commands/greet_user.ts", root))));
    });
  } finally {
    await project.remove();
  }
});
