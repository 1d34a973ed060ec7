import { defineMigration, runSQL } from "../../db/migrator/mod.ts";

// A session remembers a digest of its user's password hash, so that a password changed in any
// way (changepassword, loaddata, a Django project sharing the database) ends the sessions opened
// with the old one, as Django's session auth hash does; the sessions of before have none, and
// their users log in again. A token may be given an end.
export default defineMigration({
  dependencies: [["web", "0001_initial"]],
  operations: [
    runSQL(
      `
ALTER TABLE web_session ADD COLUMN password_digest text NOT NULL DEFAULT '';
ALTER TABLE web_session ALTER COLUMN password_digest DROP DEFAULT;
ALTER TABLE web_api_token ADD COLUMN expires_at timestamptz;
`,
      `
ALTER TABLE web_api_token DROP COLUMN expires_at;
ALTER TABLE web_session DROP COLUMN password_digest;
`,
    ),
  ],
});
