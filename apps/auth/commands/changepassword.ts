import { defineCommand } from "../../../core/command.ts";
import { CommandError } from "../../../core/errors.ts";
import { interactively } from "../_interactive.ts";
import { User } from "../models.ts";
import { validatePassword } from "../password_validation.ts";
import { requireUserTable, setPassword } from "../users.ts";

/** Django's number of tries. */
const MAX_TRIES = 3;

export default defineCommand({
  help: "Changes a user's password",
  // It asks for the new password at a terminal, twice.
  runFrom: ["cli"],
  epilog: "The new password is asked twice, unseen, and validated as createsuperuser's (too " +
    "short, too common, entirely numeric, too similar to the username or email address); " +
    `after ${MAX_TRIES} failed attempts the password is left as it was. The user's web ` +
    "console sessions end.",
  requiresMigrationsChecks: true,
  arguments: {
    username: {
      nargs: "?",
      help: "the user whose password to change; by default, the current operating-system user",
    },
  },
  async handle(ctx) {
    const { options, db, env, stdout, stderr } = ctx;
    const username = options.username || env.LOGNAME || env.USER || env.LNAME || env.USERNAME;
    if (!username) {
      throw new CommandError(
        "No username given, and the current user is unknown (LOGNAME and USER are not set)",
      );
    }
    await requireUserTable(db);
    const user = await User.objects.using(db).filter({ username }).first();
    if (!user) throw new CommandError(`user '${username}' does not exist`);

    stdout.write(`Changing password for user '${username}'`);
    const password = await interactively(ctx, async ({ askSecret }) => {
      const required = (answer: string) => {
        if (answer === "") {
          throw new CommandError(`Aborting password change for user '${username}': blank password`);
        }
        return answer;
      };
      for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
        const first = required(await askSecret("Password: "));
        const again = required(await askSecret("Password (again): "));
        if (first !== again) {
          stdout.write("Passwords do not match. Please try again.");
          continue;
        }
        const problems = await validatePassword(first, user);
        if (problems.length > 0) {
          stderr.write(problems.join("\n"));
          continue;
        }
        return first;
      }
      throw new CommandError(
        `Aborting password change for user '${username}' after ${MAX_TRIES} attempts`,
      );
    });
    await setPassword(db, user.id, password);
    // The console's sessions hold only while the password they were opened with does (as
    // Django's session auth hash): they end now, and clearsessions removes their rows.
    stdout.write(`Password changed successfully for user '${username}'`);
  },
});
