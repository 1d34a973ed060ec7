/**
 * Where command output goes: a {@linkcode TextSink} (the process's streams, a string buffer, …)
 * wrapped in an {@linkcode OutputWrapper} that adds the line ending and a style, as Django's.
 *
 * @module
 */

import type { StyleFunc } from "./style.ts";

/** Anything that accepts text: the process's stdout, a buffer in a test, a job's log. */
export interface TextSink {
  /** Writes the text as it is. */
  write(text: string): void;
}

/** Options for {@linkcode OutputWrapper.write}. */
export interface WriteOptions {
  /** Style for this write, instead of the wrapper's own. */
  style?: StyleFunc;
  /** Line ending added when the text does not end with it. Defaults to `"\n"`; `""` adds none. */
  ending?: string;
}

/**
 * A command's stdout or stderr: `write()` adds the newline unless the text ends with it, and
 * applies the wrapper's style (on stderr, the `ERROR` role) when colour is on.
 *
 * @example
 * ```ts
 * import { captureOutput, OutputWrapper } from "./output.ts";
 *
 * const sink = captureOutput();
 * const out = new OutputWrapper(sink);
 * out.write("Hello, John!");
 * console.assert(sink.text === "Hello, John!\n");
 * ```
 */
export class OutputWrapper {
  /** The style applied to every write that names none (identity when colour is off). */
  styleFunc: StyleFunc | undefined;
  readonly #sink: TextSink;

  /** Wraps a sink, with an optional default style. */
  constructor(sink: TextSink, styleFunc?: StyleFunc) {
    this.#sink = sink;
    this.styleFunc = styleFunc;
  }

  /** Writes `text`, styled, followed by the line ending when it does not already end with it. */
  write(text = "", options: WriteOptions = {}): void {
    const ending = options.ending ?? "\n";
    const hasEnding = ending !== "" && text.endsWith(ending);
    const body = hasEnding ? text.slice(0, -ending.length) : text;
    const style = options.style ?? this.styleFunc;
    // Styled before the ending, so a colour never runs past the end of the line.
    this.#sink.write((style && body ? style(body) : body) + ending);
  }
}

/** A sink that keeps what is written, for tests and `callCommand`. */
export interface CapturedOutput extends TextSink {
  /** Everything written so far. */
  readonly text: string;
}

/**
 * Creates a sink that keeps everything written to it in `text`.
 *
 * @example
 * ```ts
 * import { captureOutput } from "./output.ts";
 *
 * const sink = captureOutput();
 * sink.write("a");
 * sink.write("b");
 * console.assert(sink.text === "ab");
 * ```
 */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  return {
    write(text: string) {
      chunks.push(text);
    },
    get text() {
      return chunks.join("");
    },
  };
}

/**
 * A sink that prints whole lines with `log` (`console.log`, `console.error`): what
 * `callCommand` writes to when it is given no sink. A line is printed when its newline is
 * written; the rest waits for the next write.
 *
 * @example
 * ```ts
 * import { lineSink } from "./output.ts";
 *
 * const lines: string[] = [];
 * const sink = lineSink((line) => lines.push(line));
 * sink.write("one\ntw");
 * sink.write("o\n");
 * console.assert(lines.join("|") === "one|two");
 * ```
 */
export function lineSink(log: (line: string) => void): TextSink {
  let pending = "";
  return {
    write(text: string) {
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) log(line);
    },
  };
}

/** A stream the process writes to synchronously, such as the process's standard output. */
export interface SyncWriter {
  /** Writes some of the bytes and returns how many. */
  writeSync(bytes: Uint8Array): number;
}

/**
 * A sink over a synchronous byte stream (the standard output or error), writing every byte and
 * giving up quietly when the reader has gone (`manage help | head`).
 */
export function streamSink(stream: SyncWriter): TextSink {
  const encoder = new TextEncoder();
  let closed = false;
  return {
    write(text: string) {
      if (closed) return;
      let bytes = encoder.encode(text);
      try {
        while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
      } catch (error) {
        if (error instanceof Deno.errors.BrokenPipe) closed = true;
        else throw error;
      }
    },
  };
}
