import { defineMigration, runSQL } from "../../db/migrator/mod.ts";

// The job queue's tables. manage_job holds only what is waiting or running, so that claiming
// stays an index scan over a small table however many jobs have run; a job that ends moves to
// manage_job_result, which `manage jobs prune` (and every worker, hourly) trims.
export default defineMigration({
  dependencies: [],
  operations: [
    runSQL(
      `
CREATE TABLE manage_job (
  id bigserial PRIMARY KEY,
  queue text NOT NULL DEFAULT 'default',
  command text NOT NULL,
  args jsonb NOT NULL DEFAULT '[]',
  priority integer NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  timeout_ms integer CHECK (timeout_ms > 0),
  unique_key text,
  schedule text,
  worker text,
  started_at timestamptz,
  lost integer NOT NULL DEFAULT 0,
  cancel_requested boolean NOT NULL DEFAULT false,
  last_error text,
  stdout text NOT NULL DEFAULT '',
  stderr text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX manage_job_claim ON manage_job (queue, priority DESC, run_at, id)
  WHERE status = 'queued';
CREATE INDEX manage_job_claim_any ON manage_job (priority DESC, run_at, id)
  WHERE status = 'queued';
CREATE INDEX manage_job_worker ON manage_job (worker) WHERE worker IS NOT NULL;
CREATE UNIQUE INDEX manage_job_unique_key ON manage_job (unique_key) WHERE unique_key IS NOT NULL;

CREATE TABLE manage_job_result (
  id bigint PRIMARY KEY,
  queue text NOT NULL,
  command text NOT NULL,
  args jsonb NOT NULL,
  priority integer NOT NULL,
  status text NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled')),
  exit_code integer,
  stdout text NOT NULL DEFAULT '',
  stderr text NOT NULL DEFAULT '',
  error text,
  attempts integer NOT NULL,
  max_attempts integer NOT NULL,
  timeout_ms integer,
  unique_key text,
  schedule text,
  worker text,
  created_at timestamptz NOT NULL,
  run_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX manage_job_result_finished ON manage_job_result (finished_at);
CREATE INDEX manage_job_result_status ON manage_job_result (status, finished_at);

CREATE TABLE manage_worker (
  id text PRIMARY KEY,
  hostname text NOT NULL,
  pid integer NOT NULL,
  queues text NOT NULL,
  concurrency integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE manage_schedule_tick (
  schedule text NOT NULL,
  tick timestamptz NOT NULL,
  PRIMARY KEY (schedule, tick)
);
`,
      `
DROP TABLE manage_schedule_tick;
DROP TABLE manage_worker;
DROP TABLE manage_job_result;
DROP TABLE manage_job;
`,
    ),
  ],
});
