import { defineMigration, runSQL } from "../../db/migrator/mod.ts";

// What the operator's view (`manage jobs stats|workers|schedules`, the console's dashboard)
// reads, kept cheap however many results the table holds: a worker's lease (to tell a silent
// one), and what happened when it was found lost (kept a day, then forgotten); the latest job of
// each schedule, and the failing jobs of a command, found through indexes of their own.
export default defineMigration({
  dependencies: [["jobs", "0001_initial"]],
  operations: [
    runSQL(
      `
ALTER TABLE manage_worker
  ADD COLUMN lease_ms integer NOT NULL DEFAULT 30000,
  ADD COLUMN lost_at timestamptz,
  ADD COLUMN jobs_requeued integer NOT NULL DEFAULT 0,
  ADD COLUMN jobs_failed integer NOT NULL DEFAULT 0;
CREATE INDEX manage_job_schedule ON manage_job (schedule, id) WHERE schedule IS NOT NULL;
CREATE INDEX manage_job_result_schedule ON manage_job_result (schedule, id)
  WHERE schedule IS NOT NULL;
CREATE INDEX manage_job_result_command ON manage_job_result (command, status, id);
`,
      `
DROP INDEX manage_job_result_command;
DROP INDEX manage_job_result_schedule;
DROP INDEX manage_job_schedule;
ALTER TABLE manage_worker DROP COLUMN jobs_failed, DROP COLUMN jobs_requeued, DROP COLUMN lost_at,
  DROP COLUMN lease_ms;
`,
    ),
  ],
});
