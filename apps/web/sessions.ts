/**
 * Who is asking: logins (active superusers of the auth app only, throttled after repeated
 * failures), sessions in the database, CSRF tokens bound to the session, and API tokens.
 *
 * Session keys and API tokens are random 256-bit values; the database keeps only their SHA-256,
 * so reading it (or a backup) gives no way in. The CSRF token of a session is derived from its
 * key, so it needs no storage and means nothing without the cookie. A session keeps a digest of
 * its user's password hash, and holds only while it matches: a new password ends it.
 *
 * @module
 */

import type { Database, Queryable } from "../../core/database.ts";
import { CommandError } from "../../core/errors.ts";
import { checkPassword, constantTimeEqual, ITERATIONS } from "../auth/hashers.ts";

/** How long a session lasts: two weeks, as Django's `SESSION_COOKIE_AGE`. */
export const SESSION_AGE_MS = 14 * 24 * 3_600_000;
/** Failed logins of one username from one address that lock it out for a while. */
export const MAX_FAILURES = 5;
/** The window failed logins are counted in, and how long the lock lasts. */
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** The prefix of API tokens, so a leaked one is recognisable (and searchable) as ours. */
export const TOKEN_PREFIX = "mgt_";

/** The longest life an API token may be given: ten years. */
export const MAX_TOKEN_AGE_MS = 3650 * 86_400_000;

/**
 * Fails with a one-line error when the console's tables are missing or older than this code
 * (the web app's migrations have not all been applied).
 */
export async function requireConsoleTables(db: Queryable): Promise<void> {
  const [row] = await db.query<{ found: boolean }>(
    `SELECT to_regclass('auth_user') IS NOT NULL AND to_regclass('web_session') IS NOT NULL
  AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('web_api_token')
    AND attname = 'expires_at' AND NOT attisdropped) AS found`,
  );
  if (!row.found) {
    throw new CommandError(
      "The web console's tables are missing or out of date: run 'manage migrate'",
    );
  }
}

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

// The digest of a user's password hash (`u` is auth_user) a session is bound to, as Django's
// session auth hash: however the password changes, the sessions opened before no longer match.
const PASSWORD_DIGEST = "encode(sha256(convert_to(u.password, 'UTF8')), 'hex')";

/** Starts a session for a user; gives its key (for the cookie; never stored as it is). */
export async function createSession(db: Queryable, userId: number): Promise<string> {
  const key = randomSecret();
  await db.query(
    `INSERT INTO web_session (key_hash, user_id, password_digest, expires_at)
SELECT $1, u.id, ${PASSWORD_DIGEST}, now() + $3::float8 * interval '1 ms'
FROM auth_user AS u WHERE u.id = $2`,
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
WHERE s.key_hash = $1 AND s.expires_at > now() AND u.is_active AND u.is_superuser
  AND s.password_digest = ${PASSWORD_DIGEST}`,
    [await hashSecret(key)],
  );
  return row ? { id: Number(row.id), username: row.username } : undefined;
}

/** Ends a session. */
export async function deleteSession(db: Queryable, key: string): Promise<void> {
  await db.query("DELETE FROM web_session WHERE key_hash = $1", [await hashSecret(key)]);
}

/**
 * Deletes the sessions that have ended (expired, or opened with a password that has changed
 * since) and the failed logins too old to count, as Django's `clearsessions`; gives how many of
 * each.
 */
export async function clearExpired(db: Queryable): Promise<{ sessions: number; failures: number }> {
  const [row] = await db.query<{ sessions: number; failures: number }>(
    `WITH sessions AS (
  DELETE FROM web_session AS s WHERE s.expires_at <= now() OR NOT EXISTS (
    SELECT 1 FROM auth_user AS u WHERE u.id = s.user_id AND s.password_digest = ${PASSWORD_DIGEST}
  ) RETURNING 1
),
failures AS (
  DELETE FROM web_login_failure WHERE failed_at <= now() - $1::float8 * interval '1 ms' RETURNING 1
)
SELECT (SELECT count(*) FROM sessions)::int AS sessions,
  (SELECT count(*) FROM failures)::int AS failures`,
    [FAILURE_WINDOW_MS],
  );
  return { sessions: row.sessions, failures: row.failures };
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

// The first key of the advisory locks that make a login attempt's count-and-record one step
// per username and address (the second is a hash of the pair): "mgl1".
const LOGIN_LOCK = 0x6d676c31;

/**
 * Counts a login attempt before its password is checked: refuses it when the username has
 * {@linkcode MAX_FAILURES} recent failures from the address, and otherwise records it as one
 * (a success clears it). One step per username and address, so that attempts sent in parallel
 * are counted one after another and the sixth is refused unchecked.
 */
async function countAttempt(
  db: Database,
  name: string,
  ip: string,
): Promise<LoginResult | undefined> {
  return await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
      LOGIN_LOCK,
      `${name}\n${ip}`,
    ]);
    const [recent] = await tx.query<{ failures: number; oldest: string | null }>(
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
      } as const;
    }
    await tx.query(
      `WITH old AS (DELETE FROM web_login_failure
  WHERE failed_at < now() - $3::float8 * interval '1 ms')
INSERT INTO web_login_failure (username, ip) VALUES ($1, $2)`,
      [name, ip, FAILURE_WINDOW_MS],
    );
    return undefined;
  });
}

/**
 * Checks a username and password: only an active superuser gets in. After
 * {@linkcode MAX_FAILURES} failures for one username from one address within
 * {@linkcode FAILURE_WINDOW_MS}, every attempt is refused, its password unchecked, until the
 * oldest of them is that old; an attempt counts as a failure from before its password is checked
 * until it succeeds. A success clears the failures and records `auth_user.last_login`.
 */
export async function login(
  db: Database,
  username: string,
  password: string,
  ip: string,
): Promise<LoginResult> {
  const name = username.normalize("NFKC").slice(0, 150);
  const refused = await countAttempt(db, name, ip);
  if (refused) return refused;
  const [user] = await db.query<{ id: number; username: string; password: string }>(
    `SELECT id, username, password FROM auth_user
WHERE username = $1 AND is_active AND is_superuser`,
    [name],
  );
  const matches = await checkPassword(password, user?.password ?? NO_USER_HASH);
  if (!user || !matches) return { ok: false, throttled: false };
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
  { expiresInMs }: { expiresInMs?: number } = {},
): Promise<string> {
  const token = TOKEN_PREFIX + randomSecret();
  await db.query(
    `INSERT INTO web_api_token (user_id, name, token_hash, expires_at)
VALUES ($1, $2, $3, now() + $4::float8 * interval '1 ms')`,
    [userId, name, await hashSecret(token), expiresInMs ?? null],
  );
  return token;
}

/** The user of a live API token, while they are still an active superuser. */
export async function tokenUser(db: Queryable, token: string): Promise<ConsoleUser | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const [row] = await db.query<{ id: number; username: string }>(
    `WITH used AS (
  UPDATE web_api_token SET last_used_at = now()
  WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > now())
  RETURNING user_id
)
SELECT u.id, u.username FROM used JOIN auth_user AS u ON u.id = used.user_id
WHERE u.is_active AND u.is_superuser`,
    [await hashSecret(token)],
  );
  return row ? { id: Number(row.id), username: row.username } : undefined;
}

/** An API token as it is listed: everything but the token, which is not kept. */
export interface ApiTokenInfo {
  /** `web_api_token.id`, what `apitokens revoke` takes. */
  readonly id: number;
  /** Its user's username. */
  readonly username: string;
  /** What it is for. */
  readonly name: string;
  /** When it was made, last used and ends (ISO 8601, UTC); null: never. */
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  /** Whether it has ended. */
  readonly expired: boolean;
}

const iso = (value: unknown) => value === null ? null : new Date(value as string).toISOString();

/** The API tokens, oldest first; only one user's when `username` is given. */
export async function listApiTokens(
  db: Queryable,
  username?: string,
): Promise<ApiTokenInfo[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT t.id, u.username, t.name, t.created_at, t.last_used_at, t.expires_at,
  coalesce(t.expires_at <= now(), false) AS expired
FROM web_api_token AS t JOIN auth_user AS u ON u.id = t.user_id
WHERE $1::text IS NULL OR u.username = $1 ORDER BY t.id`,
    [username ?? null],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    username: String(row.username),
    name: String(row.name),
    createdAt: iso(row.created_at)!,
    lastUsedAt: iso(row.last_used_at),
    expiresAt: iso(row.expires_at),
    expired: Boolean(row.expired),
  }));
}

/**
 * Deletes API tokens by id (all or none: an id that does not exist is an error and nothing is
 * deleted) or every token of a user; gives how many were deleted.
 */
export async function revokeApiTokens(
  db: Database,
  which: { ids: readonly number[] } | { username: string },
): Promise<number> {
  if ("username" in which) {
    const gone = await db.query(
      `DELETE FROM web_api_token WHERE user_id IN (SELECT id FROM auth_user WHERE username = $1)
RETURNING 1`,
      [which.username],
    );
    return gone.length;
  }
  const ids = [...new Set(which.ids)];
  return await db.transaction(async (tx) => {
    const gone = await tx.query<{ id: number }>(
      "DELETE FROM web_api_token WHERE id = ANY(string_to_array($1, ',')::bigint[]) RETURNING id",
      [ids.join(",")],
    );
    const missing = ids.filter((id) => !gone.some((row) => Number(row.id) === id));
    if (missing.length > 0) {
      throw new CommandError(
        `There is no API token ${missing.join(", ")}: see 'manage apitokens list'`,
      );
    }
    return gone.length;
  });
}
