/**
 * What to say when a Deno permission is missing: the access Deno refused and the flag, with its
 * path or name, that grants exactly that.
 *
 * @module
 */

const REFUSAL =
  /^Requires (\w+) access to (?:"(.*)"|(\S+?))?,? run again with the (--allow-[a-z]+) flag/s;

/** A refused access: what Deno said, without its advice, and the flag that grants it. */
export interface MissingPermission {
  /** Deno's words, such as `Requires read access to "/tmp/f.json"`. */
  readonly refused: string;
  /** The flag that grants it, such as `--allow-read=/tmp/f.json`. */
  readonly flag: string;
}

/**
 * Reads the message of a `Deno.errors.NotCapable` error; undefined when it is not one Deno
 * writes.
 *
 * @example
 * ```ts
 * import { missingPermission } from "./permissions.ts";
 *
 * const missing = missingPermission(
 *   'Requires read access to "/tmp/f.json", run again with the --allow-read flag',
 * );
 * console.assert(missing?.flag === "--allow-read=/tmp/f.json");
 * console.assert(missing?.refused === 'Requires read access to "/tmp/f.json"');
 * ```
 */
export function missingPermission(message: string): MissingPermission | undefined {
  const match = REFUSAL.exec(message);
  if (!match) return undefined;
  const [, , quoted, bare, flag] = match;
  const what = quoted ?? bare;
  const refused = message.slice(0, message.indexOf(", run again with")).replace(/,$/, "");
  // <CWD> and the like are Deno's placeholders, not a value the flag takes.
  const value = what === undefined || /^<.*>$/.test(what) ? "" : `=${what}`;
  return { refused, flag: `${flag}${value}` };
}

/**
 * The error behind `error` that is a missing Deno permission: itself, or the cause of a
 * `CommandError` that wrapped it.
 */
export function permissionError(error: unknown): Error | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e instanceof Deno.errors.NotCapable) return e;
    e = e.cause;
  }
  return undefined;
}
