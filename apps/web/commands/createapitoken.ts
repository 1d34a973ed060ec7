import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { createApiToken, MAX_TOKEN_AGE_MS, requireConsoleTables } from "../sessions.ts";

export default defineCommand({
  help: "Creates a token for the web console's JSON API and prints it, once\n\n" +
    "Send it as 'Authorization: Bearer <token>'. Only its hash is kept: it cannot be shown " +
    "again. The token acts as the user, who must be an active superuser, until it expires or " +
    "is revoked ('manage apitokens').",
  // The token is shown once, to whoever asked: at the terminal, or on the console's answer.
  // In the background no one would see it.
  runFrom: ["cli", "console"],
  secretOutput: true,
  requiresDatabase: true,
  arguments: { username: { help: "The user the token acts as" } },
  options: {
    name: { default: "", help: "What the token is for (a note kept with it)" },
    expires: {
      type: "duration",
      metavar: "DURATION",
      help: "How long the token lasts (30d, 12h); without it, until it is revoked",
    },
  },
  async handle({ options, db, stdout, stderr, verbosity }) {
    const expires = options.expires;
    if (expires !== undefined && (expires < 1000 || expires > MAX_TOKEN_AGE_MS)) {
      throw new CommandError("--expires must be from 1s to 3650d", { returncode: 2 });
    }
    await requireConsoleTables(db);
    const [user] = await db.sql<{ id: number; is_active: boolean; is_superuser: boolean }>`
      SELECT id, is_active, is_superuser FROM auth_user WHERE username = ${options.username}`;
    if (!user) throw new CommandError(`User '${options.username}' does not exist`);
    if (!user.is_active || !user.is_superuser) {
      throw new CommandError(
        `User '${options.username}' is not an active superuser: the console lets only those in`,
      );
    }
    const token = await createApiToken(db, Number(user.id), options.name, {
      expiresInMs: expires,
    });
    // The token alone on stdout, for scripts: `TOKEN=$(manage createapitoken alice)`.
    stdout.write(token);
    if (verbosity >= 1) {
      stderr.write(
        `Created an API token for '${options.username}'` +
          (expires === undefined ? "" : `, valid until ${until(expires)} UTC`) +
          ". Keep it now: it is not stored and cannot be shown again.",
        { style: (t) => t },
      );
    }
  },
});

/** `2026-12-04 17:56`, UTC, `ms` from now. */
function until(ms: number): string {
  return new Date(Date.now() + ms).toISOString().slice(0, 16).replace("T", " ");
}
