-- +goose Up
-- External scanning in the server (issue 13): the hostnames of registered
-- systems as scan targets (a hostname is one target, owned by one system),
-- scans (scheduled by risk or asked for), the results of each name with
-- their history, and the finding each (system, name, check) opened.
CREATE TABLE scan_targets (
    hostname        TEXT PRIMARY KEY,
    system_id       TEXT NOT NULL REFERENCES systems(id),
    agency_id       TEXT NOT NULL REFERENCES agencies(id),
    added_at        INTEGER NOT NULL,
    next_due_at     INTEGER NOT NULL,
    queued_scan_id  TEXT,
    last_result_id  TEXT,
    last_scanned_at INTEGER,
    risk            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scan_targets_due ON scan_targets (next_due_at);
CREATE INDEX scan_targets_system ON scan_targets (system_id, hostname);
CREATE INDEX scan_targets_agency ON scan_targets (agency_id, hostname);

CREATE TABLE scans (
    id              TEXT PRIMARY KEY,
    system_id       TEXT NOT NULL REFERENCES systems(id),
    agency_id       TEXT NOT NULL REFERENCES agencies(id),
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    hostnames       TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_label TEXT NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER
);
CREATE INDEX scans_system ON scans (system_id, created_at);
CREATE INDEX scans_agency ON scans (agency_id, created_at);
CREATE INDEX scans_created ON scans (created_at);
CREATE INDEX scans_work ON scans (status, lease_until);

CREATE TABLE scan_results (
    id                TEXT PRIMARY KEY,
    scan_id           TEXT NOT NULL REFERENCES scans(id),
    system_id         TEXT NOT NULL REFERENCES systems(id),
    agency_id         TEXT NOT NULL REFERENCES agencies(id),
    hostname          TEXT NOT NULL,
    scanned_at        INTEGER NOT NULL,
    bod_web           TEXT NOT NULL DEFAULT '',
    bod_mail          TEXT NOT NULL DEFAULT '',
    internetnl_web    TEXT NOT NULL DEFAULT '',
    internetnl_mail   TEXT NOT NULL DEFAULT '',
    observatory_score INTEGER,
    observatory_grade TEXT NOT NULL DEFAULT '',
    ssllabs           TEXT NOT NULL DEFAULT '',
    im8               TEXT NOT NULL DEFAULT '{}',
    failed_checks     INTEGER NOT NULL,
    worst             TEXT NOT NULL,
    errors            INTEGER NOT NULL,
    changes           TEXT NOT NULL,
    result            TEXT NOT NULL,
    UNIQUE (scan_id, hostname)
);
CREATE INDEX scan_results_name ON scan_results (system_id, hostname, scanned_at);
CREATE INDEX scan_results_system ON scan_results (system_id, scanned_at);

CREATE TABLE scan_findings (
    system_id  TEXT NOT NULL REFERENCES systems(id),
    hostname   TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    finding_id TEXT NOT NULL UNIQUE REFERENCES findings(id),
    PRIMARY KEY (system_id, hostname, check_id)
);

-- +goose Down
DROP TABLE scan_findings;
DROP TABLE scan_results;
DROP TABLE scans;
DROP TABLE scan_targets;
