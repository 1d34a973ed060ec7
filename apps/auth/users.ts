/**
 * Users as Django's `django.contrib.auth` keeps them: its username and email rules and
 * messages, the system user as the default username, and creating a superuser or setting a
 * password (hashed with `hashers.ts`; the password itself is never stored or shown).
 *
 * @module
 */

import { CommandError } from "../../core/errors.ts";
import type { Queryable } from "../../core/database.ts";
import { makePassword } from "./hashers.ts";
import { User, USERNAME_MAX_LENGTH } from "./models.ts";

/** The longest email address Django's `EmailField` takes. */
export const EMAIL_MAX_LENGTH = 254;

// Django's UnicodeUsernameValidator: letters, digits and @/./+/-/_.
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;
// Django's EmailValidator: a dot-atom or quoted local part, and a domain of letter-digit labels.
const EMAIL_USER =
  // deno-lint-ignore no-control-regex -- a quoted local part may hold control characters
  /^([-!#$%&'*+/=?^_`{}|~0-9a-z]+(\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*|"([\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$/i;
const EMAIL_DOMAIN =
  /^((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+)(?:[\p{L}\p{N}-]{2,63})$/iu;
const EMAIL_LITERAL = /^\[[0-9a-f:.]+\]$/i;

function tooLong(value: string, max: number): string[] {
  const length = [...value].length;
  return length > max
    ? [`Ensure this value has at most ${max} characters (it has ${length}).`]
    : [];
}

/**
 * Django's checks of a username, with its messages (none when it is valid).
 *
 * @example
 * ```ts
 * import { validateUsername } from "./users.ts";
 *
 * console.assert(validateUsername("ann.smith@example").length === 0);
 * console.assert(validateUsername("ann smith")[0].startsWith("Enter a valid username."));
 * ```
 */
export function validateUsername(username: string): string[] {
  if (username === "") return ["This field cannot be blank."];
  const messages = USERNAME.test(username) ? [] : [
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
  ];
  return [...messages, ...tooLong(username, USERNAME_MAX_LENGTH)];
}

/**
 * Django's checks of an email address, with its messages; the empty address is allowed (the
 * field is optional, as Django's).
 *
 * @example
 * ```ts
 * import { validateEmail } from "./users.ts";
 *
 * console.assert(validateEmail("ann@example.com").length === 0);
 * console.assert(validateEmail("").length === 0);
 * console.assert(validateEmail("ann@")[0] === "Enter a valid email address.");
 * ```
 */
export function validateEmail(email: string): string[] {
  if (email === "") return [];
  const at = email.lastIndexOf("@");
  const user = email.slice(0, Math.max(at, 0));
  const domain = email.slice(at + 1);
  const valid = at > 0 && EMAIL_USER.test(user) &&
    (domain === "localhost" || EMAIL_DOMAIN.test(domain) || EMAIL_LITERAL.test(domain));
  return [...(valid ? [] : ["Enter a valid email address."]), ...tooLong(email, EMAIL_MAX_LENGTH)];
}

/** Django's `normalize_email`: the domain part in lower case. */
export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf("@");
  return at < 0 ? email : email.slice(0, at) + "@" + email.slice(at + 1).toLowerCase();
}

/** Django's `normalize_username`: Unicode NFKC, so look-alike names are one name. */
export function normalizeUsername(username: string): string {
  return username.normalize("NFKC");
}

/**
 * The operating-system user's name as a username, as Django's `get_default_username`: from
 * `LOGNAME`, `USER`, `LNAME` or `USERNAME` (Python's `getpass.getuser()` order), in plain ASCII
 * lower case without spaces; empty when there is none or it is not a valid username.
 *
 * @example
 * ```ts
 * import { systemUsername } from "./users.ts";
 *
 * console.assert(systemUsername({ USER: "José Ramírez" }) === "joseramirez");
 * console.assert(systemUsername({}) === "");
 * ```
 */
export function systemUsername(env: Readonly<Record<string, string | undefined>>): string {
  const name = env.LOGNAME || env.USER || env.LNAME || env.USERNAME || "";
  const ascii = name.normalize("NFKD").replace(/\P{ASCII}/gu, "").replaceAll(" ", "")
    .toLowerCase();
  return ascii !== "" && validateUsername(ascii).length === 0 ? ascii : "";
}

/**
 * Fails with a one-line error when the database has no `auth_user` table (the auth app's
 * migration has not been applied), rather than with the database's own error.
 */
export async function requireUserTable(db: Queryable): Promise<void> {
  const [row] = await db.sql<{ found: boolean }>`
    SELECT to_regclass(${User.state.table}) IS NOT NULL AS found`;
  if (!row.found) {
    throw new CommandError(
      `The ${User.state.table} table does not exist: run 'manage migrate' to create it`,
    );
  }
}

/** Whether a user has this username. */
export function usernameTaken(db: Queryable, username: string): Promise<boolean> {
  return User.objects.using(db).filter({ username }).exists();
}

/** What {@linkcode createSuperuser} takes. */
export interface NewSuperuser {
  /** The username (normalized as Django does). */
  username: string;
  /** The email address (its domain in lower case), or `""`. */
  email: string;
  /** The password, hashed before it is stored. */
  password: string;
}

/** Creates an active superuser (staff too, as Django's `create_superuser`) and returns its id. */
export async function createSuperuser(db: Queryable, user: NewSuperuser): Promise<number> {
  const created = await User.objects.using(db).create({
    username: normalizeUsername(user.username),
    email: normalizeEmail(user.email),
    password: await makePassword(user.password),
    isSuperuser: true,
    isStaff: true,
    isActive: true,
  });
  return created.id;
}

/** Sets a user's password (as a new hash). */
export async function setPassword(db: Queryable, id: number, password: string): Promise<void> {
  await User.objects.using(db).filter({ id }).update({ password: await makePassword(password) });
}
