import { defineCommand } from "../../../core/command.ts";
import type { Queryable } from "../../../core/database.ts";
import { CommandError } from "../../../core/errors.ts";
import { interactively } from "../_interactive.ts";
import { validatePassword } from "../password_validation.ts";
import {
  createSuperuser,
  normalizeUsername,
  requireUserTable,
  systemUsername,
  usernameTaken,
  validateEmail,
  validateUsername,
} from "../users.ts";

const NOT_A_TTY = "Superuser creation skipped due to not running in a TTY. You can run " +
  "`manage createsuperuser` in your project to create one manually.";

/** Why `username` cannot be the new superuser's (Django's order: taken, then invalid). */
async function usernameProblem(db: Queryable, username: string): Promise<string | undefined> {
  if (await usernameTaken(db, normalizeUsername(username))) {
    return "That username is already taken.";
  }
  if (username === "") return "Username cannot be blank.";
  const messages = validateUsername(username);
  return messages.length > 0 ? messages.join("; ") : undefined;
}

/** The system user's name, unless it is taken (Django's `get_default_username`). */
async function defaultUsername(
  db: Queryable,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const name = systemUsername(env);
  return name !== "" && !(await usernameTaken(db, name)) ? name : "";
}

export default defineCommand({
  help: "Creates a superuser account (a user with every permission)",
  // An account with every permission is made by someone at the machine.
  runFrom: ["cli"],
  epilog: "Interactively, it asks for what the options do not give, and for the password twice, " +
    "unseen; a password that fails validation (too short, too common, entirely numeric, too " +
    "similar to the username or email address) may be kept only when you confirm it. With " +
    "--noinput it asks nothing: the username and email address come from the options or from " +
    "MANAGE_SUPERUSER_USERNAME and MANAGE_SUPERUSER_EMAIL, the password from " +
    "MANAGE_SUPERUSER_PASSWORD, and, as Django's, the password is not validated.",
  requiresMigrationsChecks: true,
  options: {
    username: { help: "the superuser's username" },
    email: { help: "the superuser's email address" },
    noinput: {
      type: "boolean",
      flag: "--noinput",
      aliases: ["--no-input"],
      help: "ask nothing: take the values from the options and the MANAGE_SUPERUSER_* variables",
    },
  },
  async handle(ctx) {
    const { options, db, env, stdout, stderr, verbosity } = ctx;

    if (options.noinput) {
      const username = options.username ?? env.MANAGE_SUPERUSER_USERNAME;
      if (username === undefined) {
        throw new CommandError(
          "You must use --username with --noinput (or set MANAGE_SUPERUSER_USERNAME).",
        );
      }
      await requireUserTable(db);
      const problem = await usernameProblem(db, username);
      if (problem) throw new CommandError(problem);
      const email = (options.email || env.MANAGE_SUPERUSER_EMAIL || "").trim();
      if (email === "") {
        throw new CommandError(
          "You must use --email with --noinput (or set MANAGE_SUPERUSER_EMAIL).",
        );
      }
      const emailProblems = validateEmail(email);
      if (emailProblems.length > 0) throw new CommandError(emailProblems.join("; "));
      const password = env.MANAGE_SUPERUSER_PASSWORD;
      if (!password) {
        throw new CommandError("You must set MANAGE_SUPERUSER_PASSWORD with --noinput.");
      }
      // As Django's: a password given with --noinput is not validated.
      await createSuperuser(db, { username, email, password });
      if (verbosity >= 1) stdout.write("Superuser created successfully.");
      return;
    }

    if (!ctx.stdinIsTerminal) {
      stdout.write(NOT_A_TTY);
      return;
    }
    await requireUserTable(db);
    const user = await interactively(ctx, async ({ ask, askSecret }) => {
      let username = options.username;
      if (username === "") throw new CommandError("Username cannot be blank.");
      if (username !== undefined) {
        const problem = await usernameProblem(db, username);
        if (problem) {
          stderr.write(`Error: ${problem}`);
          username = undefined;
        }
      }
      const fallback = username === undefined ? await defaultUsername(db, env) : "";
      while (username === undefined) {
        const answer = await ask(
          fallback ? `Username (leave blank to use '${fallback}'): ` : "Username: ",
        );
        const value = answer === "" && fallback ? fallback : answer;
        const problems = validateUsername(value);
        if (problems.length > 0) {
          stderr.write(`Error: ${problems.join("; ")}`);
        } else if (await usernameTaken(db, normalizeUsername(value))) {
          stderr.write("Error: That username is already taken.");
        } else {
          username = value;
        }
      }

      let email = options.email?.trim();
      if (email !== undefined) {
        const problems = validateEmail(email);
        if (problems.length > 0) throw new CommandError(problems.join("; "));
      }
      while (email === undefined) {
        const answer = (await ask("Email address: ")).trim();
        const problems = validateEmail(answer);
        if (problems.length > 0) stderr.write(`Error: ${problems.join("; ")}`);
        else email = answer;
      }

      let password: string | undefined;
      while (password === undefined) {
        const first = await askSecret("Password: ");
        const again = await askSecret("Password (again): ");
        if (first !== again) {
          stderr.write("Error: Your passwords didn't match.");
          continue;
        }
        if (first.trim() === "") {
          stderr.write("Error: Blank passwords aren't allowed.");
          continue;
        }
        const problems = await validatePassword(first, { username, email });
        if (problems.length > 0) {
          stderr.write(problems.join("\n"));
          const bypass = await ask("Bypass password validation and create user anyway? [y/N]: ");
          if (bypass.trim().toLowerCase() !== "y") continue;
        }
        password = first;
      }
      return { username, email, password };
    });
    await createSuperuser(db, user);
    if (verbosity >= 1) stdout.write("Superuser created successfully.");
  },
});
