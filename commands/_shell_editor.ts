// The line editor of `manage shell` at a terminal: the terminal in raw mode, keys read one by
// one, the line redrawn as it changes. Left/Right, Home/End (and Ctrl-A/Ctrl-E), Backspace and
// Delete, Ctrl-U/Ctrl-K to cut before/after the cursor, Up/Down through the history, Enter to
// end the line, Ctrl-D on an empty line for the end of input. Ctrl-C, still a signal in the raw
// mode the program uses, ends the shell as it ends any run.

/** Reads edited lines from a terminal. */
export interface LineEditor {
  /** Shows `prompt` and reads one line; undefined at the end of input (Ctrl-D). */
  readLine(prompt: string): Promise<string | undefined>;
  /** Stops reading the input. */
  release(): void;
}

const ESCAPES: Record<string, string> = {
  "\x1b[A": "up",
  "\x1b[B": "down",
  "\x1b[C": "right",
  "\x1b[D": "left",
  "\x1b[H": "home",
  "\x1b[F": "end",
  "\x1bOH": "home",
  "\x1bOF": "end",
  "\x1b[1~": "home",
  "\x1b[4~": "end",
  "\x1b[3~": "delete",
};

/**
 * A line editor on `stdin` (a terminal), writing to `write`, with `history` (oldest first),
 * which each line read is added to.
 */
export function lineEditor(
  stdin: ReadableStream<Uint8Array>,
  write: (text: string) => void,
  setRaw: (raw: boolean) => void,
  history: string[],
): LineEditor {
  const reader = stdin.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  let ended = false;

  async function more(): Promise<boolean> {
    if (ended) return false;
    const chunk = await reader.read();
    if (chunk.done) {
      ended = true;
      return false;
    }
    pending += chunk.value;
    return true;
  }

  /** The next key: one character, or a whole escape sequence. */
  async function key(): Promise<string | undefined> {
    if (pending === "" && !(await more())) return undefined;
    if (pending[0] === "\x1b") {
      // An escape sequence may come in two reads.
      if (pending.length < 3 && !ended) await Promise.race([more(), sleep(30)]);
      // deno-lint-ignore no-control-regex
      const match = /^\x1b(\[[0-9;]*[A-Za-z~]|O[A-Za-z]|.)?/.exec(pending)!;
      pending = pending.slice(match[0].length);
      return match[0];
    }
    const char = String.fromCodePoint(pending.codePointAt(0)!);
    pending = pending.slice(char.length);
    return char;
  }

  async function readLine(prompt: string): Promise<string | undefined> {
    let line = "";
    let cursor = 0;
    let position = history.length;
    const draft: string[] = [...history, ""];
    const redraw = () => {
      const back = [...line.slice(cursor)].length;
      write(`\r\x1b[K${prompt}${line}${back > 0 ? `\x1b[${back}D` : ""}`);
    };
    setRaw(true);
    try {
      write(prompt);
      for (;;) {
        const k = await key();
        if (k === undefined) {
          if (line === "") return undefined;
          break;
        }
        if (k === "\r" || k === "\n") {
          if (k === "\r" && pending.startsWith("\n")) pending = pending.slice(1);
          break;
        }
        const action = ESCAPES[k];
        if (k === "\x04") {
          if (line === "") {
            write("\r\n");
            return undefined;
          }
          line = line.slice(0, cursor) + line.slice(cursor + 1);
        } else if (k === "\x7f" || k === "\b") {
          if (cursor > 0) {
            line = line.slice(0, cursor - 1) + line.slice(cursor);
            cursor--;
          }
        } else if (action === "delete") {
          line = line.slice(0, cursor) + line.slice(cursor + 1);
        } else if (action === "left") cursor = Math.max(0, cursor - 1);
        else if (action === "right") cursor = Math.min(line.length, cursor + 1);
        else if (action === "home" || k === "\x01") cursor = 0;
        else if (action === "end" || k === "\x05") cursor = line.length;
        else if (k === "\x15") {
          line = line.slice(cursor);
          cursor = 0;
        } else if (k === "\x0b") line = line.slice(0, cursor);
        else if (k === "\x03") {
          // Where raw mode takes Ctrl-C as a key: drop the line, as a shell does.
          write("^C\r\n");
          line = "";
          cursor = 0;
          write(prompt);
          continue;
        } else if (action === "up" || action === "down") {
          draft[position] = line;
          const next = position + (action === "up" ? -1 : 1);
          if (next < 0 || next >= draft.length) continue;
          position = next;
          line = draft[position];
          cursor = line.length;
        } else if (k.startsWith("\x1b")) continue;
        else if (k === "\t") {
          line = line.slice(0, cursor) + "  " + line.slice(cursor);
          cursor += 2;
        } else if (k >= " ") {
          line = line.slice(0, cursor) + k + line.slice(cursor);
          cursor += k.length;
        } else continue;
        redraw();
      }
      write("\r\n");
    } finally {
      setRaw(false);
    }
    if (line.trim() !== "" && history.at(-1) !== line) history.push(line);
    return line;
  }

  return {
    readLine,
    release() {
      reader.cancel().catch(() => {});
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
