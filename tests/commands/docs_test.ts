// manage docs: the reference of every registered command, read from the declarations. The
// committed docs/commands/ must match them; every option of every command appears with its type,
// default and environment variable; the man pages render without a warning.

import assert from "node:assert/strict";
import type { ArgSpec } from "../../core/arguments.ts";
import { loadCommand } from "../../core/checks.ts";
import { formatDefault } from "../../core/help.ts";
import { registry } from "../../commands/_registry.ts";
import { referenceFiles } from "../../commands/_docs/mod.ts";
import { VERSION } from "../../core/version.ts";
import { ROOT, sampleProject } from "../_helpers.ts";
import { needs } from "../_requires.ts";

const DOCS = new URL("docs/commands/", ROOT);

/** The cell the reference gives an argument's invocation, computed here from its spec alone. */
function invocationOf(spec: ArgSpec): string {
  const metavar = spec.metavar ??
    (spec.choices
      ? `{${spec.choices.join(",")}}`
      : spec.kind === "positional"
      ? spec.key
      : spec.key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase());
  if (spec.kind === "positional") return metavar;
  const flags = [...spec.flags, ...(spec.negativeFlag ? [spec.negativeFlag] : [])].join(", ");
  return spec.action === "store" || spec.action === "append" ? `${flags} ${metavar}` : flags;
}

/** The Markdown table row of `spec` on `page`, or undefined. */
function rowOf(page: string, spec: ArgSpec): string | undefined {
  const start = `| \`${invocationOf(spec)}\` |`;
  return page.split("\n").find((line) => line.startsWith(start));
}

Deno.test("the committed docs/commands/ matches the commands' declarations", async () => {
  const files = await referenceFiles(registry.commands, "markdown", VERSION);
  const committed: string[] = [];
  for await (const item of Deno.readDir(DOCS)) if (item.isFile) committed.push(item.name);
  assert.deepEqual(
    committed.sort(),
    [...files.keys()].sort(),
    "docs/commands/ lists other commands than the registry: run 'deno task manage docs'",
  );
  for (const [name, text] of files) {
    assert.equal(
      await Deno.readTextFile(new URL(name, DOCS)),
      text,
      `docs/commands/${name} is stale: run 'deno task manage docs' and commit it`,
    );
  }
});

Deno.test("every option and argument of every command appears with its type, default and env", async () => {
  const files = await referenceFiles(registry.commands, "markdown", VERSION);
  let checked = 0;
  for (const entry of registry.commands) {
    const command = await loadCommand(entry);
    const page = files.get(`${entry.name}.md`)!;
    assert.ok(page.includes(`# manage ${entry.name}\n`), entry.name);
    assert.ok(page.includes(command.help.split("\n")[0].trim()), `${entry.name}: summary`);
    const signatures = [
      command.signature,
      ...[...(command.signature.subcommands?.values() ?? [])].map((sub) => {
        assert.ok(page.includes(`### ${entry.name} ${sub.name}\n`), `${entry.name} ${sub.name}`);
        return sub.signature;
      }),
    ];
    for (const signature of signatures) {
      for (const spec of [...signature.positionals, ...signature.options]) {
        if (spec.hidden) continue;
        const row = rowOf(page, spec);
        assert.ok(row, `${entry.name}: no row for ${invocationOf(spec)}`);
        const cells = row.split(" | ");
        const type = spec.action === "count" ? "count" : spec.type;
        assert.equal(cells[1], type, `${entry.name} ${invocationOf(spec)}: type`);
        const dflt = formatDefault(spec);
        assert.equal(
          cells[2].replace(/^`|`$/g, ""),
          dflt ?? "",
          `${entry.name} ${invocationOf(spec)}: default`,
        );
        assert.equal(
          cells[3].replace(/^`|`$/g, ""),
          spec.env ?? "",
          `${entry.name} ${invocationOf(spec)}: env`,
        );
        for (const choice of spec.choices ?? []) {
          assert.ok(cells[4].includes(`\`${choice}\``), `${entry.name}: choice ${choice}`);
        }
        checked++;
      }
    }
  }
  // Every command has at least the shared options: a reference that lost them would fail above.
  assert.ok(checked > registry.commands.length * 5, `only ${checked} rows checked`);
});

Deno.test("the JSON reference lists every command with its options", async () => {
  const files = await referenceFiles(registry.commands, "json", VERSION);
  const { version, commands } = JSON.parse(files.get("commands.json")!);
  assert.equal(version, VERSION);
  assert.deepEqual(
    commands.map((c: { name: string }) => c.name),
    registry.commands.map((c) => c.name).sort(),
  );
  const migrate = commands.find((c: { name: string }) => c.name === "migrate");
  const database = migrate.options.find((o: { flags: string[] }) => o.flags.includes("--database"));
  assert.equal(database.env, "DATABASE_URL");
});

Deno.test(needs("man", {
  name: "the man pages render with man -l and no warning",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "manage_man_" });
    try {
      const files = await referenceFiles(registry.commands, "man", VERSION);
      for (const [name, text] of files) await Deno.writeTextFile(`${dir}/${name}`, text);
      for (const name of ["manage.1", "manage-migrate.1", "manage-jobs.1"]) {
        const { code, stdout, stderr } = await new Deno.Command("man", {
          args: ["--warnings", "-l", `${dir}/${name}`],
          env: { MANPAGER: "cat", PAGER: "cat", MANWIDTH: "80", LANG: "C.UTF-8" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const out = new TextDecoder().decode(stdout);
        assert.equal(code, 0, name);
        assert.equal(new TextDecoder().decode(stderr), "", `${name}: warnings`);
        assert.match(out, /^NAME$/m, name);
        if (name === "manage-migrate.1") {
          assert.match(out, /--database DATABASE/);
          assert.match(out, /env: DATABASE_URL/);
          assert.match(out, /^SYNOPSIS\n\s+manage migrate \[-h\]/m);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test("manage docs --check fails naming a stale page, and manage docs brings it up to date", async () => {
  await using project = await sampleProject({
    "apps/sample/commands/wave.ts": `import { defineCommand } from "../../../mod.ts";
export default defineCommand({
  help: "Waves",
  options: { times: { type: "integer", default: 2, env: "WAVES", help: "how often" } },
  examples: ["manage wave --times 3"],
  handle() {},
});
`,
  });
  const fresh = await project.run(["docs", "--check"]);
  assert.equal(fresh.code, 1);
  assert.match(fresh.stderr, /docs\/commands is out of date \(\d+ files: .*\): run 'manage docs'/);
  const wrote = await project.run(["docs"]);
  assert.equal(wrote.code, 0, wrote.stderr);
  assert.match(wrote.stdout, /Wrote .*docs\/commands: \d+ files changed, 0 removed/);
  const page = await Deno.readTextFile(new URL("docs/commands/wave.md", project.root));
  assert.match(page, /^\| `--times TIMES` \| integer \| `2` \| `WAVES` \| how often \|$/m);
  assert.match(page, /## Examples\n\n```sh\nmanage wave --times 3\n```/);
  assert.equal((await project.run(["docs", "--check"])).code, 0);

  await Deno.remove(new URL("apps/sample/commands/wave.ts", project.root));
  assert.equal((await project.buildRegistry()).code, 0);
  const removed = await project.run(["docs", "--check"]);
  assert.equal(removed.code, 1);
  assert.match(removed.stderr, /wave\.md \(no such command\)/);
  const pruned = await project.run(["docs"]);
  assert.match(pruned.stdout, /1 file changed, 1 removed/);
  await assert.rejects(Deno.stat(new URL("docs/commands/wave.md", project.root)));
});

Deno.test("README's Models reference lists every field type, lookup and manager method", async () => {
  const { field } = await import("../../mod.ts");
  const { LOOKUPS } = await import("../../apps/db/orm/_query_sql.ts");
  const { QuerySet } = await import("../../apps/db/orm/_queryset.ts");
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const start = readme.indexOf("\n### Models\n");
  assert.ok(start > 0, "README has a Models section");
  const section = readme.slice(start, readme.indexOf("\n### ", start + 1));
  for (const name of Object.keys(field)) {
    assert.match(section, new RegExp(`\\| \`field\\.${name}[(<]`), `field.${name}`);
  }
  for (const lookup of LOOKUPS) {
    if (lookup !== "exact") assert.ok(section.includes(`__${lookup}`), `lookup ${lookup}`);
  }
  const methods = Object.getOwnPropertyNames(QuerySet.prototype)
    .filter((name) => name !== "constructor" && name !== "state");
  for (const method of methods) assert.ok(section.includes(`${method}(`), `method ${method}`);
});
