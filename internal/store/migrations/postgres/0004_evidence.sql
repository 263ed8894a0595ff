-- +goose Up
-- Evidence locker (issue 11): evidence items of incidents and their chain of
-- custody. The bytes live in the blob store (DATA/evidence by default); the
-- hashes taken at intake are kept here and in the audit entry intake_seq
-- names. incident_id has no foreign key until the incidents table exists.
CREATE TABLE evidence (
    id            TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    collected_at  BIGINT,
    collected_by  TEXT NOT NULL DEFAULT '',
    source_system TEXT NOT NULL DEFAULT '',
    method        TEXT NOT NULL DEFAULT '',
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    sha1          TEXT NOT NULL,
    md5           TEXT NOT NULL,
    storage       TEXT NOT NULL,
    intake_seq    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    created_label TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX evidence_incident ON evidence (incident_id, id);

CREATE TABLE evidence_custody (
    evidence_id TEXT NOT NULL REFERENCES evidence(id),
    n           INTEGER NOT NULL,
    at          BIGINT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    note        TEXT NOT NULL,
    to_whom     TEXT NOT NULL DEFAULT '',
    audit_seq   BIGINT NOT NULL,
    PRIMARY KEY (evidence_id, n)
);

-- Resumable uploads in progress (the bytes are in the blob store's
-- uploads/ folder until finished).
CREATE TABLE evidence_uploads (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    intake      TEXT NOT NULL,
    length      BIGINT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE evidence_uploads;
DROP TABLE evidence_custody;
DROP TABLE evidence;
