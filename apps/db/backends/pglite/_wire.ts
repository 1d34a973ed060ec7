// The framed protocol between the process that holds an embedded database and the other
// processes it serves, over a Unix socket. A frame is a 4-byte big-endian length, a kind byte and
// a payload: kind 0 is a JSON message, kind 1 is a request id (4 bytes) and raw bytes (COPY data).
// Values in messages use a tagged encoding so that rows come back with the JS types PGlite gives
// in process: bigint, Date, Uint8Array, undefined and non-finite numbers survive JSON.
//
// Besides replies, the holder sends events: `notification`; `closing` (to a client that connects
// while the holder is stopping: its hello is answered by the next holder); `move` (the holder is
// stopping and has answered everything this client sent before it: what the client sent after
// was not done, and goes to the next holder); and `committing` with the transaction's id
// (`xid`), sent before a client's COMMIT runs, so that a client whose holder dies before the
// reply can ask the next holder whether that transaction committed.

import { CommandError } from "../../../../core/errors.ts";

/** Sent first by a client: a holder that speaks another version refuses it. */
export const PROTOCOL_VERSION = 2;

/** A JSON message: a request (`id`, `op`), a reply (`id`, `ok` or `error`) or an event. */
export type Message = Record<string, unknown>;

/** One frame read from the socket. */
export type Frame =
  | { readonly kind: "message"; readonly message: Message }
  | { readonly kind: "bytes"; readonly id: number; readonly bytes: Uint8Array };

const MESSAGE = 0;
const BYTES = 1;
const HEADER = 5;
/** COPY data is sent in frames of at most this many bytes. */
export const CHUNK = 1 << 20;

/** A socket that carries frames: writes go out whole and in order, reads come frame by frame. */
export class FrameSocket {
  readonly #conn: Deno.Conn;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  /** Wraps a connected socket. */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Sends a message; rejects when the socket is closed or broken. */
  send(message: Message): Promise<void> {
    return this.#write(MESSAGE, new TextEncoder().encode(JSON.stringify(message)));
  }

  /** Sends raw bytes for request `id`. */
  sendBytes(id: number, bytes: Uint8Array): Promise<void> {
    return this.#write(BYTES, bytes, id);
  }

  #write(kind: number, body: Uint8Array, id?: number): Promise<void> {
    const head = id === undefined ? HEADER : HEADER + 4;
    const frame = new Uint8Array(head + body.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, frame.length - 4);
    view.setUint8(4, kind);
    if (id !== undefined) view.setUint32(HEADER, id);
    frame.set(body, head);
    const done = this.#writing.then(async () => {
      for (let offset = 0; offset < frame.length;) {
        offset += await this.#conn.write(frame.subarray(offset));
      }
    });
    // A failed write fails its sender; the next writes still go in order (and fail alike).
    this.#writing = done.catch(() => {});
    return done;
  }

  /** The frames received, until the other end closes; throws when the socket breaks. */
  async *frames(): AsyncGenerator<Frame> {
    let buffer = new Uint8Array(64 * 1024);
    let start = 0;
    let end = 0;
    for (;;) {
      while (end - start >= 4) {
        const length = new DataView(buffer.buffer, start, 4).getUint32(0);
        if (end - start < 4 + length) break;
        const kind = buffer[start + 4];
        const body = buffer.slice(start + HEADER, start + 4 + length);
        start += 4 + length;
        if (kind === MESSAGE) {
          yield { kind: "message", message: JSON.parse(new TextDecoder().decode(body)) };
        } else if (kind === BYTES) {
          const id = new DataView(body.buffer).getUint32(0);
          yield { kind: "bytes", id, bytes: body.subarray(4) };
        } else {
          throw new Error(`Unknown frame kind ${kind}`);
        }
      }
      if (start === end && buffer.length > 1 << 20) {
        // Done with a large frame: give its memory back.
        buffer = new Uint8Array(64 * 1024);
        start = end = 0;
      }
      if (start > 0) {
        buffer.copyWithin(0, start, end);
        end -= start;
        start = 0;
      }
      const needed = end >= 4 ? 4 + new DataView(buffer.buffer).getUint32(0) : 4;
      if (needed > buffer.length) {
        const larger = new Uint8Array(Math.max(needed, buffer.length * 2));
        larger.set(buffer.subarray(0, end));
        buffer = larger;
      }
      let n: number | null;
      try {
        n = await this.#conn.read(buffer.subarray(end));
      } catch (error) {
        // Closed by this side: the end of the frames.
        if (this.#closed) return;
        throw error;
      }
      if (n === null) return;
      end += n;
    }
  }

  /** Keeps the process alive while a read waits (true), or lets it end (false). */
  keepAlive(yes: boolean): void {
    if (yes) this.#conn.ref();
    else this.#conn.unref();
  }

  /** Closes the socket (once); a pending read ends the frames. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // Kept alive until the pending read ends, or the process could end with it unsettled.
      this.#conn.ref();
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
  }
}

/**
 * Encodes a value for JSON: `{ $: tag, v }` for what JSON lacks, and objects that have a `$`
 * key of their own wrapped as `{ $: "object", v }` so that they are not taken for tags.
 */
export function encodeValue(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0)
        ? value
        : { $: "number", v: Object.is(value, -0) ? "-0" : String(value) };
    case "bigint":
      return { $: "bigint", v: value.toString() };
    case "undefined":
      return { $: "undefined" };
    case "object":
      break;
    default:
      throw new TypeError(`A ${typeof value} cannot be sent to the database`);
  }
  if (value instanceof Date) return { $: "date", v: encodeValue(value.getTime()) };
  if (value instanceof Uint8Array) return { $: "bytes", v: value.toBase64() };
  if (Array.isArray(value)) return value.map(encodeValue);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return encodeValue(toJSON.call(value));
  const entries = Object.entries(value).map(([key, item]) => [key, encodeValue(item)]);
  const object = Object.fromEntries(entries);
  return Object.hasOwn(value, "$") ? { $: "object", v: object } : object;
}

/** Decodes what {@linkcode encodeValue} made. */
export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const record = value as Record<string, unknown>;
  if (!Object.hasOwn(record, "$")) return decodeEntries(record);
  switch (record.$) {
    case "number":
      return record.v === "-0" ? -0 : Number(record.v);
    case "bigint":
      return BigInt(record.v as string);
    case "undefined":
      return undefined;
    case "date":
      return new Date(decodeValue(record.v) as number);
    case "bytes":
      return Uint8Array.fromBase64(record.v as string);
    case "object":
      return decodeEntries(record.v as Record<string, unknown>);
    default:
      throw new Error(`Unknown value tag ${JSON.stringify(record.$)}`);
  }
}

function decodeEntries(record: Record<string, unknown>): Record<string, unknown> {
  // fromEntries defines keys as own properties, "__proto__" included.
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, decodeValue(item)]));
}

/** An error as a message: its name, message and fields (PostgreSQL's `code`, `detail`, …). */
export function encodeError(error: unknown): Message {
  if (!(error instanceof Error)) return { name: "Error", message: String(error), fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === "stack" || key === "name" || key === "message") continue;
    if (["string", "number", "boolean"].includes(typeof value)) fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

/** The error a message describes, with the same name, message and fields. */
export function decodeError(encoded: Message): Error {
  const fields = (encoded.fields ?? {}) as Record<string, unknown>;
  if (encoded.name === "CommandError") {
    const returncode = typeof fields.returncode === "number" ? fields.returncode : 1;
    return new CommandError(String(encoded.message), { returncode });
  }
  const error = new Error(String(encoded.message));
  Object.assign(error, fields);
  // A class name of its own, as PGlite's DatabaseError has.
  Object.defineProperty(error, "name", {
    value: String(encoded.name ?? "Error"),
    writable: true,
    configurable: true,
  });
  return error;
}
