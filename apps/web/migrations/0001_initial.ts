import { defineMigration, runSQL } from "../../db/migrator/mod.ts";

// The web console's tables. Session keys and API tokens are kept only as SHA-256 hashes: the
// secrets themselves live in the browser's cookie and in whoever was given the token, so a copy
// of the database lets no one in. Failed logins are recorded to throttle guessing.
export default defineMigration({
  dependencies: [["auth", "0001_initial"]],
  operations: [
    runSQL(
      `
CREATE TABLE web_session (
  key_hash text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_session_expires ON web_session (expires_at);
CREATE INDEX web_session_user ON web_session (user_id);

CREATE TABLE web_api_token (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
  name text NOT NULL DEFAULT '',
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX web_api_token_user ON web_api_token (user_id);

CREATE TABLE web_login_failure (
  username text NOT NULL,
  ip text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_login_failure_key ON web_login_failure (username, ip, failed_at);
`,
      `
DROP TABLE web_login_failure;
DROP TABLE web_api_token;
DROP TABLE web_session;
`,
    ),
  ],
});
