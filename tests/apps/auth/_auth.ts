// Shared by the auth tests: a migrated test database, its users, and commands run at a
// pseudo-terminal (tests/apps/auth/_pty_driver.py) the way a person types at one.

import { fileURLToPath as fromFileUrl } from "node:url";
import { callCommand, captureOutput } from "../../../mod.ts";
import { registry } from "../../../commands/_registry.ts";
import type { TestDatabase } from "../../_database.ts";
import { CLI_PERMISSIONS, ROOT } from "../../_helpers.ts";

/** Applies every migration (the auth app's among them) to a test database, in-process. */
export async function migrate(database: TestDatabase): Promise<void> {
  await callCommand("migrate", [], {
    registry,
    env: { DATABASE_URL: database.url },
    stdout: captureOutput(),
    stderr: captureOutput(),
  });
}

/** A row of `auth_user`, as the tests look at it. */
export interface UserRow {
  username: string;
  email: string;
  password: string;
  is_superuser: boolean;
  is_staff: boolean;
  is_active: boolean;
}

/** Every user in the database, by username. */
export async function users(database: TestDatabase): Promise<UserRow[]> {
  const db = await database.open();
  try {
    return await db.sql<UserRow & Record<string, unknown>>`
      SELECT username, email, password, is_superuser, is_staff, is_active
      FROM auth_user ORDER BY username`;
  } finally {
    await db.close();
  }
}

/** A step of a terminal session: wait until `expect` is shown, then type `send`. */
export interface Step {
  expect: string;
  send: string;
}

/** What a terminal session showed and how the command ended. */
export interface TerminalResult {
  /** Everything the terminal showed (stdout, stderr and the echo of what was typed), `\n` lines. */
  transcript: string;
  code: number;
  /** A prompt or the end did not come in time. */
  timeout: boolean;
  /** The index of the step still waiting when it timed out. */
  pending?: number;
}

/**
 * Runs `manage <args>` in a pseudo-terminal (standard input, output and error all on it, as in a
 * person's shell), typing each step's text once its prompt shows.
 */
export async function runInTerminal(
  args: string[],
  steps: Step[],
  env: Record<string, string> = {},
  { root = ROOT }: {
    /** The project whose `cli.ts` runs; this one by default. */
    root?: URL;
  } = {},
): Promise<TerminalResult> {
  const request = {
    argv: [Deno.execPath(), "run", "--quiet", ...CLI_PERMISSIONS, "cli.ts", ...args],
    cwd: fromFileUrl(root),
    env: { NO_COLOR: "1", COLUMNS: "80", ...env },
    steps,
    timeout: 60,
  };
  const child = new Deno.Command("python3", {
    args: [fromFileUrl(new URL("./_pty_driver.py", import.meta.url))],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(request)));
  await writer.close();
  const output = await child.output();
  if (!output.success) {
    throw new Error(`The terminal driver failed:\n${new TextDecoder().decode(output.stderr)}`);
  }
  const result = JSON.parse(new TextDecoder().decode(output.stdout)) as TerminalResult;
  return { ...result, transcript: result.transcript.replaceAll("\r\n", "\n") };
}
