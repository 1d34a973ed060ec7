// Shared by the job queue's tests: a registry of test commands (in this process, so a test can
// see what they did) and a worker run until a condition holds.

import { type Command, defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import type { Registry, RegistryEntry } from "../../../core/registry.ts";
import {
  type Schedule,
  Worker,
  type WorkerOptions,
  type WorkerStats,
} from "../../../apps/jobs/queue/mod.ts";

/** What the test commands did: each run's words and time, by command. */
export class Runs {
  readonly log: { command: string; args: string[]; at: number }[] = [];
  /** Runs of `command` (with `arg`, when given). */
  of(command: string, arg?: string) {
    return this.log.filter((r) =>
      r.command === command && (arg === undefined || r.args[0] === arg)
    );
  }
}

/** The test commands, recording into `runs`. */
export function testCommands(runs: Runs): Record<string, Command> {
  const record = (command: string, args: string[]) =>
    runs.log.push({ command, args, at: performance.now() });
  return {
    ok: defineCommand({
      help: "Succeeds",
      arguments: { word: { nargs: "?" } },
      options: { shout: { type: "boolean" } },
      handle({ options, stdout, stderr }) {
        record("ok", options.word === undefined ? [] : [options.word]);
        stdout.write(options.shout ? `RAN ${options.word}` : `ran ${options.word}`);
        stderr.write("a note on stderr", { style: (t) => t });
      },
    }),
    fail_until: defineCommand({
      help: "Fails until its run number `succeedAt`",
      arguments: { key: {}, succeedAt: { type: "integer" } },
      handle({ options }) {
        record("fail_until", [options.key]);
        const n = runs.of("fail_until", options.key).length;
        if (n < options.succeedAt) {
          throw new CommandError(`failed run ${n} of ${options.key}`, { retry: true });
        }
      },
    }),
    number: defineCommand({
      help: "Takes an integer",
      arguments: { n: { type: "integer" } },
      handle({ options }) {
        record("number", [String(options.n)]);
      },
    }),
    slow: defineCommand({
      help: "Waits `ms`, or until its signal aborts (then fails)",
      arguments: { key: {}, ms: { type: "integer" } },
      async handle({ options, signal, stdout }) {
        record("slow", [options.key]);
        stdout.write(`started ${options.key}`);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, options.ms);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new CommandError(`stopped: ${signal.reason}`));
          }, { once: true });
        });
        stdout.write(`finished ${options.key}`);
      },
    }),
    stuck: defineCommand({
      help: "Ignores its signal",
      arguments: { ms: { type: "integer" } },
      async handle({ options }) {
        record("stuck", []);
        await new Promise((resolve) => setTimeout(resolve, options.ms));
      },
    }),
    count_results: defineCommand({
      help: "Queries ctx.db",
      async handle({ db, stdout }) {
        record("count_results", []);
        const [row] = await db.sql<{ n: number }>`SELECT count(*)::int AS n FROM manage_job`;
        stdout.write(`pending ${row.n}`);
      },
    }),
  };
}

/** A registry of `commands` (and `schedules`), with the real database provider. */
export function testRegistry(
  commands: Record<string, Command>,
  schedules: Schedule[] = [],
): Registry {
  const entries: RegistryEntry[] = Object.entries(commands).map(([name, command]) => ({
    name,
    app: "test",
    summary: command.help,
    module: `tests/${name}.ts`,
    flags: [],
    load: () => Promise.resolve({ default: command }),
  }));
  return {
    commands: entries.sort((a, b) => a.name.localeCompare(b.name)),
    checks: [],
    schedules: schedules.length
      ? [{
        app: "test",
        module: "tests/schedules.ts",
        load: () => Promise.resolve({ default: schedules }),
      }]
      : [],
    database: {
      app: "db",
      module: "apps/db/database.ts",
      load: () => import("../../../apps/db/database.ts"),
    },
  };
}

/** Options for a worker quick enough for tests. */
export function fast(options: WorkerOptions): WorkerOptions {
  return { pollInterval: 100, retryDelay: 100, schedules: false, ...options };
}

/**
 * Runs a worker until `done()` holds (checked every 20 ms) or `limit` ms pass, then drains it;
 * gives its stats and whether `done` held.
 */
export async function workUntil(
  options: WorkerOptions,
  done: () => boolean | Promise<boolean>,
  limit = 15_000,
): Promise<{ stats: WorkerStats; met: boolean }> {
  const controller = new AbortController();
  const worker = new Worker(fast({ ...options, signal: controller.signal }));
  const running = worker.run();
  const deadline = Date.now() + limit;
  let met = false;
  while (Date.now() < deadline) {
    if (await done()) {
      met = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  controller.abort("test done");
  return { stats: await running, met };
}
