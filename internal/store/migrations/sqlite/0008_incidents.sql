-- +goose Up
-- Incident response (issue 10): incidents of one or several agencies, the
-- alerts, findings and systems they link, tasks and playbooks, the timeline,
-- observables, the post-incident review, on-call rotations, the escalation
-- policy, webhooks and the pages sent. Times are Unix milliseconds.

CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    severity        TEXT NOT NULL,
    severity_rank   INTEGER NOT NULL,
    category        TEXT NOT NULL,
    status          TEXT NOT NULL,
    lead_id         TEXT NOT NULL DEFAULT '',
    -- The clocks: started_at is the earliest linked alert's first event
    -- (or the creation); the *_due_at are started_at plus the targets of
    -- the severity when they were set.
    started_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    contained_at    INTEGER,
    recovered_at    INTEGER,
    closed_at       INTEGER,
    ack_due_at      INTEGER NOT NULL,
    contain_due_at  INTEGER NOT NULL,
    recover_due_at  INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_created ON incidents (created_at, id);

-- The agencies an incident belongs to. status is the incident's, copied so
-- that the queue filtered by agency and status walks one index.
CREATE TABLE incident_agencies (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    agency_id   TEXT NOT NULL REFERENCES agencies(id),
    status      TEXT NOT NULL,
    PRIMARY KEY (incident_id, agency_id)
);
CREATE INDEX incident_agencies_queue ON incident_agencies (agency_id, status, incident_id);
CREATE INDEX incident_agencies_agency ON incident_agencies (agency_id, incident_id);

-- An alert belongs to at most one incident: the alert id is the key.
CREATE TABLE incident_alerts (
    alert_id    TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    agency_id   TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    linked_by   TEXT NOT NULL,
    linked_at   INTEGER NOT NULL
);
CREATE INDEX incident_alerts_incident ON incident_alerts (incident_id, agency_id);

-- Findings that showed the compromise (relation 'source') or that the
-- review opened (relation 'follow-up').
CREATE TABLE incident_findings (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    finding_id  TEXT NOT NULL REFERENCES findings(id),
    agency_id   TEXT NOT NULL,
    relation    TEXT NOT NULL,
    linked_by   TEXT NOT NULL,
    linked_at   INTEGER NOT NULL,
    PRIMARY KEY (incident_id, finding_id)
);
CREATE INDEX incident_findings_finding ON incident_findings (finding_id);

CREATE TABLE incident_systems (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    system_id   TEXT NOT NULL REFERENCES systems(id),
    agency_id   TEXT NOT NULL,
    PRIMARY KEY (incident_id, system_id)
);

CREATE TABLE incident_assignees (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (incident_id, user_id)
);

CREATE TABLE incident_tasks (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    title       TEXT NOT NULL,
    assignee_id TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    due_at      INTEGER,
    playbook    TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    done_at     INTEGER
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);

-- visible_to: '' everyone who sees the incident; an agency id: central
-- roles and that agency; '-': central roles only.
CREATE TABLE incident_timeline (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    text        TEXT NOT NULL,
    visible_to  TEXT NOT NULL DEFAULT '',
    manual      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, at, id);

CREATE TABLE incident_observables (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    tlp         TEXT NOT NULL,
    visible_to  TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (incident_id, type, value)
);
CREATE INDEX incident_observables_value ON incident_observables (type, value, incident_id);

-- Playbooks: the tasks every new incident of a category starts with.
CREATE TABLE incident_playbooks (
    category   TEXT NOT NULL,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    due_hours  INTEGER NOT NULL DEFAULT 0,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (category, position)
);

CREATE TABLE incident_reviews (
    incident_id   TEXT PRIMARY KEY REFERENCES incidents(id),
    what_happened TEXT NOT NULL DEFAULT '',
    impact        TEXT NOT NULL DEFAULT '',
    root_cause    TEXT NOT NULL DEFAULT '',
    went_well     TEXT NOT NULL DEFAULT '',
    to_change     TEXT NOT NULL DEFAULT '',
    completed_at  INTEGER,
    completed_by  TEXT NOT NULL DEFAULT '',
    updated_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- On-call rotations: members (user ids, JSON, in order) take shifts of
-- shift_days days, handing over at handover (HH:MM) in time_zone, starting
-- with the first member on starts_on (YYYY-MM-DD).
CREATE TABLE oncall_rotations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    time_zone  TEXT NOT NULL,
    handover   TEXT NOT NULL,
    shift_days INTEGER NOT NULL,
    starts_on  TEXT NOT NULL,
    members    TEXT NOT NULL DEFAULT '[]',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The one escalation policy.
CREATE TABLE oncall_policy (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    primary_rotation   TEXT NOT NULL DEFAULT '',
    secondary_rotation TEXT NOT NULL DEFAULT '',
    lead_id            TEXT NOT NULL DEFAULT '',
    ack_minutes        INTEGER NOT NULL,
    min_severity       TEXT NOT NULL,
    updated_by         TEXT NOT NULL,
    updated_at         INTEGER NOT NULL
);

-- Webhooks that receive every page, signed with their secret (sealed).
CREATE TABLE oncall_webhooks (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row per page and channel. The key (e.g. alert:ID:secondary:email)
-- is unique, so of several nodes exactly one claims and sends each page.
CREATE TABLE oncall_pages (
    key         TEXT PRIMARY KEY,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    step        TEXT NOT NULL,
    channel     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    node        TEXT NOT NULL,
    claimed_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oncall_pages_target ON oncall_pages (target_type, target_id);
CREATE INDEX oncall_pages_claimed ON oncall_pages (claimed_at);

-- +goose Down
DROP TABLE oncall_pages;
DROP TABLE oncall_webhooks;
DROP TABLE oncall_policy;
DROP TABLE oncall_rotations;
DROP TABLE incident_reviews;
DROP TABLE incident_playbooks;
DROP TABLE incident_observables;
DROP TABLE incident_timeline;
DROP TABLE incident_tasks;
DROP TABLE incident_assignees;
DROP TABLE incident_systems;
DROP TABLE incident_findings;
DROP TABLE incident_alerts;
DROP TABLE incident_agencies;
DROP TABLE incidents;
