-- +goose Up
-- Readiness (issue 14): OSCAL catalogues and profiles kept side by side
-- (each load is a new record; a profile remembers the catalogue it
-- resolved against), a security plan per system (its profile, chosen by
-- the default mapping or set by a wog-admin), the manual status of each
-- control, and deviations from controls (IM8 pm-4) with their approvals.
CREATE TABLE policy_documents (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    uuid        TEXT NOT NULL,
    title       TEXT NOT NULL,
    version     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    controls    INTEGER NOT NULL,
    sources     TEXT NOT NULL DEFAULT '[]',
    body        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (kind, digest)
);
CREATE INDEX policy_documents_name ON policy_documents (kind, name, created_at);

CREATE TABLE security_plans (
    system_id   TEXT PRIMARY KEY REFERENCES systems(id),
    agency_id   TEXT NOT NULL REFERENCES agencies(id),
    uuid        TEXT NOT NULL,
    profile_id  TEXT NOT NULL DEFAULT '',
    updated_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE plan_controls (
    system_id   TEXT NOT NULL REFERENCES systems(id),
    control_id  TEXT NOT NULL,
    status      TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    evidence    TEXT NOT NULL DEFAULT '[]',
    updated_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (system_id, control_id)
);

CREATE TABLE plan_deviations (
    id              TEXT PRIMARY KEY,
    system_id       TEXT NOT NULL REFERENCES systems(id),
    agency_id       TEXT NOT NULL REFERENCES agencies(id),
    control_id      TEXT NOT NULL,
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_label TEXT NOT NULL,
    requested_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_label   TEXT NOT NULL DEFAULT '',
    decided_at      INTEGER,
    note            TEXT NOT NULL DEFAULT '',
    renewal_of      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX plan_deviations_system ON plan_deviations (system_id, control_id, requested_at);
CREATE INDEX plan_deviations_status ON plan_deviations (status, requested_at);
CREATE INDEX plan_deviations_agency ON plan_deviations (agency_id, status, requested_at);

-- +goose Down
DROP TABLE plan_deviations;
DROP TABLE plan_controls;
DROP TABLE security_plans;
DROP TABLE policy_documents;
