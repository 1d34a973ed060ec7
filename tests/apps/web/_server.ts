// Shared by the tests that drive a real `manage runserver`: the process started on a free port,
// its address and output, Ctrl-C; and a raw HTTP/1.1 connection, for what fetch() will not send
// (another Host header, a body that never ends, a response read before the body is sent).

import { CLI_PERMISSIONS, ROOT } from "../../_helpers.ts";

/** A running `manage runserver`: its address, and everything it has printed so far. */
export interface Server {
  /** `http://127.0.0.1:<port>` (the loopback address when it listens on every address). */
  base: string;
  /** The port it listens on. */
  port: number;
  output(): string;
  /** Sends Ctrl-C and gives the exit code. */
  stop(): Promise<number>;
}

/** Starts `manage runserver <addrport> --database <database> <extra…>` and waits until it listens. */
export async function startServer(
  database: string,
  extra: string[] = [],
  { addrport = "127.0.0.1:0", env = {}, root = ROOT }: {
    addrport?: string;
    env?: Record<string, string>;
    /** The project whose `cli.ts` runs; this one by default. */
    root?: URL;
  } = {},
): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...CLI_PERMISSIONS,
      "cli.ts",
      "runserver",
      addrport,
      "--database",
      database,
      ...extra,
    ],
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const started = Promise.withResolvers<number>();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const match = /at http:\/\/\S+:(\d+)\//.exec(text);
      if (match && text.includes("Quit the server with CONTROL-C.")) {
        started.resolve(Number(match[1]));
      }
    }
  };
  const reading = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const status = child.status.then((s) => {
    started.reject(new Error(`runserver ended (${s.code}) before listening:\n${text}`));
    return s;
  });
  const timer = setTimeout(
    () => started.reject(new Error(`runserver is silent:\n${text}`)),
    60_000,
  );
  try {
    const port = await started.promise;
    return {
      base: `http://127.0.0.1:${port}`,
      port,
      output: () => text,
      async stop() {
        child.kill("SIGINT");
        const { code } = await status;
        await reading;
        return code;
      },
    };
  } catch (error) {
    child.kill("SIGKILL");
    await status;
    await reading;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** What a raw exchange got back: the status (0 when none came), headers and body. */
export interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/**
 * Sends `head` (the request line and headers, without the blank line; `Connection: close` is
 * added) and then `body`'s parts, one every 20 ms as a slow client sends them, on a plain TCP
 * connection, and reads the answer until its `Content-Length` has come, the server closes the
 * connection, or `wait` ms pass. Once an answer has begun, the parts left are not sent.
 */
export async function rawRequest(
  port: number,
  head: string,
  body: readonly (string | Uint8Array)[] = [],
  wait = 15_000,
): Promise<RawAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let received = new Uint8Array(0);
  const timer = setTimeout(() => conn.close(), wait);
  const complete = () => {
    const text = decoder.decode(received);
    const end = text.indexOf("\r\n\r\n");
    const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
    return end >= 0 && length !== null &&
      received.length >= encoder.encode(text.slice(0, end + 4)).length + Number(length[1]);
  };
  // Read while sending: an early answer is in hand before the server drops the connection.
  const reading = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (!complete()) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const more = new Uint8Array(received.length + n);
        more.set(received);
        more.set(buffer.subarray(0, n), received.length);
        received = more;
      }
    } catch {
      // Closed by the timer, or reset by the server: what came is the answer.
    }
  })();
  try {
    await conn.write(encoder.encode(`${head}\r\nConnection: close\r\n\r\n`));
    for (const part of body) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (received.length > 0) break;
      await conn.write(typeof part === "string" ? encoder.encode(part) : part);
    }
  } catch {
    // The server closed the connection while parts were being sent: it has answered.
  }
  await reading;
  clearTimeout(timer);
  try {
    conn.close();
  } catch {
    // Closed by the timer already.
  }
  const text = decoder.decode(received);
  const end = text.indexOf("\r\n\r\n");
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
    headers: end < 0 ? text : text.slice(0, end),
    body: end < 0 ? "" : text.slice(end + 4),
  };
}
