// The database-wide lock `migrate` holds: a session-level advisory lock with a fixed key, taken
// by trying again every 100 ms until a timeout, so concurrent runs wait for each other.

import type { Database } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";

/** 64-bit FNV-1a, as a signed bigint (what `pg_try_advisory_lock(bigint)` takes). */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash);
}

/**
 * The session-level advisory lock that `migrate` holds while it changes the database: derived
 * from the constant `manage.migrate`, so every `manage` process on a database uses the same key.
 */
export const MIGRATION_LOCK_KEY: bigint = fnv1a64("manage.migrate");

/** Options of {@linkcode withMigrationLock}. */
export interface LockOptions {
  /** How long to wait for the lock, in seconds (0: try once). */
  timeout: number;
  /** Stops waiting. */
  signal?: AbortSignal;
  /** Called once when the lock is taken by someone else and waiting begins. */
  onWait?: () => void;
  /** How often to try again, in milliseconds (100 by default). */
  pollInterval?: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs `fn` holding {@linkcode MIGRATION_LOCK_KEY}, a session-level advisory lock: tries to take
 * it every `pollInterval` ms until `timeout` seconds have passed, then throws
 * {@linkcode CommandError}. The lock is released when `fn` ends, however it ends.
 */
export async function withMigrationLock<R>(
  db: Database,
  options: LockOptions,
  fn: () => Promise<R>,
): Promise<R> {
  const deadline = Date.now() + options.timeout * 1000;
  let waiting = false;
  while (!(await db.tryAdvisoryLock(MIGRATION_LOCK_KEY))) {
    if (options.signal?.aborted) {
      throw new CommandError("Interrupted while waiting for the migration lock");
    }
    if (Date.now() >= deadline) {
      throw new CommandError(
        `Could not take the migration lock within ${options.timeout}s: another migrate is ` +
          "running on this database; wait for it to finish or raise --lock-timeout",
      );
    }
    if (!waiting) options.onWait?.();
    waiting = true;
    await sleep(
      Math.min(options.pollInterval ?? 100, Math.max(deadline - Date.now(), 0)),
      options.signal,
    );
  }
  try {
    return await fn();
  } finally {
    await db.advisoryUnlock(MIGRATION_LOCK_KEY);
  }
}
