// Scripts run as processes of their own by the tests of the embedded database: each opens
// databases with the code the commands use, prints what it sees, and ends when told.

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../../_helpers.ts";

const ROOT_DIR = fileURLToPath(ROOT);

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A script run by `deno run`, with `openDatabase` and `options` in scope, and `nextLine()` and
 * `untilStdinCloses()` to wait for the test.
 */
export interface Script {
  readonly pid: number;
  /** Resolves to the first line it prints that starts with `line` (waits for it). */
  line(prefix: string): Promise<string>;
  /** Writes a line to its stdin (`nextLine()` in the script gets it). */
  send(line: string): Promise<void>;
  /** Closes its stdin (the scripts here end then) and returns its exit code and output. */
  finish(): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Kills it with SIGKILL and waits for it to end. */
  kill(): Promise<void>;
}

/** Runs `body` as a script of its own (see {@linkcode Script}). */
export async function spawnScript(body: string): Promise<Script> {
  const dir = await Deno.makeTempDir({ prefix: "manage_share_" });
  const path = join(dir, "script.ts");
  await Deno.writeTextFile(
    path,
    `import openDatabase from ${JSON.stringify(new URL("apps/db/database.ts", ROOT).href)};
     // A program of its own: it names itself to the database's other processes, as cli.ts does.
     const options = {
       env: {},
       cwd: ${JSON.stringify(ROOT_DIR)},
       notice: () => {},
       pid: Deno.pid,
       command: "script.ts",
       processCwd: Deno.cwd(),
     };
     const stdinLines = (async function* () {
       let text = "";
       for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
         text += chunk;
         for (let end = text.indexOf("\\n"); end >= 0; end = text.indexOf("\\n")) {
           yield text.slice(0, end);
           text = text.slice(end + 1);
         }
       }
     })();
     const nextLine = async () => (await stdinLines.next()).value;
     const untilStdinCloses = async () => { for await (const _ of stdinLines) {} };
     ${body}`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", "--config", fileURLToPath(new URL("deno.json", ROOT)), path],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  let stdout = "";
  const waiting: { prefix: string; resolve: (line: string) => void }[] = [];
  const settle = () => {
    for (const wait of [...waiting]) {
      const found = stdout.split("\n").slice(0, -1).find((line) => line.startsWith(wait.prefix));
      if (found !== undefined) {
        waiting.splice(waiting.indexOf(wait), 1);
        wait.resolve(found);
      }
    }
  };
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      stdout += chunk;
      settle();
    }
  })();
  const stderr = new Response(child.stderr).text();
  let ended: Promise<{ code: number; stdout: string; stderr: string }> | undefined;
  const end = () =>
    ended ??= (async () => {
      const status = await child.status;
      await reading;
      const errors = await stderr;
      await Deno.remove(dir, { recursive: true });
      return { code: status.code, stdout, stderr: errors };
    })();
  return {
    pid: child.pid,
    line(prefix) {
      const { promise, resolve, reject } = Promise.withResolvers<string>();
      waiting.push({ prefix, resolve });
      settle();
      // A script that ends without printing it fails the wait, with what it printed.
      end().then(
        (result) => reject(new Error(`The script ended: ${JSON.stringify(result)}`)),
        reject,
      );
      return promise;
    },
    async send(line) {
      await stdin.write(new TextEncoder().encode(`${line}\n`));
    },
    async finish() {
      await stdin.close().catch(() => {});
      return await end();
    },
    async kill() {
      child.kill("SIGKILL");
      await stdin.close().catch(() => {});
      await end();
    },
  };
}
