/**
 * Password validation as Django's default `AUTH_PASSWORD_VALIDATORS`, in Django's order and
 * with Django's messages: similarity to the user's username and email address (difflib's
 * `SequenceMatcher.quick_ratio()` of at least 0.7), a minimum length of 8, Django's list of
 * about 20,000 common passwords, and entirely numeric passwords.
 *
 * @module
 */

/** What a password is compared with: the user's attributes. */
export interface UserAttributes {
  /** The username. */
  username?: string;
  /** The email address. */
  email?: string;
  /** The first name. */
  firstName?: string;
  /** The last name. */
  lastName?: string;
}

/** A password validator: the messages of the rules the password breaks (none when it passes). */
export type PasswordValidator = (
  password: string,
  user?: UserAttributes,
) => string[] | Promise<string[]>;

/** Django's minimum length. */
export const MIN_LENGTH = 8;
/** Django's `max_similarity`. */
export const MAX_SIMILARITY = 0.7;

// Django's verbose names of the compared attributes, in Django's order.
const ATTRIBUTES: readonly [keyof UserAttributes, string][] = [
  ["username", "username"],
  ["firstName", "first name"],
  ["lastName", "last name"],
  ["email", "email address"],
];

/**
 * difflib's `SequenceMatcher(a=a, b=b).quick_ratio()`: twice the number of characters the two
 * strings share (counted with repeats, in any order) over their total length.
 *
 * @example
 * ```ts
 * import { quickRatio } from "./password_validation.ts";
 *
 * console.assert(quickRatio("abcd", "bcde") === 0.75);
 * console.assert(quickRatio("", "") === 1);
 * ```
 */
export function quickRatio(a: string, b: string): number {
  const as = [...a];
  const bs = [...b];
  const available = new Map<string, number>();
  for (const ch of bs) available.set(ch, (available.get(ch) ?? 0) + 1);
  let matches = 0;
  for (const ch of as) {
    const left = available.get(ch) ?? 0;
    if (left > 0) matches++;
    available.set(ch, left - 1);
  }
  const length = as.length + bs.length;
  return length === 0 ? 1 : (2 * matches) / length;
}

/** Django's shortcut: a value this much shorter than the password cannot reach the ratio. */
function exceedsMaximumLengthRatio(password: string, value: string): boolean {
  const passwordLength = [...password].length;
  const valueLength = [...value].length;
  return passwordLength >= 10 * valueLength &&
    valueLength < (MAX_SIMILARITY / 2) * passwordLength;
}

/**
 * Django's `UserAttributeSimilarityValidator`: the password may not be too like the username,
 * names or email address, whole or any part of them split at non-word characters.
 */
export function userAttributeSimilarity(password: string, user?: UserAttributes): string[] {
  if (!user) return [];
  const lower = password.toLowerCase();
  for (const [attribute, verboseName] of ATTRIBUTES) {
    const value = user[attribute];
    if (!value) continue;
    const valueLower = value.toLowerCase();
    const parts = [...valueLower.split(/[^\p{L}\p{N}_]+/u), valueLower];
    for (const part of parts) {
      if (exceedsMaximumLengthRatio(lower, part)) continue;
      if (quickRatio(lower, part) >= MAX_SIMILARITY) {
        return [`The password is too similar to the ${verboseName}.`];
      }
    }
  }
  return [];
}

/** Django's `MinimumLengthValidator` with its default of 8 characters. */
export function minimumLength(password: string): string[] {
  return [...password].length < MIN_LENGTH
    ? [`This password is too short. It must contain at least ${MIN_LENGTH} characters.`]
    : [];
}

let common: Set<string> | undefined;

/**
 * Django's `CommonPasswordValidator`, with Django's list (`common_passwords/`, vendored data
 * loaded on first use: a JSON module, which `deno compile` embeds and a run with file reads
 * denied can import).
 */
export async function commonPassword(password: string): Promise<string[]> {
  if (!common) {
    const { default: list } = await import("./common_passwords/passwords.json", {
      with: { type: "json" },
    });
    common = new Set<string>(list);
  }
  return common.has(password.toLowerCase().trim()) ? ["This password is too common."] : [];
}

/** Django's `NumericPasswordValidator`. */
export function numericPassword(password: string): string[] {
  return /^\p{Nd}+$/u.test(password) ? ["This password is entirely numeric."] : [];
}

/** Django's default validators, in the order of its project template's settings. */
export const DEFAULT_VALIDATORS: readonly PasswordValidator[] = [
  userAttributeSimilarity,
  minimumLength,
  commonPassword,
  numericPassword,
];

/**
 * Runs every validator and returns all their messages, in order; none when the password is
 * acceptable. The password itself is never part of a message.
 *
 * @example
 * ```ts
 * import { validatePassword } from "./password_validation.ts";
 *
 * console.assert((await validatePassword("correct horse battery staple")).length === 0);
 * const messages = await validatePassword("1234567");
 * console.assert(messages.join("\n") === [
 *   "This password is too short. It must contain at least 8 characters.",
 *   "This password is too common.",
 *   "This password is entirely numeric.",
 * ].join("\n"));
 * ```
 */
export async function validatePassword(
  password: string,
  user?: UserAttributes,
  validators: readonly PasswordValidator[] = DEFAULT_VALIDATORS,
): Promise<string[]> {
  const messages: string[] = [];
  for (const validator of validators) messages.push(...await validator(password, user));
  return messages;
}
