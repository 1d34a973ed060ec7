/**
 * A query's rows in batches, read through a server-side cursor (`DECLARE … NO SCROLL CURSOR`,
 * then `FETCH n` until a batch comes back short), so that memory stays flat however many rows
 * there are: what `QuerySet.iterator()` and `for await` stand on.
 *
 * @module
 */

import type { Database, Queryable, Row as DbRow } from "../../../core/database.ts";

// Cursor names only need to differ within one session; a counter keeps nested loops apart.
let cursors = 0;

/** A database that can begin a transaction (not a transaction's `tx`). */
type Transactional = Queryable & Pick<Database, "transaction">;

/** Whether `db` can begin a transaction of its own. */
export function canBegin(db: Queryable): db is Transactional {
  return typeof (db as Partial<Transactional>).transaction === "function";
}

/**
 * The rows of `query` in batches of `chunkSize`: on a database, in a transaction of the
 * cursor's own, which ends when the loop does; in a transaction (`tx`), in that one.
 */
export function cursorBatches(
  db: Queryable,
  query: { readonly text: string; readonly params: readonly (string | null)[] },
  chunkSize: number,
): AsyncGenerator<DbRow[]> {
  const name = `manage_cursor_${++cursors}`;
  const cursor: Cursor = {
    declare: [`DECLARE ${name} NO SCROLL CURSOR FOR ${query.text}`, query.params],
    fetch: `FETCH ${chunkSize} FROM ${name}`,
    close: `CLOSE ${name}`,
    chunkSize,
  };
  return canBegin(db) ? batchesInTransaction(db, cursor) : batchesIn(db, cursor);
}

interface Cursor {
  readonly declare: [string, readonly (string | null)[]];
  readonly fetch: string;
  readonly close: string;
  readonly chunkSize: number;
}

/** The cursor's batches, in a transaction that `tx` already is; the cursor is closed after. */
async function* batchesIn(tx: Queryable, cursor: Cursor): AsyncGenerator<DbRow[]> {
  await tx.query(...cursor.declare);
  let failed = false;
  try {
    for (;;) {
      let rows: DbRow[];
      try {
        rows = await tx.query(cursor.fetch);
      } catch (error) {
        failed = true; // The transaction is aborted: CLOSE would fail too, hiding the error.
        throw error;
      }
      if (rows.length > 0) yield rows;
      if (rows.length < cursor.chunkSize) return;
    }
  } finally {
    if (!failed) await tx.query(cursor.close);
  }
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  const { promise, resolve } = Promise.withResolvers<T>();
  return { promise, resolve };
}

/**
 * The cursor's batches, each fetched in a transaction of the cursor's own when the consumer
 * asks for it. The transaction is a callback (`db.transaction(fn)`) and iteration is pulled,
 * so the two meet through requests: the consumer hands over a slot for the next batch, or
 * nothing when it stops; the transaction fills the slot, and ends (committing, which closes
 * the cursor) when told to stop or when a batch comes back short, without waiting for the
 * consumer to finish with it.
 */
async function* batchesInTransaction(db: Transactional, cursor: Cursor): AsyncGenerator<DbRow[]> {
  let request = deferred<Deferred<DbRow[]> | undefined>();
  const finished = db.transaction(async (tx) => {
    await tx.query(...cursor.declare);
    for (;;) {
      const slot = await request.promise;
      if (!slot) return;
      request = deferred();
      const rows = await tx.query(cursor.fetch);
      slot.resolve(rows);
      if (rows.length < cursor.chunkSize) return;
    }
  });
  const ended = finished.then((): DbRow[] => []);
  try {
    for (;;) {
      const slot = deferred<DbRow[]>();
      request.resolve(slot);
      // A failed transaction rejects `ended`, which ends the wait for a slot it will not fill.
      const rows = await Promise.race([slot.promise, ended]);
      if (rows.length > 0) yield rows;
      if (rows.length < cursor.chunkSize) return;
    }
  } finally {
    request.resolve(undefined);
    await finished;
  }
}
