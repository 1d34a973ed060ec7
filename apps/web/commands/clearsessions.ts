import { defineCommand } from "../../../core/command.ts";
import { clearExpired, requireConsoleTables } from "../sessions.ts";

export default defineCommand({
  help: "Deletes the web console's expired sessions, as Django's clearsessions\n\n" +
    "Also deletes failed logins too old to count against anyone. Run it now and then (from " +
    "cron, or as a scheduled job); it prints how many it deleted at verbosity 2.",
  requiresDatabase: true,
  async handle({ db, stdout, verbosity }) {
    await requireConsoleTables(db);
    const { sessions, failures } = await clearExpired(db);
    if (verbosity >= 2) {
      stdout.write(
        `Deleted ${sessions} expired session${sessions === 1 ? "" : "s"} and ${failures} old ` +
          `failed login${failures === 1 ? "" : "s"} of the web console.`,
      );
    }
  },
});
