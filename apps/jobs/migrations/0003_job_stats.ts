import { defineMigration, runSQL } from "../../db/migrator/mod.ts";

// The queue's running totals, kept in the statement that ends each job, so that the operator's
// view reads a few rows per window instead of every result in it: per second, minute and hour,
// per queue (kind 'q') or per command (kind 'c') and status, the jobs that ended, those with a
// duration, its sum, and a histogram of the durations in half-octaves (h0: under 1 ms; hi:
// from 2^((i-1)/2) to 2^(i/2) ms; h55 open). The results already there are counted in.
const BUCKETS = 56;
const columns = Array.from({ length: BUCKETS }, (_, i) => `h${i}`);
const bucket = "CASE WHEN ms < 1 THEN 0 ELSE least(55, floor(2 * ln(ms) / ln(2))::int + 1) END";

export default defineMigration({
  dependencies: [["jobs", "0002_operator_view"]],
  operations: [
    runSQL(
      `
CREATE TABLE manage_job_stat (
  width integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('q', 'c')),
  start timestamptz NOT NULL,
  name text NOT NULL,
  status text NOT NULL,
  runs bigint NOT NULL,
  timed bigint NOT NULL,
  total_ms float8 NOT NULL,
  ${columns.map((h) => `${h} bigint NOT NULL DEFAULT 0`).join(",\n  ")},
  PRIMARY KEY (width, kind, start, name, status)
);
INSERT INTO manage_job_stat (width, kind, start, name, status, runs, timed, total_ms,
  ${columns.join(", ")})
SELECT l.width, l.kind, to_timestamp(floor(extract(epoch FROM e.finished_at)::float8 / l.width)
    * l.width),
  CASE l.kind WHEN 'q' THEN e.queue ELSE e.command END, e.status, count(*), count(e.ms),
  coalesce(sum(e.ms), 0), ${columns.map((_, i) => `count(*) FILTER (WHERE e.b = ${i})`).join(", ")}
FROM (
  SELECT x.*, ${bucket} AS b FROM (
    SELECT queue, command, status, finished_at,
      extract(epoch FROM finished_at - started_at)::float8 * 1000 AS ms
    FROM manage_job_result
    WHERE finished_at > now() - interval '31 days'
  ) AS x
) AS e CROSS JOIN (VALUES (1, 'q'), (60, 'q'), (3600, 'q'), (60, 'c'), (3600, 'c')) AS l(width, kind)
WHERE e.finished_at > now() - CASE l.width WHEN 1 THEN interval '2 hours'
  WHEN 60 THEN interval '3 days' ELSE interval '31 days' END
GROUP BY 1, 2, 3, 4, 5;
`,
      "DROP TABLE manage_job_stat;",
    ),
  ],
});
