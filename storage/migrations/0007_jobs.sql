-- Scheduled work: each firing is recorded under a unique key before it does anything,
-- so a restart or a double fire never runs (and never sends) twice.

CREATE TABLE job_runs (
    key      TEXT PRIMARY KEY,    -- job name and period, e.g. "sla@2026-11-26"
    job      TEXT NOT NULL,
    fired_at TEXT NOT NULL
);
CREATE INDEX job_runs_job ON job_runs (job, fired_at);
