import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { requireUserTable } from "../../auth/users.ts";
import { createApiToken } from "../sessions.ts";

export default defineCommand({
  help: "Creates a token for the web console's JSON API and prints it, once\n\n" +
    "Send it as 'Authorization: Bearer <token>'. Only its hash is kept: it cannot be shown " +
    "again. The token acts as the user, who must be an active superuser.",
  // The token is shown once, to whoever asked: at the terminal, or on the console's answer.
  // In the background no one would see it.
  runFrom: ["cli", "console"],
  secretOutput: true,
  requiresDatabase: true,
  arguments: { username: { help: "The user the token acts as" } },
  options: { name: { default: "", help: "What the token is for (a note kept with it)" } },
  async handle({ options, db, stdout, stderr, verbosity }) {
    await requireUserTable(db);
    const [present] = await db.sql<{ found: boolean }>`
      SELECT to_regclass('web_api_token') IS NOT NULL AS found`;
    if (!present.found) {
      throw new CommandError(
        "The web_api_token table does not exist: run 'manage migrate' to create it",
      );
    }
    const [user] = await db.sql<{ id: number; is_active: boolean; is_superuser: boolean }>`
      SELECT id, is_active, is_superuser FROM auth_user WHERE username = ${options.username}`;
    if (!user) throw new CommandError(`User '${options.username}' does not exist`);
    if (!user.is_active || !user.is_superuser) {
      throw new CommandError(
        `User '${options.username}' is not an active superuser: the console lets only those in`,
      );
    }
    const token = await createApiToken(db, Number(user.id), options.name);
    // The token alone on stdout, for scripts: `TOKEN=$(manage createapitoken alice)`.
    stdout.write(token);
    if (verbosity >= 1) {
      stderr.write(
        `Created an API token for '${options.username}'. Keep it now: it is not stored and ` +
          "cannot be shown again.",
        { style: (t) => t },
      );
    }
  },
});
