/**
 * Reading answers and lines from a command's standard input (`ctx.stdin`), for confirmations
 * and interactive shells.
 *
 * @module
 */

/** Reads a stream line by line. */
export interface LineReader {
  /** The next line without its ending, or `undefined` at the end of the input. */
  readLine(): Promise<string | undefined>;
  /** Stops reading and lets go of the stream. */
  release(): void;
}

/**
 * A line reader over a byte stream (`ctx.stdin`); an absent stream reads as empty.
 *
 * @example
 * ```ts
 * import { lineReader } from "./prompt.ts";
 *
 * const input = new Blob(["yes\nno\n"]).stream();
 * const reader = lineReader(input);
 * console.assert((await reader.readLine()) === "yes");
 * console.assert((await reader.readLine()) === "no");
 * console.assert((await reader.readLine()) === undefined);
 * ```
 */
export function lineReader(stream: ReadableStream<Uint8Array> | undefined): LineReader {
  if (!stream) return { readLine: () => Promise.resolve(undefined), release() {} };
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let done = false;
  return {
    async readLine() {
      for (;;) {
        const newline = buffer.indexOf("\n");
        if (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          return line;
        }
        if (done) {
          if (buffer === "") return undefined;
          const last = buffer;
          buffer = "";
          return last;
        }
        const chunk = await reader.read();
        if (chunk.done) done = true;
        else buffer += chunk.value;
      }
    },
    release() {
      reader.cancel().catch(() => {});
    },
  };
}
