/**
 * Ordering text as Python's `sorted()` does (by code point), for lists a person reads: command
 * names, apps, suggestions. `String.prototype.localeCompare` would load the locale's collation
 * tables on its first call, which costs a command's start-up several milliseconds.
 *
 * @module
 */

/**
 * Compares two strings by code point: negative, zero or positive, for `Array.prototype.sort`.
 *
 * @example
 * ```ts
 * import { compareText } from "./compare.ts";
 *
 * console.assert(["migrate", "check", "Z"].sort(compareText).join() === "Z,check,migrate");
 * ```
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
