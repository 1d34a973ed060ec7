/**
 * The system check framework, as Django's: checks return messages with a level and an id; the
 * `check` command (and every command with `requiresSystemChecks`) runs them and fails on errors.
 * Apps register checks in `apps/<app>/checks.ts` (a default-exported list of checks); the
 * built-in ones check every registered command's declaration.
 *
 * @module
 */

import type { Command } from "./command.ts";
import { toCommand } from "./command_class.ts";
import type { LazyDatabase } from "./database.ts";
import { CommandError } from "./errors.ts";
import {
  type Registry,
  REGISTRY_FILE,
  type RegistryEntry,
  staleRegistryMessage,
} from "./registry.ts";
import { RUN_FROM } from "./run_from.ts";
import type { Settings } from "./settings.ts";
import type { Style } from "./style.ts";

/** How serious a check message is. */
export type CheckLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** The levels, least serious first. */
export const CHECK_LEVELS: readonly CheckLevel[] = [
  "DEBUG",
  "INFO",
  "WARNING",
  "ERROR",
  "CRITICAL",
];

/** One finding of a check. */
export interface CheckMessage {
  /** How serious it is. */
  level: CheckLevel;
  /** A stable id, `<app>.<letter><number>` (`commands.E001`), that settings can silence. */
  id: string;
  /** What is wrong. */
  msg: string;
  /** How to fix it. */
  hint?: string;
  /** What it is about (`myapp.greet_user`). */
  obj?: string;
}

/** What a check is given. */
export interface CheckContext {
  /** The project's registry. */
  registry: Registry;
  /** Only these apps, when given. */
  apps?: readonly string[];
  /** The database, when database checks are asked for (`check --database DATABASE`). */
  db?: LazyDatabase;
  /** Only the checks with one of these tags, when given. */
  tags?: readonly string[];
  /** The run's settings: their `silencedSystemChecks` are left out of the messages. */
  settings?: Settings;
  /** Run the deployment checks too (`check --deploy`). */
  deploy?: boolean;
  /** The working directory (relative paths of the settings are read from it). */
  cwd?: string;
}

/**
 * A system check. A check may carry `tags` (as Django's `register(check, Tags.database)`):
 * `check --tag database` runs only those, and commands with `requiresMigrationsChecks` run the
 * `database` ones before `handle`. A check marked `deploy` runs only with `check --deploy`.
 */
export type Check = ((ctx: CheckContext) => CheckMessage[] | Promise<CheckMessage[]>) & {
  tags?: readonly string[];
  deploy?: boolean;
};

/** Loads a registered command, as the dispatcher does. */
export async function loadCommand(entry: RegistryEntry): Promise<Command> {
  const module = await entry.load();
  return toCommand(module.default, entry.module);
}

/** The built-in check: every registered command loads, is a command, and matches the registry. */
export const checkCommands: Check = async ({ registry, apps }) => {
  const messages: CheckMessage[] = [];
  for (const entry of registry.commands) {
    if (apps && !apps.includes(entry.app)) continue;
    const obj = `${entry.app}.${entry.name}`;
    let command: Command;
    try {
      command = await loadCommand(entry);
    } catch (error) {
      messages.push({
        level: "ERROR",
        id: "commands.E001",
        msg: `${entry.module} cannot be loaded: ${
          error instanceof Error ? error.message : String(error)
        }`,
        hint: "Fix the command's declaration; `manage help` lists it meanwhile from the registry.",
        obj,
      });
      continue;
    }
    if (!command.help.trim()) {
      messages.push({
        level: "WARNING",
        id: "commands.W001",
        msg: "The command has no help text.",
        hint: "Set `help` to one line saying what it does.",
        obj,
      });
    }
    const summary = command.help.trim().split("\n")[0].trim();
    const doors = String(entry.runFrom ?? RUN_FROM) === String(command.runFrom) &&
      (entry.secretOutput ?? false) === command.secretOutput;
    if (summary !== entry.summary || !doors) {
      messages.push({
        level: "WARNING",
        id: "commands.W002",
        msg: doors
          ? "The registry is out of date with the command's help text."
          : "The registry is out of date with the command's runFrom or secretOutput.",
        hint: "Run `deno task registry`.",
        obj,
      });
    }
  }
  return messages;
};

/**
 * The built-in check of the registry itself: one that a source run found out of date and could
 * not regenerate is an error (`registry.E001`), as its commands, models and migrations are not the
 * project's.
 */
export const checkRegistry: Check = ({ registry }) => {
  const message = staleRegistryMessage(registry);
  if (!message) return [];
  return [{
    level: "ERROR",
    id: "registry.E001",
    msg: message.slice(0, message.lastIndexOf(": run ")),
    hint: "Run `deno task registry` (after fixing the error it names), and commit the result.",
    obj: REGISTRY_FILE,
  }];
};

/** The built-in checks and every app's registered ones (of `apps`, when given). */
async function allChecks(ctx: Pick<CheckContext, "registry" | "apps">): Promise<Check[]> {
  const checks: Check[] = [checkRegistry, checkCommands];
  for (const module of ctx.registry.checks) {
    if (ctx.apps && !ctx.apps.includes(module.app)) continue;
    const loaded = (await module.load()).default;
    if (!Array.isArray(loaded) || !loaded.every((c) => typeof c === "function")) {
      throw new CommandError(`${module.module} must default-export a list of check functions`);
    }
    checks.push(...(loaded as Check[]));
  }
  return checks;
}

/**
 * The tags of the checks, sorted (the deployment checks' only with `deploy`), as Django's
 * `check --list-tags`.
 */
export async function availableTags(
  ctx: Pick<CheckContext, "registry" | "deploy">,
): Promise<string[]> {
  const known = new Set<string>();
  for (const check of await allChecks({ registry: ctx.registry })) {
    if (check.deploy && !ctx.deploy) continue;
    for (const tag of check.tags ?? []) known.add(tag);
  }
  return [...known].sort();
}

/**
 * The first of `tags` no check has, as Django's `tag_exists` finds it (the deployment checks'
 * tags count only with `deploy`); undefined when every tag exists.
 */
export async function unknownTag(
  ctx: Pick<CheckContext, "registry" | "deploy">,
  tags: readonly string[],
): Promise<string | undefined> {
  if (tags.length === 0) return undefined;
  const known = new Set(await availableTags(ctx));
  return tags.find((tag) => !known.has(tag));
}

/** What a run of the checks found: the messages, and how many the settings silenced. */
export interface CheckResult extends Array<CheckMessage> {
  /** How many messages the settings' `silencedSystemChecks` left out. */
  silenced?: number;
}

/**
 * Runs the built-in checks and every app's registered checks (the deployment ones only with
 * `deploy`); the messages the settings silence are left out and counted in `silenced`.
 */
export async function runChecks(ctx: CheckContext): Promise<CheckResult> {
  const checks = (await allChecks(ctx)).filter((check) => !check.deploy || ctx.deploy);
  const chosen = ctx.tags
    ? checks.filter((check) => check.tags?.some((tag) => ctx.tags!.includes(tag)))
    : checks;
  const silencedIds = new Set(ctx.settings?.silencedSystemChecks ?? []);
  const messages: CheckResult = [];
  let silenced = 0;
  for (const check of chosen) {
    for (const message of await check(ctx)) {
      if (silencedIds.has(message.id)) silenced++;
      else messages.push(message);
    }
  }
  messages.silenced = silenced;
  return messages;
}

/** A check run that found problems at or above the failing level. */
export class SystemCheckError extends CommandError {
  /** Creates the error with the formatted report. */
  constructor(report: string) {
    super(report, { bare: true });
    this.name = "SystemCheckError";
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Formats check messages as Django does and says whether any is at or above `failLevel`.
 *
 * @example
 * ```ts
 * import { formatCheckReport } from "./checks.ts";
 *
 * const { text, failed } = formatCheckReport([]);
 * console.assert(text === "System check identified no issues (0 silenced)." && !failed);
 * ```
 */
export function formatCheckReport(
  messages: readonly CheckMessage[] & { silenced?: number },
  { failLevel = "ERROR", style }: { failLevel?: CheckLevel; style?: Style } = {},
): { text: string; failed: boolean } {
  const visible = messages.filter((m) => m.level !== "DEBUG");
  const silenced = messages.silenced ?? 0;
  if (visible.length === 0) {
    return { text: `System check identified no issues (${silenced} silenced).`, failed: false };
  }
  const headers: [string, CheckLevel[]][] = [
    ["ERRORS", ["CRITICAL", "ERROR"]],
    ["WARNINGS", ["WARNING"]],
    ["INFOS", ["INFO"]],
  ];
  const failIndex = CHECK_LEVELS.indexOf(failLevel);
  const failed = messages.some((m) => CHECK_LEVELS.indexOf(m.level) >= failIndex);
  const sections: string[] = [];
  for (const [header, levels] of headers) {
    const group = visible.filter((m) => levels.includes(m.level));
    if (group.length === 0) continue;
    const lines = group.map((m) => {
      const serious = CHECK_LEVELS.indexOf(m.level) >= CHECK_LEVELS.indexOf("ERROR");
      const line = `${m.obj ? `${m.obj}: ` : "?: "}(${m.id}) ${m.msg}${
        m.hint ? `\n\tHINT: ${m.hint}` : ""
      }`;
      return style ? (serious ? style.ERROR(line) : style.WARNING(line)) : line;
    });
    sections.push(`${header}:\n${lines.join("\n")}`);
  }
  const title = failed
    ? "SystemCheckError: System check identified some issues:"
    : "System check identified some issues:";
  const text = `${title}\n\n${sections.join("\n\n")}\n\nSystem check identified ${
    plural(visible.length, "issue")
  } (${silenced} silenced).`;
  return { text, failed };
}
