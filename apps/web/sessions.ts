/**
 * Who is asking: logins (active superusers of the auth app only, throttled after repeated
 * failures), sessions in the database, CSRF tokens bound to the session, and API tokens.
 *
 * Session keys and API tokens are random 256-bit values; the database keeps only their SHA-256,
 * so reading it (or a backup) gives no way in. The CSRF token of a session is derived from its
 * key, so it needs no storage and means nothing without the cookie.
 *
 * @module
 */

import type { Queryable } from "../../core/database.ts";
import { checkPassword, constantTimeEqual, ITERATIONS } from "../auth/hashers.ts";

/** How long a session lasts: two weeks, as Django's `SESSION_COOKIE_AGE`. */
export const SESSION_AGE_MS = 14 * 24 * 3_600_000;
/** Failed logins of one username from one address that lock it out for a while. */
export const MAX_FAILURES = 5;
/** The window failed logins are counted in, and how long the lock lasts. */
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** The prefix of API tokens, so a leaked one is recognisable (and searchable) as ours. */
export const TOKEN_PREFIX = "mgt_";

/** A signed-in user, as the console needs them. */
export interface ConsoleUser {
  /** `auth_user.id`. */
  readonly id: number;
  /** The username. */
  readonly username: string;
}

const encoder = new TextEncoder();

/** A random secret: 32 bytes, base64url without padding (43 characters). */
export function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * The SHA-256 of a secret, in hex: what the database keeps of session keys and tokens.
 *
 * @example
 * ```ts
 * import { hashSecret } from "./sessions.ts";
 *
 * console.assert((await hashSecret("abc")).startsWith("ba7816bf"));
 * ```
 */
export async function hashSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(secret));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The CSRF token of a session: derived from its key, which only its browser has. */
export async function csrfToken(sessionKey: string): Promise<string> {
  return await hashSecret(`csrf:${sessionKey}`);
}

/** Whether `given` is the CSRF token of the session `sessionKey`. */
export async function validCsrf(sessionKey: string, given: string | null): Promise<boolean> {
  if (!given) return false;
  return constantTimeEqual(await csrfToken(sessionKey), given);
}

/** Starts a session for a user; gives its key (for the cookie; never stored as it is). */
export async function createSession(db: Queryable, userId: number): Promise<string> {
  const key = randomSecret();
  await db.query(
    `INSERT INTO web_session (key_hash, user_id, expires_at)
VALUES ($1, $2, now() + $3::float8 * interval '1 ms')`,
    [await hashSecret(key), userId, SESSION_AGE_MS],
  );
  return key;
}

/** The user of a live session, while they are still an active superuser. */
export async function sessionUser(
  db: Queryable,
  key: string | undefined,
): Promise<ConsoleUser | undefined> {
  if (!key || key.length > 200) return undefined;
  const [row] = await db.query<{ id: number; username: string }>(
    `SELECT u.id, u.username FROM web_session AS s JOIN auth_user AS u ON u.id = s.user_id
WHERE s.key_hash = $1 AND s.expires_at > now() AND u.is_active AND u.is_superuser`,
    [await hashSecret(key)],
  );
  return row ? { id: Number(row.id), username: row.username } : undefined;
}

/** Ends a session. */
export async function deleteSession(db: Queryable, key: string): Promise<void> {
  await db.query("DELETE FROM web_session WHERE key_hash = $1", [await hashSecret(key)]);
}

/** How a login attempt went. */
export type LoginResult =
  | { readonly ok: true; readonly user: ConsoleUser }
  | { readonly ok: false; readonly throttled: false }
  | { readonly ok: false; readonly throttled: true; readonly retryAfterSeconds: number };

// Checked against when the username is unknown, so that a wrong username takes as long as a
// wrong password and the time of an answer does not tell which usernames exist.
const NO_USER_HASH =
  `pbkdf2_sha256$${ITERATIONS}$nousernosalt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;

/**
 * Checks a username and password: only an active superuser gets in. After
 * {@linkcode MAX_FAILURES} failures for one username from one address within
 * {@linkcode FAILURE_WINDOW_MS}, every attempt is refused until the oldest of them is that old.
 * A success clears the failures and records `auth_user.last_login`.
 */
export async function login(
  db: Queryable,
  username: string,
  password: string,
  ip: string,
): Promise<LoginResult> {
  const name = username.normalize("NFKC").slice(0, 150);
  const [recent] = await db.query<{ failures: number; oldest: string | null }>(
    `SELECT count(*)::int AS failures, min(failed_at) AS oldest FROM web_login_failure
WHERE username = $1 AND ip = $2 AND failed_at > now() - $3::float8 * interval '1 ms'`,
    [name, ip, FAILURE_WINDOW_MS],
  );
  if (recent.failures >= MAX_FAILURES) {
    const unlock = new Date(recent.oldest!).getTime() + FAILURE_WINDOW_MS;
    return {
      ok: false,
      throttled: true,
      retryAfterSeconds: Math.max(1, Math.ceil((unlock - Date.now()) / 1000)),
    };
  }
  const [user] = await db.query<{ id: number; username: string; password: string }>(
    `SELECT id, username, password FROM auth_user
WHERE username = $1 AND is_active AND is_superuser`,
    [name],
  );
  const matches = await checkPassword(password, user?.password ?? NO_USER_HASH);
  if (!user || !matches) {
    await db.query(
      `WITH old AS (DELETE FROM web_login_failure
  WHERE failed_at < now() - $3::float8 * interval '1 ms')
INSERT INTO web_login_failure (username, ip) VALUES ($1, $2)`,
      [name, ip, FAILURE_WINDOW_MS],
    );
    return { ok: false, throttled: false };
  }
  await db.query("DELETE FROM web_login_failure WHERE username = $1 AND ip = $2", [name, ip]);
  await db.query("UPDATE auth_user SET last_login = now() WHERE id = $1", [user.id]);
  await db.query("DELETE FROM web_session WHERE expires_at < now()");
  return { ok: true, user: { id: Number(user.id), username: user.username } };
}

/** Creates an API token for a user; gives the token, which is not kept and cannot be shown again. */
export async function createApiToken(
  db: Queryable,
  userId: number,
  name = "",
): Promise<string> {
  const token = TOKEN_PREFIX + randomSecret();
  await db.query(
    "INSERT INTO web_api_token (user_id, name, token_hash) VALUES ($1, $2, $3)",
    [userId, name, await hashSecret(token)],
  );
  return token;
}

/** The user of an API token, while they are still an active superuser. */
export async function tokenUser(db: Queryable, token: string): Promise<ConsoleUser | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const [row] = await db.query<{ id: number; username: string }>(
    `WITH used AS (
  UPDATE web_api_token SET last_used_at = now() WHERE token_hash = $1 RETURNING user_id
)
SELECT u.id, u.username FROM used JOIN auth_user AS u ON u.id = used.user_id
WHERE u.is_active AND u.is_superuser`,
    [await hashSecret(token)],
  );
  return row ? { id: Number(row.id), username: row.username } : undefined;
}
