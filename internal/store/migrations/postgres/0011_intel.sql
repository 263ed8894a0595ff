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
    ttl_ms        BIGINT NOT NULL,
    incident_id   TEXT NOT NULL DEFAULT '',
    agency_id     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    requester     TEXT NOT NULL,
    requested_at  BIGINT NOT NULL,
    approved_by   TEXT NOT NULL DEFAULT '',
    approver      TEXT NOT NULL DEFAULT '',
    approved_at   BIGINT,
    activated_at  BIGINT,
    expires_at    BIGINT NOT NULL,
    ended_by      TEXT NOT NULL DEFAULT '',
    ended_at      BIGINT,
    sync_state    TEXT NOT NULL DEFAULT '',
    sync_ref      TEXT NOT NULL DEFAULT '',
    sync_attempts BIGINT NOT NULL DEFAULT 0,
    sync_next_at  BIGINT,
    sync_claim    BIGINT,
    sync_error    TEXT NOT NULL DEFAULT '',
    updated_at    BIGINT NOT NULL
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
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
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
    poll_claim  BIGINT,
    last_poll_at BIGINT,
    last_ok_at  BIGINT,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
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
    valid_from  BIGINT NOT NULL,
    valid_until BIGINT,
    confidence  BIGINT NOT NULL,
    tlp         TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '[]',
    modified    BIGINT NOT NULL DEFAULT 0,
    added_at    BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (stix_id, type, value)
);
CREATE INDEX intel_indicators_source ON intel_indicators (source_id, id);
CREATE INDEX intel_indicators_updated ON intel_indicators (updated_at, stix_id);

-- Matches of each indicator (by its id at the source), counted when the
-- alert events are written.
CREATE TABLE intel_hits (
    stix_id     TEXT PRIMARY KEY,
    hits        BIGINT NOT NULL,
    last_hit_at BIGINT NOT NULL
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
    from_at        BIGINT NOT NULL,
    to_at          BIGINT NOT NULL,
    status         TEXT NOT NULL,
    events_scanned BIGINT NOT NULL DEFAULT 0,
    matches        BIGINT NOT NULL DEFAULT 0,
    last_seq       BIGINT NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    runner         TEXT NOT NULL DEFAULT '',
    runner_until   BIGINT,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    finished_at    BIGINT
);
CREATE INDEX intel_hunts_status ON intel_hunts (status, id);

-- Counters every node polls: containment_version moves with every change
-- of what the feeds publish, indicators_version with every change of the
-- indicators.
CREATE TABLE intel_meta (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
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
