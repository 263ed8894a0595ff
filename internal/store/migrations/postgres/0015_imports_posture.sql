-- +goose Up
-- Imports of agencies' own test results (issue 14): each run of an import
-- (system, format, the tools the file named, counts, who), and the finding
-- each imported item (system, format, fingerprint) made, with what the
-- next import compares against (digest) and what the findings table has
-- no column for (tool, location, every CWE and CVE).
CREATE TABLE import_runs (
    id          TEXT PRIMARY KEY,
    system_id   TEXT NOT NULL REFERENCES systems(id),
    agency_id   TEXT NOT NULL REFERENCES agencies(id),
    format      TEXT NOT NULL,
    tools       TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    items       INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    reopened    INTEGER NOT NULL,
    closed      INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL
);
CREATE INDEX import_runs_system ON import_runs (system_id, finished_at);
CREATE INDEX import_runs_agency ON import_runs (agency_id, finished_at);

CREATE TABLE import_findings (
    system_id   TEXT NOT NULL REFERENCES systems(id),
    format      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    finding_id  TEXT NOT NULL UNIQUE REFERENCES findings(id),
    tool        TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    location    TEXT NOT NULL,
    cwe         TEXT NOT NULL,
    cve         TEXT NOT NULL,
    digest      TEXT NOT NULL,
    run_id      TEXT NOT NULL, -- the run that last saw it (import_runs; written after its items)
    PRIMARY KEY (system_id, format, fingerprint)
);

-- Posture (issue 14): one row per agency (agency_id '' for the whole of
-- government) per UTC day, written once a day cluster-wide (the primary
-- key keeps a second node's write out), for the trend.
CREATE TABLE posture_snapshots (
    agency_id    TEXT NOT NULL,
    day          TEXT NOT NULL,
    score        DOUBLE PRECISION,
    met          INTEGER NOT NULL,
    not_met      INTEGER NOT NULL,
    not_assessed INTEGER NOT NULL,
    open         INTEGER NOT NULL,
    overdue      INTEGER NOT NULL,
    taken_at     BIGINT NOT NULL,
    PRIMARY KEY (agency_id, day)
);

-- Open findings by system, severity and deadline, read by posture as an
-- index-only scan.
CREATE INDEX findings_posture ON findings (status, agency_id, system_id, severity, due_at);

-- +goose Down
DROP INDEX findings_posture;
DROP TABLE posture_snapshots;
DROP TABLE import_findings;
DROP TABLE import_runs;
