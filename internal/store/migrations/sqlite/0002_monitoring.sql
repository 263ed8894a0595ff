-- +goose Up
-- 24/7 monitoring: intake tokens and counters, Sigma rules, alerts,
-- correlation state, silent sources and retro-hunts.

-- Intake tokens of log shippers, bound to one agency, stored hashed.
CREATE TABLE intake_tokens (
    id           TEXT PRIMARY KEY,
    agency_id    TEXT NOT NULL REFERENCES agencies(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX intake_tokens_agency ON intake_tokens (agency_id, id);

-- Events accepted and refused since the data dir was created, per agency
-- ('' = unassigned syslog senders) and protocol. Nodes add their deltas.
CREATE TABLE intake_stats (
    agency_id  TEXT NOT NULL,
    protocol   TEXT NOT NULL,
    accepted   INTEGER NOT NULL DEFAULT 0,
    rejected   INTEGER NOT NULL DEFAULT 0,
    bytes      INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (agency_id, protocol)
);

-- Syslog senders that no source network maps to an agency.
CREATE TABLE intake_unassigned (
    addr       TEXT NOT NULL,
    protocol   TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    events     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (addr, protocol)
);

-- Sigma rules: one row per file or upload (which may hold several
-- documents, e.g. a correlation and its base rules).
CREATE TABLE detect_rules (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    level      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    tags       TEXT NOT NULL DEFAULT '[]',
    rule_ids   TEXT NOT NULL DEFAULT '[]',
    yaml       TEXT NOT NULL,
    origin     TEXT NOT NULL,
    path       TEXT NOT NULL DEFAULT '',
    sha256     TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX detect_rules_title ON detect_rules (title, id);

-- Counters shared by the nodes (rules_version: bumped on every rule change).
CREATE TABLE detect_meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO detect_meta (name, value) VALUES ('rules_version', 1);

CREATE TABLE alerts (
    id           TEXT PRIMARY KEY,
    rule_id      TEXT NOT NULL,
    rule_title   TEXT NOT NULL,
    level        TEXT NOT NULL,
    level_rank   INTEGER NOT NULL,
    tags         TEXT NOT NULL DEFAULT '[]',
    agency_id    TEXT NOT NULL,
    agency       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    hunt_id      TEXT NOT NULL DEFAULT '',
    group_key    TEXT NOT NULL,
    group_fields TEXT NOT NULL DEFAULT '{}',
    status       TEXT NOT NULL,
    assignee_id  TEXT NOT NULL DEFAULT '',
    close_reason TEXT NOT NULL DEFAULT '',
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    event_count  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX alerts_agency ON alerts (agency_id, id);
CREATE INDEX alerts_rule ON alerts (rule_id, id);
CREATE INDEX alerts_status ON alerts (status, id);
CREATE INDEX alerts_hunt ON alerts (hunt_id, id);
CREATE INDEX alerts_group ON alerts (rule_id, agency_id, hunt_id, group_key, last_seen);

-- One row per (rule, event) pair that raised or joined an alert: the key
-- that makes alerts idempotent under redelivery. hunt_id is '' for live
-- detection, the hunt's id for retro-hunt results.
CREATE TABLE alert_events (
    rule_id    TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    hunt_id    TEXT NOT NULL DEFAULT '',
    alert_id   TEXT NOT NULL,
    agency_id  TEXT NOT NULL,
    event_time INTEGER NOT NULL,
    event      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rule_id, event_id, hunt_id)
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, event_time);

-- Leases that let exactly one node run a job (correlation, silence check).
CREATE TABLE detect_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- The correlator's saved state and the last stream sequence it consumed.
CREATE TABLE correlation_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq   INTEGER NOT NULL,
    state      BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

-- When each source (agency, protocol, host) last sent an event.
CREATE TABLE source_last_seen (
    agency          TEXT NOT NULL,
    protocol        TEXT NOT NULL,
    host            TEXT NOT NULL,
    agency_id       TEXT NOT NULL,
    last_seen       INTEGER NOT NULL,
    silent_alert_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (agency, protocol, host)
);
CREATE INDEX source_last_seen_time ON source_last_seen (last_seen);

CREATE TABLE hunts (
    id             TEXT PRIMARY KEY,
    agency_id      TEXT NOT NULL DEFAULT '',
    rule_id        TEXT NOT NULL DEFAULT '',
    title          TEXT NOT NULL,
    yaml           TEXT NOT NULL,
    from_at        INTEGER NOT NULL,
    to_at          INTEGER NOT NULL,
    status         TEXT NOT NULL,
    events_scanned INTEGER NOT NULL DEFAULT 0,
    matches        INTEGER NOT NULL DEFAULT 0,
    last_seq       INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    runner         TEXT NOT NULL DEFAULT '',
    lease_until    INTEGER NOT NULL DEFAULT 0,
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX hunts_agency ON hunts (agency_id, id);
CREATE INDEX hunts_status ON hunts (status, id);
