-- +goose Up
CREATE TABLE agencies (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sla_policies (
    agency_id     TEXT PRIMARY KEY REFERENCES agencies(id),
    critical_days INTEGER NOT NULL,
    high_days     INTEGER NOT NULL,
    medium_days   INTEGER NOT NULL,
    low_days      INTEGER NOT NULL,
    info_days     INTEGER NOT NULL DEFAULT 0,
    business_days BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE systems (
    id                  TEXT PRIMARY KEY,
    agency_id           TEXT NOT NULL REFERENCES agencies(id),
    name                TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    hostnames           TEXT NOT NULL DEFAULT '[]',
    asset_type          TEXT NOT NULL,
    criticality         TEXT NOT NULL,
    internet_facing     BOOLEAN NOT NULL DEFAULT FALSE,
    owner_contacts      TEXT NOT NULL DEFAULT '[]',
    data_classification TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (agency_id, name)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    agency_id     TEXT REFERENCES agencies(id),
    password_hash TEXT NOT NULL DEFAULT '',
    totp_secret   TEXT NOT NULL DEFAULT '',
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    totp_enabled  BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    last_login_at BIGINT
);
CREATE INDEX users_agency ON users (agency_id, email);

CREATE TABLE findings (
    id                TEXT PRIMARY KEY,
    system_id         TEXT NOT NULL REFERENCES systems(id),
    agency_id         TEXT NOT NULL REFERENCES agencies(id),
    source            TEXT NOT NULL,
    source_ref        TEXT NOT NULL DEFAULT '',
    title             TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    severity          TEXT NOT NULL,
    severity_rank     INTEGER NOT NULL,
    cvss_vector       TEXT NOT NULL DEFAULT '',
    cvss_score        DOUBLE PRECISION,
    cwe               INTEGER,
    status            TEXT NOT NULL,
    due_at            BIGINT,
    duplicate_of      TEXT REFERENCES findings(id),
    risk_reason       TEXT NOT NULL DEFAULT '',
    risk_requested_by TEXT NOT NULL DEFAULT '',
    risk_approved_by  TEXT NOT NULL DEFAULT '',
    risk_expires_at   BIGINT,
    created_by        TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    closed_at         BIGINT
);
CREATE INDEX findings_agency_status ON findings (agency_id, status, id);
CREATE INDEX findings_agency_id ON findings (agency_id, id);
CREATE INDEX findings_status ON findings (status, id);
CREATE INDEX findings_system ON findings (system_id, id);
CREATE INDEX findings_due ON findings (agency_id, status, due_at);
CREATE INDEX findings_source_ref ON findings (source, source_ref);

CREATE TABLE finding_comments (
    id         TEXT PRIMARY KEY,
    finding_id TEXT NOT NULL REFERENCES findings(id),
    author_id  TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX finding_comments_finding ON finding_comments (finding_id, id);

CREATE TABLE login_failures (
    account_key TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (account_key, at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    data       BYTEA NOT NULL,
    expiry     BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    code        TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    agency_id   TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json  TEXT NOT NULL,
    leaf_hash   TEXT NOT NULL,
    mac         TEXT NOT NULL
);
CREATE INDEX audit_log_agency ON audit_log (agency_id, seq);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, seq);

CREATE TABLE audit_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    size    BIGINT NOT NULL,
    compact TEXT NOT NULL,
    mac     TEXT NOT NULL
);
INSERT INTO audit_head (id, size, compact, mac) VALUES (1, 0, '', '');

CREATE TABLE audit_checkpoints (
    tree_size BIGINT PRIMARY KEY,
    root_hash TEXT NOT NULL,
    at        BIGINT NOT NULL,
    signature TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE audit_checkpoints;
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE login_failures;
DROP TABLE finding_comments;
DROP TABLE findings;
DROP TABLE users;
DROP TABLE systems;
DROP TABLE sla_policies;
DROP TABLE agencies;
