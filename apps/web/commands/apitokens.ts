import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import {
  type ApiTokenInfo,
  listApiTokens,
  requireConsoleTables,
  revokeApiTokens,
} from "../sessions.ts";

/** `2026-11-26 17:02:03`, UTC, or `-`. */
function when(iso: string | null): string {
  return iso ? iso.slice(0, 19).replace("T", " ") : "-";
}

function expiry(token: ApiTokenInfo): string {
  if (token.expiresAt === null) return "never";
  return when(token.expiresAt) + (token.expired ? " (expired)" : "");
}

/** Rows of cells as aligned columns, the first row (the heading) styled. */
function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i])).join("  ")
  );
}

export default defineCommand({
  help: "Lists and revokes the web console's API tokens (see createapitoken)\n\n" +
    "The tokens themselves are not kept, only their hashes: a list shows what each is for, " +
    "whose it is, when it was last used and when it expires.",
  // Where tokens are made (the terminal, the console); a job has no reason to revoke them.
  runFrom: ["cli", "console"],
  requiresDatabase: true,
  subcommands: {
    list: {
      help: "Lists the API tokens, oldest first",
      options: {
        user: { metavar: "USERNAME", help: "Only this user's tokens" },
        format: { choices: ["text", "json"], default: "text", help: "Output format" },
      },
    },
    revoke: {
      help: "Revokes API tokens by id, or every token of a user: they are refused from then on",
      arguments: { ids: { type: "integer", nargs: "*", metavar: "id", help: "Tokens' ids" } },
      options: { user: { metavar: "USERNAME", help: "Revoke every token of this user" } },
    },
  },
  async handle({ options, db, stdout, style }) {
    await requireConsoleTables(db);
    if (options.subcommand === "list") {
      const tokens = await listApiTokens(db, options.user);
      if (options.format === "json") return stdout.write(JSON.stringify(tokens, null, 2));
      if (tokens.length === 0) return stdout.write("No API tokens.");
      const [head, ...rows] = columns([
        ["ID", "USER", "NAME", "CREATED (UTC)", "LAST USED (UTC)", "EXPIRES (UTC)"],
        ...tokens.map((t) => [
          String(t.id),
          t.username,
          t.name || "-",
          when(t.createdAt),
          when(t.lastUsedAt),
          expiry(t),
        ]),
      ]);
      stdout.write(style.MIGRATE_HEADING(head));
      for (const row of rows) stdout.write(row);
      return;
    }
    const ids = options.ids ?? [];
    if ((ids.length > 0) === (options.user !== undefined)) {
      throw new CommandError("Give the ids of the tokens to revoke, or --user, not both", {
        returncode: 2,
      });
    }
    const revoked = await revokeApiTokens(
      db,
      options.user === undefined ? { ids } : { username: options.user },
    );
    stdout.write(`Revoked ${revoked} API token${revoked === 1 ? "" : "s"}.`);
  },
});
