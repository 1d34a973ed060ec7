// The users' deployment check (`manage check --deploy` with a database, tag `security`): a
// superuser whose password is unusable can only be reached by resetting it.

import type { Check } from "../../core/checks.ts";

const superuserPasswordCheck: Check = async ({ db }) => {
  if (!db) return [];
  const connection = await db.connect();
  const [table] = await connection.sql<{ found: boolean }>`
    SELECT to_regclass('auth_user') IS NOT NULL AS found`;
  if (!table.found) return [];
  const rows = await connection.sql<{ username: string }>`
    SELECT username FROM auth_user
    WHERE is_superuser AND is_active AND (password = '' OR password LIKE '!%')
    ORDER BY username`;
  return rows.map((row) => ({
    level: "WARNING" as const,
    id: "auth.W010",
    msg: `The superuser '${row.username}' has no usable password: nobody can log in as it.`,
    hint: `Set one with 'manage changepassword ${row.username}', or make the account inactive.`,
    obj: "auth.User",
  }));
};

superuserPasswordCheck.tags = ["security"];
superuserPasswordCheck.deploy = true;

export default [superuserPasswordCheck];
