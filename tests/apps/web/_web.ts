// Shared by the web console's tests: a migrated test database with a superuser, the console's
// handler on it (called in-process, as Deno.serve would), and a client that keeps cookies.

import { registry } from "../../../commands/_registry.ts";
import { callCommand } from "../../../core/call_command.ts";
import type { Database } from "../../../core/database.ts";
import { captureOutput } from "../../../core/output.ts";
import type { Registry } from "../../../core/registry.ts";
import { makePassword } from "../../../apps/auth/hashers.ts";
import { type ConsoleHandler, consoleHandler } from "../../../apps/web/server.ts";
import { DEFAULT_ALLOWED_HOSTS } from "../../../apps/web/_hosts.ts";
import type { TestDatabase } from "../../_database.ts";

/** The superuser the tests log in as. */
export const USERNAME = "alice";
/** Their password: no page or log line may ever show it. */
export const PASSWORD = "Tr0ub4dor&3-horse";
/** The address requests come from. */
export const CLIENT_IP = "203.0.113.7";

/** Applies every migration of `registry` to the database at `url`. */
export async function migrateAll(url: string, reg: Registry = registry): Promise<void> {
  const stderr = captureOutput();
  try {
    await callCommand("migrate", ["--database", url, "-v", "0"], {
      registry: reg,
      stdout: captureOutput(),
      stderr,
      env: {},
    });
  } catch (error) {
    throw new Error(`migrate failed: ${stderr.text}`, { cause: error });
  }
}

/** Adds a user (a superuser unless told otherwise); gives its id. */
export async function addUser(
  db: Database,
  username: string,
  password: string,
  { superuser = true, active = true } = {},
): Promise<number> {
  const [row] = await db.query<{ id: number }>(
    `INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active)
VALUES ($1, $2, $3, $3, $4) RETURNING id`,
    [username, await makePassword(password, { iterations: 1000 }), superuser, active],
  );
  return Number(row.id);
}

/** A migrated database with the console on it. */
export interface ConsoleFixture {
  db: Database;
  handler: ConsoleHandler;
  /** Every line the console logged. */
  logs: string[];
  /** Aborts the console's event streams. */
  controller: AbortController;
  close(): Promise<void>;
}

/** Migrates `database`, adds {@linkcode USERNAME}, and makes the console's handler on it. */
export async function consoleOn(
  database: TestDatabase,
  commands: Registry = registry,
): Promise<ConsoleFixture> {
  await migrateAll(database.url);
  const db = await database.open();
  await addUser(db, USERNAME, PASSWORD);
  const logs: string[] = [];
  const controller = new AbortController();
  const handler = consoleHandler({
    db,
    registry: commands,
    env: {},
    cwd: Deno.cwd(),
    signal: controller.signal,
    pollInterval: 50,
    dashboardInterval: 100,
    log: (line) => logs.push(line),
    // The host of the in-process client's requests, and the loopback names of a test that
    // serves the handler over HTTP.
    allowedHosts: ["console.test", ...DEFAULT_ALLOWED_HOSTS],
  });
  return {
    db,
    handler,
    logs,
    controller,
    async close() {
      controller.abort();
      await db.close();
    },
  };
}

/** A browser stand-in: sends requests to the handler and keeps the cookies it is given. */
export class Client {
  readonly cookies = new Map<string, string>();
  /** Every body this client received, to look for secrets in. */
  readonly bodies: string[] = [];

  constructor(
    readonly handler: ConsoleHandler,
    readonly base = "http://console.test",
    readonly ip = CLIENT_IP,
  ) {}

  /** Sends a request; gives the response, with its body read as `text`. */
  async fetch(
    path: string,
    init: RequestInit & { form?: Record<string, string> } = {},
  ): Promise<{ response: Response; text: string }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form);
      headers.set("content-type", "application/x-www-form-urlencoded");
    }
    const method = init.method ?? (init.form ? "POST" : "GET");
    const response = await this.handler(
      new Request(new URL(path, this.base), { ...init, method, headers, body }),
      { remoteAddr: { hostname: this.ip } },
    );
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === "" || /Max-Age=0/.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    this.bodies.push(text);
    return { response, text };
  }

  /** The CSRF token in a page's forms. */
  static csrfIn(page: string): string {
    const match = /name="csrf_token" value="([^"]+)"/.exec(page);
    if (!match) throw new Error("The page has no CSRF token");
    return match[1];
  }

  /** Logs in through the login form; gives the login POST's response. */
  async login(username = USERNAME, password = PASSWORD, next = "/commands") {
    const { text } = await this.fetch(`/login?next=${encodeURIComponent(next)}`);
    return await this.fetch("/login", {
      form: { csrf_token: Client.csrfIn(text), username, password, next },
    });
  }
}

/** The events of an event stream (`data:` lines parsed as JSON), read until `until` holds. */
export async function readEvents(
  response: Response,
  until: (event: Record<string, unknown>) => boolean,
  limit = 15_000,
): Promise<Record<string, unknown>[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Record<string, unknown>[] = [];
  let buffer = "";
  const deadline = setTimeout(() => reader.cancel("too slow"), limit);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").find((line) => line.startsWith("data: "));
        if (!data) continue;
        const event = JSON.parse(data.slice(6));
        events.push(event);
        if (until(event)) return events;
      }
    }
    return events;
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => {});
  }
}
