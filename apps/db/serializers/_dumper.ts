/**
 * Dumping models' rows as one Django fixture, as fast as the database sends them: each model's
 * rows come as binary `COPY` output, in one read-only snapshot, and go to JSON bytes as they
 * arrive (`_binary_rows.ts`), laid out again for `--indent`. Memory is one output buffer.
 *
 * The text is Django's, byte for byte: `{"model": "shop.book", "pk": 1, "fields": {…}}`,
 * timestamps as `2024-05-01T12:30:00.123Z` (milliseconds only when there is a fraction),
 * decimals as strings, JSON as JSON. In `jsonl` the separators are `,` and `: `, as Django's.
 *
 * @module
 */

import type { Queryable } from "../../../core/database.ts";
import type { ModelState } from "../orm/mod.ts";
import { BinaryRowEncoder, modelDump, type RowHooks } from "./_binary_rows.ts";
import { ByteBuffer } from "./_byte_buffer.ts";
import type { FixtureFormat } from "./_reader.ts";

export type { FixtureFormat };

const encoder = new TextEncoder();
const ITEM_SEPARATOR = encoder.encode(", ");

/**
 * Python's `json.dumps(value, indent=n, separators=(",", ": "))` layout of compact JSON text
 * (as Django's `--indent` writes it), keeping every number and string as written.
 *
 * @example
 * ```ts
 * import { reindent } from "./_dumper.ts";
 *
 * console.assert(reindent('{"a": [1, 2], "b": {}}', 1) === '{\n "a": [\n  1,\n  2\n ],\n "b": {}\n}');
 * ```
 */
export function reindent(text: string, indent: number): string {
  let out = "";
  let depth = 0;
  const newline = () => "\n" + " ".repeat(indent * depth);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === "{" || c === "[") {
      let j = i + 1;
      while (text[j] === " " || text[j] === "\n" || text[j] === "\t" || text[j] === "\r") j++;
      if (text[j] === (c === "{" ? "}" : "]")) {
        out += c === "{" ? "{}" : "[]";
        i = j;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === "}" || c === "]") {
      depth--;
      out += newline() + c;
    } else if (c === ",") out += "," + newline();
    else if (c === ":") out += ": ";
    else if (c !== " " && c !== "\n" && c !== "\t" && c !== "\r") out += c;
  }
  return out;
}

/** Options of {@linkcode dumpModels}. */
export interface DumpOptions {
  /** `json` (an array, as Django's default) or `jsonl` (one object per line). */
  format: FixtureFormat;
  /** Indent objects by this many spaces (`json` only), as Django's `--indent`. */
  indent?: number;
  /**
   * Rows per COPY, or undefined for one COPY per model. The embedded database copies through
   * memory, so it is given pages (by pk) to keep memory flat.
   */
  pageSize?: number;
}

/**
 * Writes the rows of `models`, in that order and each model's by pk, as one fixture: calls
 * `write` with each chunk of bytes (valid until it returns). Reads in one read-only snapshot.
 * Returns how many objects it wrote.
 */
export async function dumpModels(
  db: { transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> },
  models: readonly ModelState[],
  options: DumpOptions,
  write: (bytes: Uint8Array) => void,
): Promise<number> {
  const out = new ByteBuffer(write);
  const indent = options.format === "json" && options.indent ? options.indent : 0;
  // With --indent, each compact object is laid out again before it goes out.
  const scratch = indent ? new ByteBuffer(() => {}, Number.MAX_SAFE_INTEGER) : out;
  const decoder = new TextDecoder();
  let count = 0;
  const hooks: RowHooks = options.format === "jsonl" ? { after: () => out.ascii("\n") } : indent
    ? {
      after() {
        out.ascii(count === 0 ? "\n" : ",\n");
        out.bytes(encoder.encode(reindent(decoder.decode(scratch.since(0)), indent)));
        scratch.truncate(0);
        count++;
        out.flush();
      },
    }
    : { before: () => count++ > 0 && out.bytes(ITEM_SEPARATOR) };
  if (options.format === "json") out.ascii("[");
  let rows = 0;
  await db.transaction(async (tx) => {
    await tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    if (!tx.copyTo) throw new Error("This database driver cannot COPY: dumpdata needs it");
    for (const model of models) {
      const dump = modelDump(model, options.format);
      if (options.pageSize === undefined) {
        const rowEncoder = new BinaryRowEncoder(dump, scratch, hooks);
        await tx.copyTo(dump.query, "(FORMAT binary)", (chunk) => rowEncoder.push(chunk));
        rows += rowEncoder.rows;
        continue;
      }
      let after: string | undefined;
      for (;;) {
        const rowEncoder = new BinaryRowEncoder(dump, scratch, hooks, true);
        await tx.copyTo(
          dump.page(after, options.pageSize),
          "(FORMAT binary)",
          (chunk) => rowEncoder.push(chunk),
        );
        rows += rowEncoder.rows;
        if (rowEncoder.rows < options.pageSize) break;
        after = rowEncoder.lastPk;
      }
    }
  });
  if (options.format === "json") out.ascii(indent ? "\n]\n" : "]");
  out.flush(true);
  return rows;
}
