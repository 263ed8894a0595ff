-- +goose Up
-- Community programmes: VDP, bug bounty editions and the VRP.
CREATE TABLE programmes (
    id               TEXT PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    rules            TEXT NOT NULL DEFAULT '',
    access           TEXT NOT NULL,
    starts_at        BIGINT,
    ends_at          BIGINT,
    asset_types      TEXT NOT NULL DEFAULT '[]',
    in_scope         TEXT NOT NULL DEFAULT '[]',
    out_of_scope     TEXT NOT NULL DEFAULT '[]',
    targets          TEXT NOT NULL DEFAULT '{}',
    triagers         TEXT NOT NULL DEFAULT '[]',
    reward_version   BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE programme_systems (
    programme_id TEXT NOT NULL REFERENCES programmes(id),
    system_id    TEXT NOT NULL REFERENCES systems(id),
    PRIMARY KEY (programme_id, system_id)
);

CREATE TABLE reward_tables (
    programme_id TEXT NOT NULL REFERENCES programmes(id),
    version      INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (programme_id, version)
);

CREATE TABLE researchers (
    user_id           TEXT PRIMARY KEY REFERENCES users(id),
    handle            TEXT NOT NULL UNIQUE,
    bio               TEXT NOT NULL DEFAULT '',
    website           TEXT NOT NULL DEFAULT '',
    verified_at       BIGINT,
    verify_hash       TEXT NOT NULL DEFAULT '',
    verify_expires_at BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX researchers_verify ON researchers (verify_hash);

CREATE TABLE programme_invitations (
    programme_id TEXT NOT NULL REFERENCES programmes(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    invited_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (programme_id, user_id)
);

CREATE TABLE reports (
    id                 TEXT PRIMARY KEY,
    programme_id       TEXT NOT NULL REFERENCES programmes(id),
    system_id          TEXT REFERENCES systems(id),
    agency_id          TEXT NOT NULL DEFAULT '',
    researcher_id      TEXT NOT NULL DEFAULT '',
    reporter_email     TEXT NOT NULL DEFAULT '',
    token_hash         TEXT NOT NULL DEFAULT '',
    title              TEXT NOT NULL,
    description        TEXT NOT NULL,
    steps              TEXT NOT NULL DEFAULT '',
    impact             TEXT NOT NULL DEFAULT '',
    affected_url       TEXT NOT NULL DEFAULT '',
    endpoint_key       TEXT NOT NULL DEFAULT '',
    parameter          TEXT NOT NULL DEFAULT '',
    asset_type         TEXT NOT NULL DEFAULT '',
    cwe                INTEGER,
    cvss_vector        TEXT NOT NULL DEFAULT '',
    cvss_score         DOUBLE PRECISION,
    severity           TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    duplicate_of       TEXT NOT NULL DEFAULT '',
    finding_id         TEXT NOT NULL DEFAULT '',
    content_hash       TEXT NOT NULL,
    reward_version     BIGINT NOT NULL DEFAULT 0,
    reward_table       TEXT NOT NULL DEFAULT '',
    disclosure         TEXT NOT NULL DEFAULT '',
    public_summary     TEXT NOT NULL DEFAULT '',
    fixed_then_denied  BIGINT NOT NULL DEFAULT 0,
    escalations        BIGINT NOT NULL DEFAULT 0,
    submitted_at       BIGINT NOT NULL,
    first_response_at  BIGINT,
    triaged_at         BIGINT,
    rewarded_at        BIGINT,
    resolved_at        BIGINT,
    closed_at          BIGINT,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX reports_submitted ON reports (submitted_at, id);
CREATE INDEX reports_programme ON reports (programme_id, submitted_at);
CREATE INDEX reports_status ON reports (status, submitted_at);
CREATE INDEX reports_researcher ON reports (researcher_id, submitted_at);
CREATE INDEX reports_system ON reports (system_id, submitted_at);
CREATE INDEX reports_endpoint ON reports (endpoint_key, id);
CREATE INDEX reports_finding ON reports (finding_id);

CREATE TABLE report_messages (
    id           TEXT PRIMARY KEY,
    report_id    TEXT NOT NULL REFERENCES reports(id),
    author_id    TEXT NOT NULL,
    author_label TEXT NOT NULL,
    kind         TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX report_messages_report ON report_messages (report_id, id);

CREATE TABLE report_attachments (
    id           TEXT PRIMARY KEY,
    report_id    TEXT NOT NULL REFERENCES reports(id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    sealed       BYTEA NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX report_attachments_report ON report_attachments (report_id, id);

CREATE TABLE rewards (
    id            TEXT PRIMARY KEY,
    report_id     TEXT NOT NULL REFERENCES reports(id),
    programme_id  TEXT NOT NULL REFERENCES programmes(id),
    researcher_id TEXT NOT NULL,
    currency      TEXT NOT NULL,
    base_amount   BIGINT NOT NULL,
    bonus_amount  BIGINT NOT NULL,
    amount        BIGINT NOT NULL,
    exceptional   BIGINT NOT NULL DEFAULT 0,
    table_version INTEGER NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    proposed_by   TEXT NOT NULL,
    decided_by    TEXT NOT NULL DEFAULT '',
    proposed_at   BIGINT NOT NULL,
    decided_at    BIGINT
);
CREATE INDEX rewards_researcher ON rewards (researcher_id, id);
CREATE INDEX rewards_programme ON rewards (programme_id, id);
CREATE INDEX rewards_report ON rewards (report_id);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    report_id  TEXT NOT NULL DEFAULT '',
    message    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);

-- +goose Down
DROP TABLE notifications;
DROP TABLE rewards;
DROP TABLE report_attachments;
DROP TABLE report_messages;
DROP TABLE reports;
DROP TABLE programme_invitations;
DROP TABLE researchers;
DROP TABLE reward_tables;
DROP TABLE programme_systems;
DROP TABLE programmes;
