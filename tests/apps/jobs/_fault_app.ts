// Shared by the fault tests of the job queue: an app whose jobs record each run in a table (to
// count effects), and commands that misbehave as a careless job would.

/** The app's files, for `copyProject`. */
export const FAULT_APP: Record<string, string> = {
  "apps/fault/migrations/0001_initial.ts":
    `import { defineMigration, runSQL } from "../../../mod.ts";

export default defineMigration({
  dependencies: [],
  operations: [
    runSQL(
      "CREATE TABLE fault_run (n integer NOT NULL, pid integer NOT NULL, " +
        "started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL DEFAULT clock_timestamp())",
      "DROP TABLE fault_run",
    ),
  ],
});
`,
  "apps/fault/commands/record_run.ts":
    `import { CommandError, defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Records that job n ran, in this process, after waiting --ms",
  requiresDatabase: true,
  arguments: { n: { type: "integer" } },
  options: { ms: { type: "integer", default: 0 } },
  async handle({ options, db, signal }) {
    const [{ started }] = await db.sql\`SELECT clock_timestamp() AS started\`;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, options.ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new CommandError(\`stopped: \${signal.reason}\`));
      });
    });
    await db.sql\`INSERT INTO fault_run (n, pid, started_at) VALUES (\${options.n}, \${Deno.pid}, \${started})\`;
  },
});
`,
  "apps/fault/commands/exit_now.ts": `import { defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Ends the process, as a script would",
  arguments: { code: { type: "integer" } },
  handle({ options }) {
    Deno.exit(options.code);
  },
});
`,
  "apps/fault/commands/reject_later.ts": `import { defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Leaves a promise rejected with a string unhandled, then carries on",
  async handle({ stdout }) {
    Promise.reject("nobody handles this");
    await new Promise((resolve) => setTimeout(resolve, 100));
    stdout.write("carried on");
  },
});
`,
  "apps/fault/commands/throw_now.ts": `import { defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Throws a string, not an Error",
  handle() {
    throw "not an Error";
  },
});
`,
  "apps/fault/commands/throw_later.ts": `import { defineCommand } from "../../../mod.ts";

export default defineCommand({
  help: "Throws a string from a timer, out of its own await chain",
  async handle() {
    setTimeout(() => {
      throw "boom";
    }, 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
  },
});
`,
};

/** SQL that enqueues `count` runs of `record_run` (numbered from `from`), waiting `ms` each. */
export function enqueueRuns(count: number, ms: number, from = 1): string {
  return `INSERT INTO manage_job (command, args)
SELECT 'record_run', jsonb_build_array(g::text, '--ms', '${ms}')
FROM generate_series(${from}, ${from + count - 1}) AS g;
NOTIFY manage_jobs, 'default'`;
}
