/**
 * A project's settings, as Django's settings module: an optional, typed `settings.ts` at the
 * project root (and named alternatives, `settings/production.ts`), default-exporting
 * `defineSettings({...})`. The registry carries them (so the compiled binary does too); a run
 * picks one with `--settings NAME` or `MANAGE_SETTINGS`, and every value can be overridden from
 * the environment ({@linkcode SETTINGS_TABLE} names the variables).
 *
 * @module
 */

import { CommandError } from "./errors.ts";
import type { SettingsEntry } from "./registry.ts";

/** The settings, every value present (the defaults where the module gives none). */
export interface Settings {
  /** Database URLs by alias; `default` is the one `ctx.db` and `--database` without one use. */
  databases: Record<string, string>;
  /** Check ids that are not reported (`["commands.W001"]`), as Django's SILENCED_SYSTEM_CHECKS. */
  silencedSystemChecks: string[];
  /** The web console (`runserver`). */
  console: {
    /** The address it listens on when `runserver` is given none (`127.0.0.1:8000`). */
    addrport: string;
    /** Host names it answers (Django's ALLOWED_HOSTS); empty: this machine's own names. */
    allowedHosts: string[];
    /** It is reached over HTTPS (a proxy in front of it terminates TLS). */
    https: boolean;
    /** It runs a worker in its process. */
    worker: boolean;
    /** Jobs its worker runs at once. */
    concurrency: number;
  };
  /** The job queue. */
  queue: {
    /** The queue `enqueue` puts jobs in and workers take them from. */
    name: string;
    /** Attempts a job gets before it fails for good (`enqueue --max-attempts`). */
    maxAttempts: number;
    /** Jobs a `manage worker` runs at once. */
    concurrency: number;
  };
}

/** What a settings module gives: any part of the settings. */
export type SettingsInput = {
  [K in keyof Settings]?: Settings[K] extends unknown[] ? Settings[K]
    : Settings[K] extends Record<string, string> ? Settings[K]
    : Partial<Settings[K]>;
};

/** The settings when the project gives none. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  databases: {},
  silencedSystemChecks: [],
  console: {
    addrport: "127.0.0.1:8000",
    allowedHosts: [],
    https: false,
    worker: true,
    concurrency: 4,
  },
  queue: { name: "default", maxAttempts: 3, concurrency: 10 },
});

/**
 * Declares a settings module's settings, typed:
 *
 * @example
 * ```ts
 * import { defineSettings } from "./settings.ts";
 *
 * export default defineSettings({
 *   databases: { replica: "postgres://app@replica/app" },
 *   silencedSystemChecks: ["commands.W001"],
 *   console: { allowedHosts: ["console.example.com"] },
 * });
 * ```
 */
export function defineSettings(settings: SettingsInput): SettingsInput {
  return settings;
}

type Kind = "url" | "list" | "string" | "integer" | "boolean";

/** One row of the settings table: a value's path, its type and its environment variable. */
export interface SettingRow {
  /** The value's path (`console.allowedHosts`). */
  readonly path: string;
  /** Its type. */
  readonly kind: Kind;
  /** The environment variable that overrides it. */
  readonly env: string;
}

/** Every setting and the variable that overrides it (`databases.<alias>` is DATABASE_URL_<ALIAS>). */
export const SETTINGS_TABLE: readonly SettingRow[] = [
  { path: "databases.default", kind: "url", env: "DATABASE_URL" },
  { path: "silencedSystemChecks", kind: "list", env: "MANAGE_SILENCED_SYSTEM_CHECKS" },
  { path: "console.addrport", kind: "string", env: "MANAGE_CONSOLE_ADDRPORT" },
  { path: "console.allowedHosts", kind: "list", env: "MANAGE_ALLOWED_HOSTS" },
  { path: "console.https", kind: "boolean", env: "MANAGE_CONSOLE_HTTPS" },
  { path: "console.worker", kind: "boolean", env: "MANAGE_CONSOLE_WORKER" },
  { path: "console.concurrency", kind: "integer", env: "MANAGE_CONSOLE_CONCURRENCY" },
  { path: "queue.name", kind: "string", env: "MANAGE_QUEUE" },
  { path: "queue.maxAttempts", kind: "integer", env: "MANAGE_QUEUE_MAX_ATTEMPTS" },
  { path: "queue.concurrency", kind: "integer", env: "MANAGE_WORKER_CONCURRENCY" },
];

const ALIAS = /^[a-z_][a-z0-9_]*$/i;

function parseValue(row: SettingRow, text: string): unknown {
  switch (row.kind) {
    case "list":
      return text.split(",").map((item) => item.trim()).filter((item) => item !== "");
    case "boolean": {
      const lower = text.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(lower)) return true;
      if (["0", "false", "no", "off", ""].includes(lower)) return false;
      throw new CommandError(`${row.env}='${text}' is not a boolean: use true or false`);
    }
    case "integer": {
      const value = Number(text);
      if (!Number.isSafeInteger(value)) {
        throw new CommandError(`${row.env}='${text}' is not a whole number`);
      }
      return value;
    }
    default:
      return text.trim();
  }
}

function merge(input: SettingsInput): Settings {
  return {
    databases: { ...DEFAULT_SETTINGS.databases, ...input.databases },
    silencedSystemChecks: [
      ...(input.silencedSystemChecks ?? DEFAULT_SETTINGS.silencedSystemChecks),
    ],
    console: { ...DEFAULT_SETTINGS.console, ...input.console },
    queue: { ...DEFAULT_SETTINGS.queue, ...input.queue },
  };
}

/**
 * The settings `input` gives, with the defaults for the rest and the environment's overrides on
 * top (a set, non-empty variable wins). `DATABASE_URL_<ALIAS>` adds or replaces an alias.
 *
 * @example
 * ```ts
 * import { resolveSettings } from "./settings.ts";
 *
 * const settings = resolveSettings({ queue: { maxAttempts: 5 } }, {
 *   DATABASE_URL: "pglite:memory",
 *   DATABASE_URL_REPLICA: "pglite:replica",
 * });
 * console.assert(settings.queue.maxAttempts === 5 && settings.queue.name === "default");
 * console.assert(settings.databases.replica === "pglite:replica");
 * ```
 */
export function resolveSettings(
  input: SettingsInput,
  env: Readonly<Record<string, string | undefined>>,
): Settings {
  const settings = merge(input);
  for (const row of SETTINGS_TABLE) {
    const text = env[row.env];
    if (text === undefined || (text === "" && row.kind !== "list")) continue;
    const [group, key] = row.path.split(".") as [keyof Settings, string | undefined];
    const value = parseValue(row, text);
    if (key === undefined) (settings as unknown as Record<string, unknown>)[group] = value;
    else (settings[group] as Record<string, unknown>)[key] = value;
  }
  for (const [name, value] of Object.entries(env)) {
    const match = /^DATABASE_URL_([A-Z0-9_]+)$/.exec(name);
    if (match && value) settings.databases[match[1].toLowerCase()] = value;
  }
  return settings;
}

/** The name a settings module is chosen by: `settings.ts` → `settings`, `settings/x.ts` → `x`. */
function matches(entry: SettingsEntry, wanted: string): boolean {
  const given = wanted.replace(/\.ts$/, "").replace(/^\.\//, "").replaceAll(".", "/");
  return given === entry.name || given === entry.module.replace(/\.ts$/, "") ||
    given === `settings/${entry.name}`;
}

/**
 * Loads the settings module `name` picks (`--settings`, else `MANAGE_SETTINGS`; the root
 * `settings.ts` when neither is given and it exists) from the registry's `settings`, and resolves
 * it with the environment. A name no module has is a `CommandError` listing those there are.
 */
export async function loadSettings(
  entries: readonly SettingsEntry[] | undefined,
  name: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ settings: Settings; module?: string }> {
  const wanted = name ?? (env.MANAGE_SETTINGS || undefined);
  const list = entries ?? [];
  const entry = wanted === undefined
    ? list.find((e) => e.module === "settings.ts")
    : list.find((e) => matches(e, wanted));
  if (wanted !== undefined && !entry) {
    const names = list.map((e) => e.name);
    throw new CommandError(
      `No settings module '${wanted}': ${
        names.length
          ? `the project has ${names.join(", ")}`
          : "the project has none (add settings.ts or settings/<name>.ts and run `deno task registry`)"
      }`,
    );
  }
  if (!entry) return { settings: resolveSettings({}, env) };
  const input = (await entry.load()).default;
  if (typeof input !== "object" || input === null) {
    throw new CommandError(
      `${entry.module} must default-export its settings: export default defineSettings({...})`,
    );
  }
  return { settings: resolveSettings(input as SettingsInput, env), module: entry.module };
}

/**
 * The URL `given` names (`--database`): an alias of the settings' `databases`, or a URL as it is;
 * nothing given is the `default` alias (undefined when there is none: the embedded database).
 * An alias the settings do not have is a `CommandError` naming those they have.
 *
 * @example
 * ```ts
 * import { databaseUrl, resolveSettings } from "./settings.ts";
 *
 * const settings = resolveSettings({ databases: { replica: "pglite:replica" } }, {});
 * console.assert(databaseUrl(settings, "replica") === "pglite:replica");
 * console.assert(databaseUrl(settings, "pglite:memory") === "pglite:memory");
 * console.assert(databaseUrl(settings, undefined) === undefined);
 * ```
 */
export function databaseUrl(settings: Settings, given: string | undefined): string | undefined {
  if (given === undefined || given === "") return settings.databases.default;
  if (!ALIAS.test(given)) return given;
  if (given in settings.databases) return settings.databases[given];
  if (given === "default") return undefined;
  const aliases = ["default", ...Object.keys(settings.databases).filter((a) => a !== "default")];
  throw new CommandError(
    `The database '${given}' is neither a URL nor an alias of the settings' databases ` +
      `(${
        aliases.join(", ")
      }): add it to databases in settings.ts, or set DATABASE_URL_${given.toUpperCase()}`,
  );
}
