-- +goose Up
-- Containment and threat intelligence (issue 12): containment actions with
-- two-person approval, expiry and connector calls; the feed tokens of the
-- firewall block lists; threat-intelligence sources, indicators and their
-- hits; retro-hunts by indicator; change counters every node polls.

-- A containment action: block an address, range, domain or URL, or disable
-- an account. status: pending → active → expired | revoked (pending may
-- also lapse to expired, or be revoked). sync_* is the outbox of the
-- connector calls (SCIM, the SOAR webhook) that a job on any node claims
-- and carries out after the change commits.
CREATE TABLE containment_actions (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    value         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    ttl_ms        INTEGER NOT NULL,
    incident_id   TEXT NOT NULL DEFAULT '',
    agency_id     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    requester     TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    approved_by   TEXT NOT NULL DEFAULT '',
    approver      TEXT NOT NULL DEFAULT '',
    approved_at   INTEGER,
    activated_at  INTEGER,
    expires_at    INTEGER NOT NULL,
    ended_by      TEXT NOT NULL DEFAULT '',
    ended_at      INTEGER,
    sync_state    TEXT NOT NULL DEFAULT '',
    sync_ref      TEXT NOT NULL DEFAULT '',
    sync_attempts INTEGER NOT NULL DEFAULT 0,
    sync_next_at  INTEGER,
    sync_claim    INTEGER,
    sync_error    TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL
);
CREATE INDEX containment_status ON containment_actions (status, expires_at);
CREATE INDEX containment_agency ON containment_actions (agency_id, id);
CREATE INDEX containment_sync ON containment_actions (sync_state, sync_next_at);
CREATE INDEX containment_incident ON containment_actions (incident_id);

-- Feed tokens: HTTP Basic passwords of the firewalls reading the lists,
-- stored as SHA-256.
CREATE TABLE feed_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- Where indicators come from: uploads, the command line, TAXII collections
-- and MISP feeds polled by kubu (cursor: where the next poll starts).
CREATE TABLE intel_sources (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    collection  TEXT NOT NULL DEFAULT '',
    cursor      TEXT NOT NULL DEFAULT '',
    poll_claim  INTEGER,
    last_poll_at INTEGER,
    last_ok_at  INTEGER,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One row per observable of an indicator; (stix_id, type, value) is the
-- de-duplication key (STIX and MISP ids are global; CSV and freetext ids
-- are source:type:value).
CREATE TABLE intel_indicators (
    id          TEXT PRIMARY KEY,
    source_id   TEXT NOT NULL REFERENCES intel_sources(id),
    stix_id     TEXT NOT NULL,
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    creator     TEXT NOT NULL DEFAULT '',
    valid_from  INTEGER NOT NULL,
    valid_until INTEGER,
    confidence  INTEGER NOT NULL,
    tlp         TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '[]',
    modified    INTEGER NOT NULL DEFAULT 0,
    added_at    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (stix_id, type, value)
);
CREATE INDEX intel_indicators_source ON intel_indicators (source_id, id);
CREATE INDEX intel_indicators_updated ON intel_indicators (updated_at, stix_id);

-- Matches of each indicator (by its id at the source), counted when the
-- alert events are written.
CREATE TABLE intel_hits (
    stix_id     TEXT PRIMARY KEY,
    hits        INTEGER NOT NULL,
    last_hit_at INTEGER NOT NULL
);

-- Retro-hunts by indicator over the retained events; one node runs each
-- (runner, runner_until), resuming from last_seq.
CREATE TABLE intel_hunts (
    id             TEXT PRIMARY KEY,
    agency_id      TEXT NOT NULL DEFAULT '',
    type           TEXT NOT NULL,
    value          TEXT NOT NULL,
    stix_id        TEXT NOT NULL,
    title          TEXT NOT NULL,
    from_at        INTEGER NOT NULL,
    to_at          INTEGER NOT NULL,
    status         TEXT NOT NULL,
    events_scanned INTEGER NOT NULL DEFAULT 0,
    matches        INTEGER NOT NULL DEFAULT 0,
    last_seq       INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    runner         TEXT NOT NULL DEFAULT '',
    runner_until   INTEGER,
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX intel_hunts_status ON intel_hunts (status, id);

-- Counters every node polls: containment_version moves with every change
-- of what the feeds publish, indicators_version with every change of the
-- indicators.
CREATE TABLE intel_meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO intel_meta (name, value) VALUES ('containment_version', 1), ('indicators_version', 1);

-- +goose Down
DROP TABLE intel_meta;
DROP TABLE intel_hunts;
DROP TABLE intel_hits;
DROP TABLE intel_indicators;
DROP TABLE intel_sources;
DROP TABLE feed_tokens;
DROP TABLE containment_actions;
