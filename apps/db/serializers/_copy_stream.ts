// A `COPY … FROM STDIN` kept open on a server while batches of one model's rows follow each other,
// so that a large load is one COPY per model rather than one per batch.

import type { Queryable } from "../../../core/database.ts";
import type { Sink } from "./_load_plan.ts";

/** One `COPY … FROM STDIN` kept open while batches of one sink follow each other. */
export class CopyStream {
  /** The sink whose rows it takes. */
  readonly sink: Sink;
  readonly #done: Promise<void>;
  readonly #queue: string[] = [];
  #closed = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  #taken: (() => void) | undefined;

  constructor(tx: Queryable, sink: Sink, target: string) {
    this.sink = sink;
    this.#done = tx.copyFrom!(target, "", this.#chunks());
    // Awaited by push() and close(), which report it.
    this.#done.catch(() => {});
  }

  async *#chunks(): AsyncGenerator<string> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (this.#queue.length > 0) {
        const next = this.#queue.shift()!;
        this.#taken?.();
        this.#taken = undefined;
        yield next;
      } else if (this.#closed) return;
      else await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Queues a batch, once the one before has been taken (or fails with the COPY's error). */
  async push(text: string): Promise<void> {
    if (this.#queue.length > 0) {
      await Promise.race([new Promise<void>((resolve) => this.#taken = resolve), this.#done]);
    }
    this.#queue.push(text);
    this.#wake?.();
    this.#wake = undefined;
  }

  /** Cancels the COPY (the server is told it failed) and waits for it to end. */
  async abort(): Promise<void> {
    this.#failure = new Error("The load was stopped");
    this.#wake?.();
    this.#wake = undefined;
    await this.#done.catch(() => {});
  }

  /** Ends the COPY and waits for the database to have taken every row. */
  close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    this.#wake = undefined;
    return this.#done;
  }
}
